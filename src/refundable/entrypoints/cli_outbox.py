"""`refundable webhooks ...` and `refundable payouts ...`: the business's endpoints, the
delivery log, and where each payout stands (ADR 0056, 0057). Only translates: arguments in,
the service called, lines (or ``--json``) out."""

from __future__ import annotations

import json
import secrets
from base64 import b64encode
from typing import TYPE_CHECKING, Annotated, Any

import typer

from refundable.core import limits
from refundable.entrypoints.cli_jobs import Db, Json, Tenant, _with_app

if TYPE_CHECKING:
    from refundable.bootstrap import App

webhooks_app = typer.Typer(no_args_is_help=True, help="Webhook endpoints and their deliveries.")
payouts_app = typer.Typer(no_args_is_help=True, help="Payouts: where each refund's money is.")


def _store(app: App) -> Any:
    assert app.outbox is not None  # every bootstrapped app has one
    return app.outbox


@webhooks_app.command("add")
def add(
    tenant: Tenant,
    endpoint_id: str,
    url: str,
    secret: Annotated[str | None, typer.Option(help="whsec_...; default: a new one")] = None,
    events: Annotated[str, typer.Option(help="comma-separated event types, or *")] = "*",
    db: Db = None,
) -> None:
    """Register an endpoint that receives the tenant's events, signed with its secret."""
    from refundable.service import commands as c

    key = secret or "whsec_" + b64encode(secrets.token_bytes(32)).decode()
    types = tuple(e.strip() for e in events.split(",") if e.strip())

    def body(app: App) -> object:
        return app.bus.handle(
            c.RegisterWebhookEndpoint(
                tenant,
                f"webhook-{endpoint_id}"[: limits.MAX_ID_LENGTH],
                endpoint_id,
                url,
                key,
                types,
                app.clock.now(),
            )
        )

    _with_app(db, body)
    typer.echo(f"endpoint {endpoint_id} receives {', '.join(types)} at {url}")
    if secret is None:
        typer.echo(f"secret (shown once, keep it to verify signatures): {key}")


@webhooks_app.command("deliveries")
def deliveries(
    tenant: Tenant,
    endpoint: Annotated[str | None, typer.Option(help="only this endpoint")] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """The delivery log: every attempt, its answer and what happened next."""

    def body(app: App) -> list[dict[str, Any]]:
        log = _store(app).attempts(tenant, kind="webhook_delivery")
        return [
            {"delivery_id": a.message_id, "attempt": a.attempt, "endpoint_id": a.target,
             "at": a.at.isoformat(), "outcome": a.outcome.value, "status": a.status_code,
             "detail": a.detail}
            for a in log if endpoint in (None, a.target)
        ]  # fmt: skip

    _print(_with_app(db, body), as_json)


@payouts_app.command("list")
def payouts(tenant: Tenant, db: Db = None, as_json: Json = False) -> None:
    """Every payout of the tenant: its state, amount, gateway refund and expected dates."""

    def body(app: App) -> list[dict[str, Any]]:
        return [
            {"payout_id": p.payout_id, "case_id": p.case_id, "state": p.state.value,
             "amount": str(p.amount), "method": p.method.value,
             "gateway_refund_id": p.gateway_refund_id, "failure": p.failure_reason,
             "expected_by": p.expected_by.isoformat(),
             "fx": None if p.fx is None else f"{p.fx.pair} {p.fx.rate} ({p.fx.source})"}
            for p in _store(app).payouts(tenant)
        ]  # fmt: skip

    _print(_with_app(db, body), as_json)


def _print(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for row in rows:
        typer.echo(" ".join(f"{k}={v}" for k, v in row.items() if v is not None))


outbox_app = typer.Typer(no_args_is_help=True, help="The outbox: dead letters and re-sending.")


@outbox_app.command("dead")
def dead(tenant: Tenant, db: Db = None, as_json: Json = False) -> None:
    """Messages the worker gave up on (the retry cap, or a refusal): a person looks."""
    from refundable.service.outbox_store import MessageState

    def body(app: App) -> list[dict[str, Any]]:
        store = _store(app)
        out = []
        for m in store.messages(tenant, MessageState.dead):
            book = store.book(tenant, m.message_id)
            out.append({"message_id": m.message_id, "kind": m.kind,
                        "attempts": book.attempts if book else None,
                        "last_error": book.last_error if book else None})  # fmt: skip
        return out

    _print(_with_app(db, body), as_json)


@outbox_app.command("resend")
def resend(
    tenant: Tenant,
    message_id: str,
    by: Annotated[str, typer.Option("--by", help="who asks, e.g. agent:ann")],
    reason: Annotated[str, typer.Option("--reason", help="why it can go now")],
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Send a dead letter again with the same id and key (a payout is never doubled: the
    gateway sees the same idempotency key). The delivery log records who and why."""
    from refundable.service.outbox import resend_dead_letter

    def body(app: App) -> list[dict[str, Any]]:
        done = resend_dead_letter(_store(app), tenant, message_id, by, reason, app.clock.now())
        state = "queued again" if done.resent else "already waiting to be sent"
        return [{"message_id": done.message_id, "kind": done.kind, "state": state}]

    _print(_with_app(db, body), as_json)
