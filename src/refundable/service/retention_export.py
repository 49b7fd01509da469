"""A customer's data as one document: what a customer may export until their purge date.

It holds the personal data still kept (or the instant it was erased), the retention schedule
with the date export is available until, the record of every erasure, and the customer's
ledger statement. Amounts stay after a purge, so the same export afterwards shows the money
history and says what was deleted, when and under which clause (ADR 0051). Read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from refundable.privacy.model import PersonalField
from refundable.service.common import not_found
from refundable.service.ports import UnitOfWork
from refundable.service.queries import StatementLine


class Statements(Protocol):
    def statement(
        self, tenant: str, customer: str, limit: int | None = None
    ) -> list[StatementLine]: ...


def export_customer(
    uow_factory: Callable[[], UnitOfWork],
    statements: Statements,
    tenant_id: str,
    customer_id: str,
) -> dict[str, Any]:
    """Everything kept about ``customer_id``, as plain data (JSON-ready)."""
    with uow_factory() as uow:
        repos = uow.repositories(tenant_id)
        if repos.customers.get(customer_id) is None:
            raise not_found("customer", customer_id)
        profile = repos.personal.profile(customer_id)
        schedule = repos.personal.lock_schedule(customer_id)
        erasures = repos.personal.erasures(customer_id)
    lines = statements.statement(tenant_id, customer_id)  # all of it: an export is whole
    return {
        "customer_id": customer_id,
        "personal_data": None
        if profile is None
        else {
            **{f.value: getattr(profile, f.value) for f in PersonalField},
            "erased_at": None if profile.erased_at is None else profile.erased_at.isoformat(),
        },
        "retention": None
        if schedule is None
        else {
            "trigger": schedule.trigger.value,
            "trigger_at": schedule.trigger_at.isoformat(),
            "export_available_until": schedule.purge_at.isoformat(),
            "clause": schedule.clause,
            "state": schedule.state.value,
        },
        "erasures": [
            {
                "erased_at": e.erased_at.isoformat(),
                "fields": [f.value for f in e.fields],
                "reason": e.reason.value,
                "clause": e.clause,
            }
            for e in erasures
        ],
        "statement": [_line(x) for x in lines],
    }


def _line(x: StatementLine) -> dict[str, Any]:
    return {
        "entry_id": x.entry_id,
        "effective_at": x.effective_at.isoformat(),
        "kind": x.kind,
        "memo": x.memo,
        "account": x.account,
        "amount": str(x.amount),
        "balance": None if x.balance is None else str(x.balance),
    }
