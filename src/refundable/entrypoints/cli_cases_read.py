"""`refundable cases list|show|report|evidence`: the read side of refund cases in a terminal.

Registered on the ``cases`` group of :mod:`refundable.entrypoints.cli_cases`. Agents read
local times: every instant is shown in the tenant's timezone (its policy's), as
``2026-03-02 10:00 SAST`` in text and as ISO 8601 with the local offset in ``--json`` (the
same instant as the API's, written where the business is).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

from refundable.core import limits
from refundable.core.errors import InputError, NotFound
from refundable.entrypoints.cli_cases import Db, Json, Tenant, _fail, _reads, _run, app

if TYPE_CHECKING:
    from refundable.bootstrap import App


def _zone(wired: App, tenant: str) -> ZoneInfo:
    """The tenant's timezone (the policy's at its first version); UTC for an unknown tenant
    (its cases are none: nothing is shown in it)."""
    with wired.bus.read_uow_factory() as uow:
        found = uow.repositories(tenant).tenants.get(tenant)
    return ZoneInfo(found.timezone if found is not None else "UTC")


def _text(at: datetime | None, zone: ZoneInfo) -> str:
    return "-" if at is None else at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _iso(at: datetime | None, zone: ZoneInfo) -> str | None:
    return None if at is None else at.astimezone(zone).isoformat()


def _localised(row: dict[str, Any], zone: ZoneInfo, as_json: bool) -> dict[str, Any]:
    """A report row with its instants (ISO text under ``at`` or ``*_at``) in the zone."""
    out = dict(row)
    for key, value in row.items():
        if (key == "at" or key.endswith("_at")) and isinstance(value, str) and value:
            at = datetime.fromisoformat(value)
            out[key] = _iso(at, zone) if as_json else _text(at, zone)
    return out


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
        zone = _zone(wired, tenant)
        when = _iso if as_json else _text
        rows = [
            {
                "case_id": x.case_id,
                "customer_id": x.customer_id,
                "state": x.state.value,
                "subject": f"{x.subject.value}:{x.subject_id}",
                "reason": x.reason,
                "received_at": when(x.received_at, zone),
                "next_due_at": when(x.next_due_at, zone),
            }
            for x in found
        ]
        if as_json:
            typer.echo(json.dumps(rows))
            return
        for r in rows:
            typer.echo(
                f"{r['case_id']}  {r['state']:<21} {r['customer_id']:<12} "
                f"{r['subject']}  {r['reason']}  received {r['received_at']}  "
                f"next due {r['next_due_at']}"
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
        zone = _zone(wired, tenant)
        if as_json:
            history = [_localised(r.to_dict(), zone, True) for r in rows]
            typer.echo(json.dumps({"case": case_to_dict(case), "history": history,
                                   "timezone": zone.key}, sort_keys=True))  # fmt: skip
            return
        typer.echo(f"case {case.case_id} ({case.customer_id}): {case.state.value}, "
                   f"received {_text(case.received_at, zone)}")  # fmt: skip
        for c in case.clocks:
            verdict = {True: "kept", False: "missed", None: "running"}[c.kept]
            typer.echo(
                f"  {c.stage.value:<15} due {_text(c.due_at, zone)}  {verdict} (clause {c.clause})"
            )
        for r in rows:
            typer.echo(f"  {_text(r.at, zone)}  {r.kind:<22} {r.actor:<16} {r.detail}")

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
        zone = _zone(wired, tenant)
        rows = [_localised(r, zone, as_json)
                for r in build_report(wired, _reads(wired), tenant, kind, customer)]  # fmt: skip
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
