"""Several writers on one SQLite file wait for each other; one that waits too long gets a
clear ``StoreBusy`` (issue 8: a raw "database is locked" OperationalError escaped from the
unit of work after 30 s)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from storage_helpers import T0, zar

from fakes import acme_policy_text
from races import attempts, race
from refundable.adapters.clock import SystemClock
from refundable.adapters.db.engine import make_engine, migrate
from refundable.adapters.db.queries import SqlLedgerQueries
from refundable.adapters.db.uow import SqlUnitOfWork
from refundable.core.errors import Conflict, StoreBusy
from refundable.core.methods import Method
from refundable.ledger import accounts as chart
from refundable.service import commands as c
from refundable.service.bus import MessageBus
from refundable.service.catalog import PolicyCatalog


def _bus(url: str, busy_timeout_s: float) -> MessageBus:
    engine = make_engine(url, busy_timeout_s=busy_timeout_s)
    clock = SystemClock()
    return MessageBus(lambda: SqlUnitOfWork(engine, clock), PolicyCatalog(), clock)


def _store(url: str) -> None:
    """A migrated file with tenant t1 open."""
    migrate(make_engine(url))
    _bus(url, 30).handle(c.PublishPolicy("t1", "publish", acme_policy_text(), name="Acme"))


def _top_up(key: str) -> c.TopUpWallet:
    return c.TopUpWallet("t1", key, key, "C1", zar("1.00"), Method.eft, "bank", T0)


def test_a_writer_that_waits_too_long_gets_store_busy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    _store(url)
    holder = sqlite3.connect(str(tmp_path / "busy.db"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    bus = _bus(url, busy_timeout_s=0.2)
    try:
        with pytest.raises(StoreBusy) as caught:
            bus.handle(_top_up("k1"))
        assert isinstance(caught.value, Conflict) and "locked" in str(caught.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert bus.handle(_top_up("k1")).entry_ids  # the lock is gone: the same command now posts


def test_writers_on_one_file_wait_for_each_other(tmp_path: Path) -> None:
    """8 writers, each with its own engine (as separate processes would have), 10 top-ups
    each on one wallet: every one lands, none is lost or doubled."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    _store(url)
    writers, each = 8, 10

    def write(w: int) -> list[BaseException]:
        bus = _bus(url, busy_timeout_s=30)
        return attempts(each, lambda i: bus.handle(_top_up(f"w{w}-{i}")))

    assert race(writers, write) == [[]] * writers
    balance = SqlLedgerQueries(make_engine(url)).balance("t1", chart.wallet("C1", "ZAR"))
    assert balance == zar("1.00").amount * writers * each
