"""In-memory repositories over a unit of work's working copy of the tables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from refundable.core.errors import InvariantBroken
from refundable.core.money import Money
from refundable.ledger.accounts import AccountKey
from refundable.ledger.credit_ops import Allocation
from refundable.ledger.decisions import DecisionRecord
from refundable.ledger.entries import JournalEntry
from refundable.ledger.holds import Hold
from refundable.ledger.lots import CreditLot, LotStatus
from refundable.ledger.payments import Payment
from refundable.ledger.transfers import Party
from refundable.ledger.usage import UsageEvent
from refundable.service.ports import Claim
from refundable.service.queries import PaymentReturn
from refundable.tenants.model import PolicyVersion, Tenant

from .tables import Failure, MemoryStore, Tables


def _insert(table: dict, key: object, value: object, what: str) -> None:  # type: ignore[type-arg]
    """A duplicate primary key is our bug here (the bus dedupes business keys first)."""
    if key in table:
        raise InvariantBroken(f"{what} {key!r} inserted twice")
    table[key] = value


class _Repo:
    def __init__(self, t: Tables, tenant_id: str, store: MemoryStore) -> None:
        self.t = t
        self.tenant_id = tenant_id
        self.store = store

    def k(self, ident: str) -> tuple[str, str]:
        return (self.tenant_id, ident)


class MemReceipts(_Repo):
    def claim(self, keys: Sequence[str], command: str, payload_hash: str) -> dict[str, Claim]:
        taken: dict[str, Claim] = {}
        for key in keys:
            found = self.t.receipts.get(self.k(key))
            if found is None:
                self.t.receipts[self.k(key)] = Claim(command, payload_hash, None)
            else:
                taken[key] = found
        return taken

    def remember(self, keys: Sequence[str], result: str) -> None:
        for key in keys:
            c = self.t.receipts[self.k(key)]
            self.t.receipts[self.k(key)] = Claim(c.command, c.payload_hash, result)


class MemCustomers(_Repo):
    def get(self, customer_id: str) -> Party | None:
        return self.t.parties.get(self.k(customer_id))

    def add(self, party: Party) -> None:
        _insert(self.t.parties, self.k(party.customer_id), party, "customer")


class MemJournal(_Repo):
    def lock_balances(self, accounts: Iterable[AccountKey]) -> dict[AccountKey, int]:
        return {a: self.t.balances.get(self.k(a.code), 0) for a in accounts}

    def post(self, entries: Sequence[JournalEntry], idem_key: str | None) -> None:
        for e in entries:
            self.store.seq += 1
            _insert(self.t.entries, self.k(e.entry_id), (self.store.seq, e), "entry")
            if e.reverses is not None:
                _insert(self.t.reversed_by, self.k(e.reverses), e.entry_id, "reversal of")
            for line in e.lines:
                key = self.k(line.account.code)
                self.t.balances[key] = self.t.balances.get(key, 0) + line.amount

    def get(self, entry_id: str) -> JournalEntry | None:
        found = self.t.entries.get(self.k(entry_id))
        return None if found is None else found[1]

    def is_reversed(self, entry_id: str) -> bool:
        return self.k(entry_id) in self.t.reversed_by


class MemLots(_Repo):
    def _mine(self) -> list[CreditLot]:
        return [x for (t, _), x in self.t.lots.items() if t == self.tenant_id]

    def lock_open(self, customer_ids: Iterable[str], unit: str) -> dict[str, list[CreditLot]]:
        ids = sorted(set(customer_ids))
        out: dict[str, list[CreditLot]] = {c: [] for c in ids}
        for lot in sorted(self._mine(), key=lambda x: x.lot_id):
            if lot.customer_id in out and lot.unit == unit and lot.status is LotStatus.open:
                out[lot.customer_id].append(lot)
        return out

    def get(self, lot_ids: Iterable[str]) -> dict[str, CreditLot]:
        found = (self.t.lots.get(self.k(i)) for i in lot_ids)
        return {x.lot_id: x for x in found if x is not None}

    def lock_expiring(
        self, as_of: datetime, unit: str, limit: int | None = None
    ) -> list[CreditLot]:
        return sorted(
            (
                x for x in self._mine()
                if x.unit == unit and x.status is LotStatus.open and x.remaining > 0
                and x.valid_until <= as_of
            ),
            key=lambda x: x.lot_id,
        )[:limit]  # fmt: skip

    def add(self, lots: Sequence[CreditLot], entry_id: str) -> None:
        for lot in lots:
            _insert(self.t.lots, self.k(lot.lot_id), lot, "lot")

    def save(self, lots: Sequence[CreditLot]) -> None:
        for lot in lots:
            self.t.lots[self.k(lot.lot_id)] = lot


class MemPayments(_Repo):
    def lock(self, payment_id: str) -> Payment | None:
        return self.t.payments.get(self.k(payment_id))

    def add(self, payment: Payment) -> None:
        _insert(self.t.payments, self.k(payment.payment_id), payment, "payment")

    def save(self, payment: Payment) -> None:
        self.t.payments[self.k(payment.payment_id)] = payment

    def add_return(
        self, kind: str, return_id: str, payment: Payment, amount_minor: int, entry_id: str,
        at: datetime, reason: str,
    ) -> None:  # fmt: skip
        money = Money.from_minor(amount_minor, payment.currency)
        row = PaymentReturn(kind, return_id, payment.payment_id, money, entry_id, at)
        _insert(self.t.returns, (self.tenant_id, kind, return_id), row, "return")


class MemUsage(_Repo):
    def known(self, event_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        found = (self.t.events.get(self.k(i)) for i in event_ids)
        return {e.event_id: (e.customer_id, e.units) for e in found if e is not None}

    def add(
        self,
        events: Sequence[UsageEvent],
        entry_of: Mapping[str, str],
        allocations: Sequence[Allocation],
    ) -> None:
        for e in events:
            _insert(self.t.events, self.k(e.event_id), e, "usage event")
        for a in allocations:
            key = self.k(a.event_id)
            self.t.allocations[key] = (*self.t.allocations.get(key, ()), a)

    def get(self, event_id: str) -> UsageEvent | None:
        return self.t.events.get(self.k(event_id))

    def allocations_of(self, event_id: str) -> list[Allocation]:
        return list(self.t.allocations.get(self.k(event_id), ()))

    def add_failure(
        self, event_id: str, cause: str, reinstated: bool, entry_id: str | None, at: datetime
    ) -> None:
        row = Failure(cause, reinstated, entry_id, at)
        _insert(self.t.failures, self.k(event_id), row, "failure of")


class MemHolds(_Repo):
    def add(self, hold: Hold) -> None:
        _insert(self.t.holds, self.k(hold.hold_id), hold, "hold")

    def lock(self, hold_id: str) -> Hold | None:
        return self.t.holds.get(self.k(hold_id))

    def release(self, hold_id: str, resolution: str, reason: str, at: datetime) -> None:
        hold = self.t.holds[self.k(hold_id)]
        if hold.released_at is not None:
            raise InvariantBroken(f"hold {hold_id} released twice")
        self.t.holds[self.k(hold_id)] = replace(hold, released_at=at, resolution=resolution)


class MemDecisions(_Repo):
    def __init__(
        self, t: Tables, tenant_id: str, store: MemoryStore, decided: list[DecisionRecord]
    ) -> None:
        super().__init__(t, tenant_id, store)
        self.decided = decided  # the unit of work's (ADR 0084)

    def add(self, record: DecisionRecord) -> None:
        _insert(self.t.decisions, self.k(record.decision_id), record, "decision")
        self.decided.append(record)

    def get(self, decision_id: str) -> DecisionRecord | None:
        return self.t.decisions.get(self.k(decision_id))


class MemTenants(_Repo):
    def get(self, tenant_id: str) -> Tenant | None:
        return self.t.tenants.get(tenant_id)

    def add(self, tenant: Tenant) -> None:
        _insert(self.t.tenants, tenant.tenant_id, tenant, "tenant")

    def versions(self, tenant_id: str) -> list[PolicyVersion]:
        mine = [v for (t, _), v in self.t.versions.items() if t == tenant_id]
        return sorted(mine, key=lambda v: v.starts_at)

    def digest_in_force(self, tenant_id: str, at: datetime) -> str | None:
        started = [v for v in self.versions(tenant_id) if v.starts_at <= at]
        return started[-1].digest if started else None

    def version(self, tenant_id: str, digest: str) -> PolicyVersion | None:
        return next((v for v in self.versions(tenant_id) if v.digest == digest), None)

    def add_version(self, version: PolicyVersion) -> None:
        _insert(self.t.versions, (version.tenant_id, version.version), version, "version")
