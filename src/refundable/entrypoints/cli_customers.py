"""`refundable customers export` and `refundable customers erase`: a customer's data.

``export`` prints everything kept about a customer (personal data, the date export is
available until, the erasures, the ledger statement) as JSON; ``erase`` deletes the personal
data now, on request, keeping every amount (ADR 0051). Only translates: arguments in, the
service called, JSON or a line out; errors leave with the status table's exit code.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from refundable.core import limits
from refundable.entrypoints.cli_jobs import Db, Tenant, _instant, _with_app

if TYPE_CHECKING:
    from refundable.bootstrap import App

app = typer.Typer(no_args_is_help=True, help="Customers' personal data: export and erasure.")
Customer = Annotated[str, typer.Argument(help="the customer id")]


@app.command("export")
def export(tenant: Tenant, customer: Customer, db: Db = None) -> None:
    """Print all data kept about CUSTOMER as JSON (available in full until its purge date)."""
    from refundable.service.retention_export import export_customer

    found = _with_app(
        db, lambda wired: export_customer(wired.bus.uow_factory, wired.queries, tenant, customer)
    )
    typer.echo(json.dumps(found, indent=2, sort_keys=True))


@app.command("erase")
def erase(
    tenant: Tenant,
    customer: Customer,
    at: Annotated[str, typer.Option("--at", help="when (ISO 8601 with offset); default now")] = "",
    db: Db = None,
) -> None:
    """Erase CUSTOMER's name and contact details now; every amount stays in the ledger."""
    from refundable.service import commands as c

    def body(wired: App) -> object:
        when = _instant(at, "--at") if at else wired.clock.now()
        key = f"erase-{customer}-{when.timestamp():.0f}"[: limits.MAX_ID_LENGTH]
        return wired.bus.handle(c.ErasePersonalData(tenant, key, customer, when))

    _with_app(db, body)
    typer.echo(f"personal data of {customer} erased; amounts kept")
