"""Lists read a page at a time from the store (issue 11's cursor pagination): the journal's
and the cases' pages, walked with every page size, give exactly the whole list in its order,
on SQLite, PostgreSQL and in memory; a cursor that names nothing of the tenant's gives an
empty page. Before, ``GET /v1/reports/journal`` read the whole journal and ``GET /v1/cases``
up to 100,000 cases for every page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from storage_helpers import T0, at, card_payment, top_up, zar

from refundable.bootstrap import MEMORY_URL, App, bootstrap
from refundable.cases.model import Subject
from refundable.core.time import FixedClock
from refundable.policy.facts import Reason
from refundable.service import commands as c


def _walk(read: Any, size: int) -> list[str]:
    seen: list[str] = []
    after = None
    for _ in range(1000):  # a cursor that does not move would loop for ever
        page = read(after, size)
        assert len(page.items) <= size
        seen += [x for x in page.items]
        if not page.has_more:
            return seen
        after = page.items[-1]
    raise AssertionError(f"pages of {size} never ended: {seen[:20]}")


def _journal(app: App, tenant: str) -> None:
    """Entries with ties: several at one instant, charges among payments, some backdated."""
    for n, hours in enumerate([5, 1, 5, 3, 5, 0, 2, 5, 1]):
        app.ledger.handle(c.RecordCharge(tenant, f"ch{n}", f"i{n}", "C1", zar(f"{n + 10}"),
                                         at(hours)))  # fmt: skip
        card_payment(app, tenant, "C1", f"{n + 1}", f"p{n}")
    top_up(app, tenant, "C1", "7", "w1")


def _check_journal(app: App, tenant: str) -> None:
    whole = [e.entry_id for e in app.queries.journal(tenant)]
    assert len(whole) >= 19
    for size in (1, 2, 3, 7, 100):

        def read(after: str | None, limit: int) -> Any:
            page = app.queries.journal_page(tenant, after, limit)
            full = {e.entry_id: e for e in app.queries.journal(tenant)}
            assert all(e == full[e.entry_id] for e in page.items)  # lines and all
            return type(page)([e.entry_id for e in page.items], page.has_more)

        assert _walk(read, size) == whole
    assert app.queries.journal_page(tenant, "no-such-entry", 5).items == []


# The cases left open (no answers given) are A's own account's: one open case per account
# and reason, so each is about another reason.
_REASON = {3: Reason.billing_error, 9: Reason.unauthorized_charge}


def _cases(app: App, tenant: str) -> None:
    info = {"explanation": "charged twice", "account": "a", "transaction": "t"}
    for n in (7, 3, 9, 1, 4, 8, 2):
        customer = "A" if n % 2 else "B"
        app.bus.handle(
            c.OpenCase(
                tenant,
                f"k{n}",
                f"case-{n}",
                customer,
                Subject.account,
                customer,  # an account case is about the customer's own account
                _REASON.get(n, Reason.duplicate_charge),
                at(days=10 - n),  # case-9 is received first: the queue order is not the ids
                f"customer:{customer}",
                info if n % 3 else {},
                # when the charge was made: without it the case would ask (ADR 0082)
                {
                    "charge": {
                        "charged_at": at(days=11 - n).isoformat(),
                        "kind": "subscription",
                        "amount": "10.00",
                        "currency": "ZAR",
                    }
                },
            )
        )  # fmt: skip (3 and 9 wait for answers)


def _check_cases(app: App, tenant: str) -> None:
    read_side = app.cases_read
    assert read_side is not None
    everything = read_side.cases(tenant, limit=1000)
    for customer in (None, "A", "B"):
        for open_only in (False, True):
            wanted = sorted(
                x.case_id for x in everything
                if (customer is None or x.customer_id == customer) and (x.is_open or not open_only)
            )  # fmt: skip

            def read(
                after: str | None, limit: int, who: str | None = customer, only: bool = open_only
            ) -> Any:
                page = read_side.page(tenant, after=after, limit=limit, customer_id=who,
                                      open_only=only)  # fmt: skip
                return type(page)([x.case_id for x in page.items], page.has_more)

            for size in (1, 2, 3, 100):
                assert _walk(read, size) == wanted
    assert len(everything) == 7
    assert sorted(x.case_id for x in everything if x.is_open) == ["case-3", "case-9"]
    _check_queue(read_side, tenant, everything)
    assert read_side.page(tenant, after="case-9", limit=5).items == []


def test_pages_of_the_journal_and_the_cases(app: App, tenant: str) -> None:
    _journal(app, tenant)
    _check_journal(app, tenant)
    _cases(app, tenant)
    _check_cases(app, tenant)


def test_pages_in_memory() -> None:
    from fakes import open_tenant

    app = bootstrap(MEMORY_URL, FixedClock(T0))
    open_tenant(app, "t1")
    _journal(app, "t1")
    _check_journal(app, "t1")
    _cases(app, "t1")
    _check_cases(app, "t1")


def test_reports_and_the_queue_see_every_case_past_a_thousand() -> None:
    """The read side's ``cases`` gave the first 1,000 by default, so the console's queue,
    its charts, the case reports and the metrics silently left out every case after those:
    now every case counts unless a caller asks for fewer."""
    from fakes import open_tenant
    from refundable.service.case_reads import QUEUE_SIZE
    from refundable.service.case_reports import build_report

    app = bootstrap(MEMORY_URL, FixedClock(T0))
    open_tenant(app, "t1")
    for n in range(1003):  # no answers given: each waits for information, open
        received = T0 + timedelta(hours=(n * 7919) % 1003)  # deadlines out of id order
        opened = c.OpenCase("t1", f"k{n}", f"case-{n:04d}", f"C{n}", Subject.account,
                            f"C{n}", Reason.duplicate_charge, received, "customer:x")  # fmt: skip
        app.bus.handle(opened)
    reads = app.cases_read
    assert reads is not None
    assert len(reads.cases("t1")) == 1003 and len(reads.cases("t1", limit=10)) == 10
    shown, total = reads.queue("t1", QUEUE_SIZE)
    assert total == 1003 and len(shown) == 200  # the console shows the nearest 200
    _check_queue(reads, "t1", reads.cases("t1"))
    assert len(build_report(app, reads, "t1", "queue")) == 1003


def _check_queue(reads: Any, tenant: str, everything: list[Any]) -> None:
    """The store's queue is the open cases in the console's order (nearest deadline first,
    those without one last, then by id), cut at the limit, with the count of all open."""
    opened = sorted(
        (x for x in everything if x.is_open),
        key=lambda x: (x.next_due_at is None, x.next_due_at or x.received_at, x.case_id),
    )
    assert [x.case_id for x in opened] != sorted(x.case_id for x in opened)  # order is tested
    for limit in (1, 2, 5, 10_000):
        shown, total = reads.queue(tenant, limit)
        assert total == len(opened)
        assert [x.case_id for x in shown] == [x.case_id for x in opened[:limit]]
