"""`refundable ledger record ...`: finance records charges, payments, refunds, account credits
and fees from a terminal, each as one command through the bus.

Only translates: arguments into a command, the receipt into text or JSON (``--json``). Every
command takes ``--tenant`` and ``--key`` (the idempotency key: run the same line again and the
first receipt comes back, never a second posting). Refunds, credits and fees name the decision
they carry out (``--decision``, recorded with ``record decision``): the amount is the
decision's, never typed in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from refundable.bootstrap import App, bootstrap
from refundable.core.errors import InputError, RefundableError, status_of
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.ledger.money_ops import FeeFrom
from refundable.service import commands as c
from refundable.service.common import Receipt

app = typer.Typer(no_args_is_help=True, help="Record money movements through the service.")

Tenant = Annotated[str, typer.Option("--tenant", help="the tenant (business) id")]
Key = Annotated[str, typer.Option("--key", help="idempotency key: a retry replays, never reposts")]
At = Annotated[
    str | None, typer.Option("--at", help="when it took effect, ISO 8601 with offset (default now)")
]
Json = Annotated[bool, typer.Option("--json", help="print the receipt as JSON")]
Db = Annotated[str | None, typer.Option("--db", help="database URL (default: REFUNDABLE_DB_URL)")]
Decision = Annotated[str, typer.Option("--decision", help="the recorded decision it carries out")]


def _run(
    db: str | None, as_json: bool, build: Callable[[datetime, App], c.Command], at: str | None
) -> None:
    try:
        wired = bootstrap(db)
        try:
            receipt = wired.ledger.handle(build(_instant(at, wired.clock.now()), wired))
        finally:
            wired.close()
    except RefundableError as error:
        typer.echo(f"error [{error.code}] {error}", err=True)
        raise typer.Exit(status_of(error).exit_code) from None
    typer.echo(_json(receipt) if as_json else _text(receipt))


def _zone_of(app: App, tenant: str) -> ZoneInfo | None:
    with app.bus.uow_factory() as uow:
        found = uow.repositories(tenant).tenants.get(tenant)
    return None if found is None else ZoneInfo(found.timezone)


def _instant(text: str | None, now: datetime) -> datetime:
    if text is None:
        return now
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{text[:40]!r} is not an instant", where="--at", allowed="e.g. 2026-03-01T09:00+02:00"
        ) from None


def _json(r: Receipt) -> str:
    body = json.loads(r.to_json())
    body["replayed"] = r.replayed
    return json.dumps(body, sort_keys=True)


def _text(r: Receipt) -> str:
    again = " (replayed: nothing new was written)" if r.replayed else ""
    details = "".join(f"\n  {k.value}: {v}" for k, v in r.details.items())
    entries = "".join(f"\n  entry {e}" for e in r.entry_ids)
    return f"{r.command} {r.ref or ''}{again}{entries}{details}"


@app.command()
def charge(
    charge_id: str, customer: str, amount: str, currency: str, tenant: Tenant, key: Key,
    at: At = None, memo: str = "", as_json: Json = False, db: Db = None,
) -> None:  # fmt: skip
    """A charge the customer owes (receivable up, revenue up)."""
    _run(db, as_json, lambda when, _app: c.RecordCharge(
        tenant, key, charge_id, customer, Money.of(amount, currency), when, memo), at)  # fmt: skip


@app.command()
def payment(
    payment_id: str, customer: str, amount: str, currency: str, tenant: Tenant, key: Key,
    method: Annotated[Method, typer.Option("--method")] = Method.card,
    provider: Annotated[str | None, typer.Option("--provider")] = None,
    top_up: Annotated[bool, typer.Option("--top-up", help="funds the wallet")] = False,
    at: At = None, as_json: Json = False, db: Db = None,
) -> None:  # fmt: skip
    """A payment received: settles what is owed, or tops up the wallet (``--top-up``)."""
    kind = c.TopUpWallet if top_up else c.RecordPayment
    _run(db, as_json, lambda when, _app: kind(
        tenant, key, payment_id, customer, Money.of(amount, currency), method, provider, when),
        at)  # fmt: skip


@app.command()
def decision(
    decision_id: str, customer: str,
    request: Annotated[Path, typer.Argument(help="the refund request (YAML or JSON)")],
    tenant: Tenant, key: Key, as_json: Json = False, db: Db = None,
) -> None:  # fmt: skip
    """Decide a refund request under the tenant's policy in force and keep the decision."""
    from refundable.policy.requests import parse_request_text

    def build(_: datetime, app: App) -> c.Command:
        # a plain date (invoice_date: 2026-03-31) is read in the tenant's own timezone
        parsed = parse_request_text(_read(request), zone=lambda _policy: _zone_of(app, tenant))
        return c.DecideRefund(tenant, key, decision_id, customer, parsed)

    _run(db, as_json, build, None)


@app.command()
def refund(
    refund_id: str, payment_id: str, decision: Decision, tenant: Tenant, key: Key,
    at: At = None, reason: str = "", as_json: Json = False, db: Db = None,
) -> None:  # fmt: skip
    """Pay back exactly an approved refund decision's amount to the payment's source."""
    _run(db, as_json, lambda when, _app: c.PayRefund(
        tenant, key, refund_id, payment_id, decision, when, reason), at)  # fmt: skip


@app.command()
def credit(
    grant_id: str, customer: str, decision: Decision, tenant: Tenant, key: Key,
    at: At = None, reason: str = "", as_json: Json = False, db: Db = None,
) -> None:  # fmt: skip
    """Grant exactly an approved account-credit decision's amount."""
    _run(db, as_json, lambda when, _app: c.GrantAccountCredit(
        tenant, key, grant_id, customer, decision, when, reason), at)  # fmt: skip


@app.command()
def fee(
    fee_id: str, customer: str, decision: Decision, tenant: Tenant, key: Key,
    charge_to: Annotated[FeeFrom, typer.Option("--from")] = FeeFrom.wallet,
    at: At = None, reason: str = "", as_json: Json = False, db: Db = None,
) -> None:  # fmt: skip
    """Charge exactly the fees a decision set, from the wallet or onto what is owed."""
    _run(db, as_json, lambda when, _app: c.ChargeFee(
        tenant, key, fee_id, customer, decision, when, reason, charge_to), at)  # fmt: skip


@app.command()
def policy(
    path: Annotated[Path, typer.Argument(help="the policy version to publish")],
    tenant: Tenant, key: Key,
    name: Annotated[str, typer.Option("--name", help="the business's name (first version)")] = "",
    scenarios: Annotated[Path | None, typer.Option("--scenarios")] = None,
    as_json: Json = False, db: Db = None,
) -> None:  # fmt: skip
    """Publish a policy version for a tenant (the first one registers the tenant)."""

    def build(_: datetime, _app: App) -> c.Command:
        tests = _read(scenarios) if scenarios else None
        return c.PublishPolicy(tenant, key, _read(path), name, None, tests, path.name)

    _run(db, as_json, build, None)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read {path.name}: {error.strerror}", where=str(path)) from None
