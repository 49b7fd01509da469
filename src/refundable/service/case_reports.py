"""The case reports as plain rows: what ``refundable cases report`` and the API print."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from refundable.cases.reports import audit, deadlines_kept, open_by_deadline, refunds_by_outcome

if TYPE_CHECKING:
    from refundable.bootstrap import App
    from refundable.service.case_queries import CaseQueries


def build_report(
    app: App, reads: CaseQueries, tenant: str, kind: str, customer: str | None = None
) -> list[dict[str, Any]]:
    """One report: ``queue`` (open cases by next deadline), ``deadlines`` (kept vs missed per
    stage and month), ``outcomes`` (refunds by outcome and remedy), ``audit`` (every event
    with who and when, for the tenant or one customer)."""
    cases = reads.cases(tenant, customer_id=customer)
    if kind == "queue":
        return [r.to_dict() for r in open_by_deadline(cases)]
    if kind == "deadlines":
        return [{"stage": s, "month": m, **n} for (s, m), n in deadlines_kept(cases).items()]
    # one read of the tenant's events (a read per case made a report of N cases N queries);
    # a customer's few cases are read one by one
    events = (
        reads.events(tenant) if customer is None
        else [e for c in cases for e in reads.events(tenant, c.case_id)]
    )  # fmt: skip
    if kind == "outcomes":
        return [{"outcome": o, "remedy": r, "currency": cur, **v}
                for (o, r, cur), v in refunds_by_outcome(cases, events).items()]  # fmt: skip
    return [r.to_dict() for r in audit(events)]
