"""`refundable serve`: the whole service in one process, and `refundable api-keys`.

``serve`` bootstraps the store (SQLite in the data directory unless ``--database-url`` or
``REFUNDABLE_DB_URL`` says otherwise), seeds the demo tenants and their published keys
(idempotent; ``--no-demo`` skips it), then runs the HTTP server and, on a thread of the same
process, the scheduled-work loop over every tenant. Several ``serve`` processes against one
PostgreSQL share the due work by row claims (ADR 0036). It prints where it listens, where
mail goes and the demo keys. ADR 0060. The demo without an SMTP relay sends its mail to a
local sink it starts (ADR 0084).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from refundable.core.errors import RefundableError, status_of

if TYPE_CHECKING:
    from refundable.adapters.mail_sink import MailSink
    from refundable.bootstrap import App
    from refundable.config import Settings
    from refundable.entrypoints.api.metrics import Metrics
    from refundable.entrypoints.api.state import ApiState
    from refundable.service.access import ApiKeys

serve_app = typer.Typer(help="Run the HTTP API and the scheduled work.")
keys_app = typer.Typer(no_args_is_help=True, help="API keys of a tenant (shown once).")
_LOG = logging.getLogger("refundable.serve")

DbUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        "--db",
        help="database URL (default: REFUNDABLE_DB_URL, else SQLite in the data directory)",
    ),
]


@serve_app.callback(invoke_without_command=True)
def serve(
    host: Annotated[str | None, typer.Option("--host", help="address (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option("--port", help="TCP port (default 8000)")] = None,
    database_url: DbUrl = None,
    demo: Annotated[
        bool | None, typer.Option("--demo/--no-demo", help="seed the demo tenants and keys")
    ] = None,
) -> None:
    """Start the HTTP API (and console, portal) with the scheduled-work loop."""
    from refundable.config import Settings

    settings = Settings.from_env(db_url=database_url, host=host, port=port, demo=demo)
    _guarded(lambda: _run(settings))


def _guarded(body: Callable[[], None]) -> None:
    try:
        body()
    except RefundableError as error:
        typer.echo(f"error [{error.code}] {error}", err=True)
        raise typer.Exit(status_of(error).exit_code) from None


def _run(settings: Settings) -> None:
    import uvicorn

    from refundable.bootstrap import bootstrap
    from refundable.entrypoints.api.app import create_app
    from refundable.entrypoints.api.logs import log_config
    from refundable.entrypoints.heap import settle

    sink = _mail_sink(settings)
    if sink is not None:  # the demo's mail goes over SMTP to the sink (ADR 0084)
        settings = replace(settings, smtp_host=sink.host, smtp_port=sink.port)
    wired = bootstrap(settings)
    try:
        api = create_app(wired, settings)
        # logging is configured here, so what the seed's first pass logs is seen
        config = uvicorn.Config(
            api,
            settings.resolved_host,
            settings.resolved_port,
            log_config=log_config(),
            access_log=False,
        )
        shown = _seed(wired, api.state.api.keys, settings) if settings.resolved_demo else {}
        if settings.resolved_demo:  # the seed's notices belong to its past: out before serving
            _jobs_pass(wired, api.state.api.metrics)
        settle()  # what start-up built leaves the collector's full passes (entrypoints/heap)
        stop = threading.Event()
        worker = threading.Thread(
            target=_jobs_loop,
            args=(wired, settings, api.state.api, stop),
            name="scheduled-work",
            daemon=True,
        )
        server = uvicorn.Server(config)
        _announce_when_started(server, settings, shown, _mail_line(settings, sink))
        server.capture_signals = lambda: _stop_on_signals(server)  # type: ignore[method-assign]
        worker.start()
        server.run()
        stop.set()
        worker.join(timeout=30)
    finally:
        wired.close()
        if sink is not None:
            sink.stop()


def _mail_sink(settings: Settings) -> MailSink | None:
    """The demo with no relay configured: a local SMTP sink keeping each message under the
    data directory (``mail/``). A configured relay, or no demo, is used as it is."""
    if not settings.resolved_demo or settings.smtp_host:
        return None
    from refundable.adapters.mail_sink import start_sink

    return start_sink(settings.resolved_data_dir / "mail")


def _mail_line(settings: Settings, sink: MailSink | None) -> str:
    if sink is not None:
        return (
            f"mail       no SMTP relay set: a local SMTP sink at {sink.host}:{sink.port} keeps "
            f"one .eml per message in {sink.folder} (and logs a line each)"
        )
    host, port, _ = settings.resolved_smtp
    return f"mail       sent through the SMTP relay at {host}:{port}"


@contextlib.contextmanager
def _stop_on_signals(server: Any) -> Iterator[None]:
    """SIGINT/SIGTERM stop the server gracefully (a second one forces it) and the process
    then exits 0, having stopped its scheduled-work loop too; uvicorn's own handling would
    re-raise the signal and end the process with it."""

    def stop(_sig: int, _frame: object) -> None:
        if server.should_exit:
            server.force_exit = True
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _seed(wired: App, keys: ApiKeys, settings: Settings) -> dict[str, dict[str, str]]:
    """Demo tenants and data, their API keys, and the console and portal logins (printed
    under the key ``"(logins)"``: tenant -> the lines to show)."""
    from refundable.entrypoints.web.seed import DEMO_PASSWORD, seed_demo_logins
    from refundable.service.seed import seed_demo

    shown = seed_demo(wired, keys, settings.resolved_policies_dir)
    staff: dict[str, str] = {}
    for login in seed_demo_logins(wired):
        if login.password is not None:
            staff[f"{login.tenant_id} {login.role.value}"] = login.email
        else:
            staff.setdefault(f"{login.tenant_id} customer", login.email)
    return {**shown, _LOGINS: {**staff, "(password)": DEMO_PASSWORD}}


_LOGINS = "(logins)"


def _jobs_loop(wired: App, settings: Settings, state: ApiState, stop: threading.Event) -> None:
    """Run due work every ``jobs_interval`` seconds until the server stops, and the API's
    housekeeping (idempotency purge, case gauges) every ``HOUSEKEEPING_S``. A failing pass
    is logged and the loop goes on: one bad action must not stop the others' work."""
    last = float("-inf")
    while not stop.wait(settings.resolved_jobs_interval):
        _jobs_pass(wired, state.metrics)
        if time.monotonic() - last >= HOUSEKEEPING_S:
            last = time.monotonic()
            _housekeeping(state)


HOUSEKEEPING_S = 30.0


def _housekeeping(state: ApiState) -> None:
    from refundable.entrypoints.api.state import housekeeping

    try:
        done = housekeeping(state)
    except Exception:
        _LOG.exception("housekeeping failed")
        return
    if done["idempotency_purged"]:
        _LOG.info("housekeeping", extra=done)


def _jobs_pass(wired: App, metrics: Metrics) -> None:
    """Due actions first, then the outbox they filled (payouts, emails, webhooks), as
    `refundable jobs run` does."""
    from refundable.adapters.senders import drain_now
    from refundable.service.scheduled import run_due

    started = time.perf_counter()
    try:
        report = run_due(wired.bus, wired.work, wired.clock.now())
        sent = drain_now(wired)
    except Exception:
        _LOG.exception("scheduled-work pass failed")
        metrics.job_runs.labels("error").observe(time.perf_counter() - started)
        return
    metrics.job_runs.labels("ok").observe(time.perf_counter() - started)
    metrics.jobs.labels("ran").inc(report.ran)
    metrics.jobs.labels("failed").inc(report.failed)
    if report.ran or report.failed:
        _LOG.info("scheduled work", extra={"ran": report.ran, "failed": report.failed})
    if sent.sent or sent.retried or sent.dead:
        _LOG.info("outbox", extra={"sent": sent.sent, "retried": sent.retried, "dead": sent.dead})


def _announce_when_started(
    server: object, settings: Settings, shown: dict[str, dict[str, str]], mail: str
) -> None:
    """Print the addresses (with the real port, when 0 asked for a free one) and demo keys
    once the server listens."""
    import uvicorn

    assert isinstance(server, uvicorn.Server)
    original = server.startup

    async def startup(sockets: object = None) -> None:
        await original(sockets)  # type: ignore[arg-type]
        port = settings.resolved_port
        for srv in getattr(server, "servers", []):
            for sock in srv.sockets:
                port = sock.getsockname()[1]
        typer.echo(_banner(settings.resolved_host, port, shown, mail))

    server.startup = startup  # type: ignore[method-assign]


def _banner(host: str, port: int, shown: dict[str, dict[str, str]], mail: str = "") -> str:
    base = f"http://{host}:{port}"
    lines = [
        f"Refundable is running on {base}",
        f"  API        {base}/v1   (OpenAPI: {base}/docs, {base}/openapi.json)",
        f"  health     {base}/health   ready: {base}/ready   metrics: {base}/metrics",
    ]
    if mail:
        lines.append(f"  {mail}")
    logins = shown.get(_LOGINS, {})
    keys = {tenant: by_role for tenant, by_role in shown.items() if tenant != _LOGINS}
    if keys:
        lines.append("Demo API keys (public, for trying it out): 'Authorization: Bearer KEY'")
        for tenant, by_role in keys.items():
            for role, key in by_role.items():
                lines.append(f"  {tenant:<12} {role:<10} {key}")
    if logins:
        password = logins.get("(password)", "")
        lines.append(f"Agent console {base}/console (password for every staff login: {password})")
        lines.extend(f"  {who:<22} {email}" for who, email in logins.items()
                     if not who.endswith("customer") and who != "(password)")  # fmt: skip
        lines.append(f"Customer portal {base}/portal (sign in by the emailed link; with no")
        lines.append("  SMTP relay set, the link is in the mail sink's log line), e.g.:")
        lines.extend(f"  {who:<22} {email}" for who, email in logins.items()
                     if who.endswith("customer"))  # fmt: skip
    lines.append("Stop with Ctrl-C.")
    return "\n".join(lines)


# --- refundable api-keys ----------------------------------------------------------------------
TenantOpt = Annotated[str, typer.Option("--tenant", help="the tenant (business) id")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def _with_keys(database_url: str | None, body: Callable[[App, ApiKeys], None]) -> None:
    from refundable.bootstrap import bootstrap
    from refundable.entrypoints.api.state import stores_for

    def run() -> None:
        wired = bootstrap(database_url)
        try:
            body(wired, stores_for(wired)[0])
        finally:
            wired.close()

    _guarded(run)


@keys_app.command("create")
def keys_create(
    tenant: TenantOpt,
    role: Annotated[str, typer.Option("--role", help="admin, agent or read_only")],
    name: Annotated[str, typer.Option("--name", help="what the key is for")] = "api key",
    database_url: DbUrl = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a key and print it: the only time it is shown (only its hash is stored)."""
    from refundable.service.access import create_key, parse_role

    def body(wired: App, keys: ApiKeys) -> None:
        _require_tenant(wired, tenant)
        key = create_key(keys, tenant, parse_role(role), name, wired.clock.now())
        _print({"tenant": tenant, "role": role, "key": key} if as_json else key, as_json)

    _with_keys(database_url, body)


@keys_app.command("list")
def keys_list(tenant: TenantOpt, database_url: DbUrl = None, as_json: JsonOpt = False) -> None:
    """The tenant's keys (ids, roles, names, when created and revoked; never secrets)."""

    def body(wired: App, keys: ApiKeys) -> None:
        rows = [
            {
                "key_id": k.key_id,
                "role": k.role.value,
                "name": k.name,
                "created_at": k.created_at.isoformat(),
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            }
            for k in keys.of_tenant(tenant)
        ]
        if as_json:
            _print(rows, True)
            return
        for r in rows:
            state = f"revoked {r['revoked_at']}" if r["revoked_at"] else "active"
            typer.echo(f"{r['key_id']}\t{r['role']}\t{state}\t{r['name']}")

    _with_keys(database_url, body)


@keys_app.command("revoke")
def keys_revoke(
    tenant: TenantOpt,
    key_id: Annotated[str, typer.Argument(help="the key's id (from `api-keys list`)")],
    database_url: DbUrl = None,
) -> None:
    """Revoke a key: it stops working within seconds; its record stays."""
    from refundable.service.access import revoke_key

    def body(wired: App, keys: ApiKeys) -> None:
        revoke_key(keys, tenant, key_id, wired.clock.now())
        typer.echo(f"revoked {key_id}")

    _with_keys(database_url, body)


def _require_tenant(wired: App, tenant: str) -> None:
    from refundable.core.errors import NotFound

    with wired.bus.uow_factory() as uow:
        if uow.repositories(tenant).tenants.get(tenant) is None:
            raise NotFound(
                f"no tenant {tenant!r}",
                where="--tenant",
                allowed="a tenant registered by publishing its policy",
            )


def _print(value: object, as_json: bool) -> None:
    import json

    typer.echo(json.dumps(value, indent=2) if as_json else str(value))
