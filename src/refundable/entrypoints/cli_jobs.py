"""`refundable jobs run` and `refundable clock ...`: due work on the product's clock.

``jobs run`` is what cron (or a process supervisor) calls: it runs every action due at the
clock's now, in batches, then drains the outbox (payouts, emails, webhooks), and exits
(``--loop`` keeps polling, as ``serve`` will in-process).
``clock`` creates and advances a tenant's test clock. Only translates: arguments in, the
service called, a line (or ``--json``) out; errors leave with the status table's exit code.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from refundable.core import limits
from refundable.core.errors import InputError, RefundableError, status_of

if TYPE_CHECKING:  # the service is imported when a command runs, not at CLI start-up
    from refundable.bootstrap import App
    from refundable.service.outbox import OutboxReport
    from refundable.service.scheduled import RunReport

jobs_app = typer.Typer(no_args_is_help=True, help="Run the work that is due (for cron).")
clock_app = typer.Typer(no_args_is_help=True, help="Test clocks: simulate a tenant's time.")

T = TypeVar("T")
Db = Annotated[str | None, typer.Option("--db", help="database URL (default: REFUNDABLE_DB_URL)")]
Json = Annotated[bool, typer.Option("--json", help="print the result as JSON")]
Tenant = Annotated[str, typer.Option("--tenant", help="the tenant (business) id")]


def _with_app(db: str | None, body: Callable[[App], T]) -> T:
    from refundable.bootstrap import bootstrap

    try:
        wired = bootstrap(db)
        try:
            return body(wired)
        finally:
            wired.close()
    except RefundableError as error:
        typer.echo(f"error [{error.code}] {error}", err=True)
        raise typer.Exit(status_of(error).exit_code) from None


def _instant(text: str, where: str) -> datetime:
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        found = None
    if found is None or found.tzinfo is None:
        raise InputError(
            f"{limits.echo(text)} is not an instant",
            where=where,
            allowed="ISO 8601 with an offset, e.g. 2026-04-01T00:00:00+02:00",
        )
    return found


def _report(report: RunReport, as_json: bool, outbox: OutboxReport | None = None) -> None:
    body: dict[str, object] = {"ran": report.ran, "skipped": report.skipped,
                               "failed": report.failed}  # fmt: skip
    if outbox is not None:
        body["outbox"] = dataclasses.asdict(outbox)
    if as_json:
        typer.echo(json.dumps(body))
        return
    typer.echo(f"ran {report.ran}, skipped {report.skipped}, failed {report.failed}")
    if outbox is not None:
        typer.echo(f"outbox: sent {outbox.sent}, retried {outbox.retried}, "
                   f"waiting {outbox.waiting}, dead {outbox.dead}")  # fmt: skip


@jobs_app.command("run")
def run(
    db: Db = None,
    batch: Annotated[int, typer.Option(min=1, max=limits.MAX_LIST_ITEMS)] = 500,
    tenant: Annotated[str | None, typer.Option("--tenant", help="only this tenant")] = None,
    loop: Annotated[bool, typer.Option("--loop", help="keep polling every --every s")] = False,
    every: Annotated[float, typer.Option(min=0.1, max=3600)] = 5.0,
    outbox: Annotated[
        bool, typer.Option("--outbox/--no-outbox", help="then send what the outbox holds")
    ] = True,
    as_json: Json = False,
) -> None:
    """Run every action due now (renewals, expiries, notices...), each exactly once, then
    send what the outbox holds (payouts, emails, webhooks) unless --no-outbox (another
    process sends it)."""

    from refundable.adapters.senders import drain_now
    from refundable.service.scheduled import run_due

    def body(app: App) -> None:
        while True:
            done = run_due(app.bus, app.work, app.clock.now(), tenant_id=tenant, batch=batch,
                           progress=None if as_json else _progress())  # fmt: skip
            _report(done, as_json, drain_now(app, tenant, batch) if outbox else None)
            if not loop:
                return
            time.sleep(every)

    _with_app(db, body)


@jobs_app.command("checkpoints")
def checkpoints(
    tenant: Tenant,
    first_at: Annotated[str, typer.Option("--at", help="first run (ISO 8601 with offset)")],
    db: Db = None,
) -> None:
    """Put the balance-checkpoint job on a tenant's schedule: it then runs with the other due
    work and re-schedules itself daily (ADR 0045). Asking twice schedules it once."""
    from refundable.service import commands as c

    when = _instant(first_at, "--at")
    _with_app(db, lambda app: app.bus.handle(c.ScheduleCheckpoints(tenant, when)))
    typer.echo(f"balance checkpoints scheduled for tenant {tenant} from {first_at}")


def _progress() -> Callable[[RunReport], None]:
    """A progress line on stderr per reported batch: how many so far, the rate, the time."""
    start = time.monotonic()

    def show(so_far: RunReport) -> None:
        seconds = time.monotonic() - start
        rate = so_far.ran / seconds if seconds > 0 else 0.0
        typer.echo(f"  … {so_far.ran:,} ran, {so_far.failed:,} failed so far "
                   f"({seconds:,.0f} s, {rate:,.0f} actions/s)", err=True)  # fmt: skip

    return show


@clock_app.command("create")
def create(tenant: Tenant, clock_id: str, frozen_at: str, db: Db = None) -> None:
    """Put a tenant on a test clock standing at FROZEN_AT (its due work then waits for it)."""
    from refundable.service import commands as c

    key = f"clock-{clock_id}"[: limits.MAX_ID_LENGTH]

    def body(app: App) -> object:
        return app.bus.handle(
            c.CreateTestClock(tenant, key, clock_id, _instant(frozen_at, "frozen_at"))
        )

    _with_app(db, body)
    typer.echo(f"tenant {tenant} runs on test clock {clock_id} at {frozen_at}")


@clock_app.command("advance")
def advance(tenant: Tenant, clock_id: str, to: str, db: Db = None, as_json: Json = False) -> None:
    """Move the test clock forward to TO, running every action due by then, in order."""
    from refundable.service.scheduled import advance_test_clock

    report = _with_app(
        db, lambda app: advance_test_clock(app.bus, app.work, tenant, clock_id, _instant(to, "to"))
    )
    _report(report, as_json)


@clock_app.command("show")
def show(tenant: Tenant, db: Db = None, as_json: Json = False) -> None:
    """Where the tenant's test clock stands, and its due work."""

    def body(app: App) -> dict[str, object]:
        clock = app.work.test_clock(tenant)
        pending = [a for a in app.work.actions(tenant) if a.state.value == "pending"]
        return {
            "clock_id": None if clock is None else clock.clock_id,
            "frozen_at": None if clock is None else clock.frozen_at.isoformat(),
            "pending": len(pending),
            "next_due_at": pending[0].due_at.isoformat() if pending else None,
        }

    found = _with_app(db, body)
    if as_json:
        typer.echo(json.dumps(found))
        return
    typer.echo(" ".join(f"{k}={v}" for k, v in found.items()))
