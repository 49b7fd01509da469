"""`refundable cases list|show|report|evidence`: the read side of refund cases in a terminal.

Registered on the ``cases`` group of :mod:`refundable.entrypoints.cli_cases`. Instants are
shown as stored (UTC offsets); ``--json`` gives the same rows as the API.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from refundable.core import limits
from refundable.core.errors import InputError, NotFound
from refundable.entrypoints.cli_cases import Db, Json, Tenant, _fail, _reads, _run, app

if TYPE_CHECKING:
    from refundable.bootstrap import App


@app.command("list")
def list_cases(
    tenant: Tenant,
    customer: Annotated[str | None, typer.Option("--customer")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="only open cases")] = False,
    as_json: Json = False,
    db: Db = None,
) -> None:
    """Cases of a tenant (or one customer), oldest first."""

    def body(wired: App) -> None:
        found = _reads(wired).cases(tenant, customer_id=customer, open_only=open_only)
        rows = [
            {
                "case_id": x.case_id,
                "customer_id": x.customer_id,
                "state": x.state.value,
                "subject": f"{x.subject.value}:{x.subject_id}",
                "reason": x.reason,
                "received_at": x.received_at.isoformat(),
                "next_due_at": x.next_due_at.isoformat() if x.next_due_at else None,
            }
            for x in found
        ]
        if as_json:
            typer.echo(json.dumps(rows))
            return
        for r in rows:
            typer.echo(
                f"{r['case_id']}  {r['state']:<21} {r['customer_id']:<12} "
                f"{r['subject']}  {r['reason']}  next due {r['next_due_at'] or '-'}"
            )

    _run(db, as_json, body)


@app.command("show")
def show(case_id: str, tenant: Tenant, as_json: Json = False, db: Db = None) -> None:
    """One case: its state, clocks and whole history (who and when)."""
    from refundable.cases.codec import case_to_dict
    from refundable.cases.reports import audit

    def body(wired: App) -> None:
        reads = _reads(wired)
        case = reads.case(tenant, case_id)
        if case is None:
            raise NotFound(f"no case {case_id!r}", where="case_id", allowed="see `cases list`")
        rows = audit(reads.events(tenant, case_id))
        if as_json:
            typer.echo(
                json.dumps(
                    {"case": case_to_dict(case), "history": [r.to_dict() for r in rows]},
                    sort_keys=True,
                )
            )
            return
        typer.echo(f"case {case.case_id} ({case.customer_id}): {case.state.value}")
        for c in case.clocks:
            verdict = {True: "kept", False: "missed", None: "running"}[c.kept]
            typer.echo(
                f"  {c.stage.value:<15} due {c.due_at.isoformat()}  {verdict} (clause {c.clause})"
            )
        for r in rows:
            typer.echo(f"  {r.at.isoformat()}  {r.kind:<22} {r.actor:<16} {r.detail}")

    _run(db, as_json, body)


@app.command("report")
def report(
    tenant: Tenant,
    kind: Annotated[
        str, typer.Option("--kind", help="queue, deadlines, outcomes or audit")
    ] = "queue",
    customer: Annotated[str | None, typer.Option("--customer")] = None,
    as_json: Json = False,
    db: Db = None,
) -> None:
    """Open cases by next deadline, deadlines kept vs missed, refunds by outcome, audit."""
    from refundable.service.case_reports import build_report

    if kind not in ("queue", "deadlines", "outcomes", "audit"):
        _fail(
            InputError(
                f"report {limits.echo(kind)}",
                where="--kind",
                allowed="queue, deadlines, outcomes, audit",
            ),
            as_json,
        )

    def body(wired: App) -> None:
        rows = build_report(wired, _reads(wired), tenant, kind, customer)
        if as_json:
            typer.echo(json.dumps(rows, sort_keys=True, default=str))
            return
        for r in rows:
            typer.echo("  ".join(f"{k}={v}" for k, v in r.items()))

    _run(db, as_json, body)


@app.command("evidence")
def evidence(case_id: str, tenant: Tenant, db: Db = None) -> None:
    """The dispute evidence packet of a case, in Stripe's evidence field names (JSON)."""
    from refundable.service.case_evidence import evidence_for

    _run(
        db,
        True,
        lambda wired: typer.echo(
            json.dumps(evidence_for(wired, tenant, case_id), sort_keys=True, indent=2)
        ),
    )
