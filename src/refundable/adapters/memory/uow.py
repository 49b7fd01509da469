"""The in-memory unit of work: a working copy of the tables, swapped in on commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from refundable.core.errors import InvariantBroken
from refundable.ledger.decisions import DecisionRecord
from refundable.service.ports import Repositories

from .cases import MemCases
from .checkpoints import MemCheckpoints
from .outbound import MemPayouts, MemWebhookEndpoints
from .personal import MemPersonal
from .repositories import (
    MemCustomers,
    MemDecisions,
    MemHolds,
    MemJournal,
    MemLots,
    MemPayments,
    MemReceipts,
    MemTenants,
    MemUsage,
)
from .scheduling import MemClocks, MemOutbox, MemSchedule
from .subscriptions import MemSubscriptions
from .tables import MemoryStore, Tables


class MemoryUnitOfWork:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._work: Tables | None = None
        self._seq = 0
        self.decided: list[DecisionRecord] = []

    def __enter__(self) -> MemoryUnitOfWork:
        self.store.lock.acquire()
        self._work = self.store.tables.copy()
        self._seq = self.store.seq
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._work is not None:  # not committed: roll back
            self.store.seq = self._seq
        self._work = None
        self.store.lock.release()

    def repositories(self, tenant_id: str) -> Repositories:
        t = self._work
        if t is None:
            raise InvariantBroken("unit of work used outside its 'with' block")
        args = (t, tenant_id, self.store)
        return Repositories(
            tenant_id,
            receipts=MemReceipts(*args),
            customers=MemCustomers(*args),
            journal=MemJournal(*args),
            lots=MemLots(*args),
            payments=MemPayments(*args),
            usage=MemUsage(*args),
            holds=MemHolds(*args),
            decisions=MemDecisions(*args, decided=self.decided),
            tenants=MemTenants(*args),
            schedule=MemSchedule(*args),
            outbox=MemOutbox(*args),
            clocks=MemClocks(*args),
            personal=MemPersonal(*args),
            cases=MemCases(*args),
            subscriptions=MemSubscriptions(*args),
            checkpoints=MemCheckpoints(*args),
            payouts=MemPayouts(*args),
            webhooks=MemWebhookEndpoints(*args),
        )

    @contextmanager
    def recording(self) -> Iterator[None]:
        """The memory store has no lock worth rehearsing for: nothing is recorded."""
        yield None

    def replay(self, rec: object) -> None:
        raise InvariantBroken("the memory store records no rehearsals")

    @contextmanager
    def step(self, name: str = "command_step") -> Iterator[None]:
        """One command of a group commit: on an exception the working copy goes back to
        what it was before the command (the repositories are made per command)."""
        if self._work is None:
            raise InvariantBroken("unit of work used outside its 'with' block")
        before, seq, decided = self._work.copy(), self.store.seq, len(self.decided)
        try:
            yield
        except BaseException:
            self._work, self.store.seq = before, seq
            del self.decided[decided:]
            raise

    def commit(self) -> None:
        if self._work is None:
            raise InvariantBroken("commit outside the unit of work")
        self.store.tables = self._work
        self._work = None
