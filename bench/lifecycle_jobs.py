"""One job run over a month-end: SUBS subscriptions renewing and LOTS credit lots expiring, all
due at once, on SQLite and PostgreSQL, beside a bare bulk write of the same rows.

Method (docs/benchmarks.md, "Lifecycle jobs"): one tenant on Conek's policy. Setup (not timed):
one subscription is made through the bus, then cloned in bulk into SUBS subscriptions (one per
customer) with their renewal actions due at DUE; LOTS promotional lots (LOTS / SUBS per customer,
no price, so expiry moves units only) are posted with their purchase entries and one expiry
action due at DUE. Timed: ``refundable jobs run`` in a child process (the real CLI: due actions
claimed 50 per transaction through the bus, ADR 0065; the renewal posts the charge, writes the
subscription, its history line, the next renewal and the notice; expiry runs in bounded
batches of 10,000 lots), with its progress lines on stderr counted (the last one is printed);
peak memory is the child's max RSS. Then, in
the same run, the limit: bare SQL writing the same rows (update every subscription, action and
lot row once; insert a copy of the entries, lines, history lines and outbox rows the job wrote
under another tenant), and the job's time as a multiple of it.

    .venv/bin/python bench/lifecycle_jobs.py [--subs 100000] [--lots 1000000] [--store both]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from ledger_ingest import drop_pg, pg_database  # one way to make a bench database
from refundable.adapters.db import rows
from refundable.adapters.db import schema as t
from refundable.adapters.db.prepared import flush
from refundable.adapters.db.repository import SqlJournal
from refundable.adapters.db.repository_scheduling import SqlSchedule
from refundable.adapters.db.repository_subscriptions import subscription_row
from refundable.billing.plans import Cycle
from refundable.billing.records import SubscriptionRecord
from refundable.bootstrap import App, bootstrap
from refundable.config import shipped_policies_dir
from refundable.core.money import Money
from refundable.core.time import UTC, FixedClock
from refundable.ledger import accounts as chart
from refundable.ledger.entries import EntryKind, JournalEntry, Line
from refundable.ledger.lots import CreditLot, LotSource
from refundable.scheduling.model import ActionKind, ScheduledAction
from refundable.service import commands as c

SETUP_AT = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)  # before today: the real clock's job run takes it
CHUNK = 5_000  # customers per setup transaction
CLI = Path(sys.executable).with_name("refundable")
DRAIN: list[str] = []  # ["--no-outbox"]: time the due actions alone (the webhooks wait)


def template(app: App, tenant: str) -> SubscriptionRecord:
    """One real subscription through the bus: the shape every clone copies."""
    text_ = (shipped_policies_dir() / "conek.yaml").read_text()
    app.bus.handle(c.PublishPolicy(tenant, "bench", text_, name="Bench"))
    app.bus.handle(c.DefinePlan(tenant, "plan", "bench", 1, Cycle.monthly, Money.of("99", "ZAR")))
    app.bus.handle(c.Subscribe(tenant, "tpl", "C0", "C0", "bench", SETUP_AT))
    found = app.subscriptions.record(tenant, "C0")
    assert found is not None and found.subscription.billing.period_end_at == DUE
    return found


def clone_subscriptions(conn: Connection, tenant: str, tpl: SubscriptionRecord, lo: int,
                        hi: int) -> None:  # fmt: skip
    subs, actions = [], []
    for i in range(max(lo, 1), hi):
        sid = f"C{i}"
        rec = replace(tpl, subscription_id=sid, customer_id=sid,
                      subscription=replace(tpl.subscription, key=sid))  # fmt: skip
        subs.append({"tenant_id": tenant, **subscription_row(rec)})
        actions.append(ScheduledAction.new(tenant, ActionKind.renewal, sid, DUE, {"clause": "3.2"}))
    if subs:
        conn.execute(t.subscriptions.insert(), subs)
    SqlSchedule(conn, tenant, FixedClock(SETUP_AT)).add(actions)
    flush(conn)


def post_lots(conn: Connection, tenant: str, lo: int, hi: int, per: int) -> None:
    """``per`` promotional lots per customer, each its own unit line in one purchase entry."""
    entries, lots = [], []
    for i in range(lo, hi):
        cust, eid = f"C{i}", f"buy-{i}"
        mine = [
            CreditLot.fresh(f"L{i}-{k}", tenant, cust, chart.CREDIT_UNIT, 10, 0, "ZAR",
                            DUE - timedelta(seconds=1), LotSource.promotion, SETUP_AT)
            for k in range(per)
        ]  # fmt: skip
        lines = [Line(chart.tenant_account(chart.Kind.credits_issued, chart.CREDIT_UNIT), 10 * per)]
        lines += [Line(chart.credit_lots(cust), -10, x.lot_id) for x in mine]
        entries.append(JournalEntry(eid, tenant, EntryKind.lot_purchase, SETUP_AT, tuple(lines),
                                    "bench lots", eid))  # fmt: skip
        lots += [rows.lot_row(x, eid) for x in mine]
    SqlJournal(conn, tenant, FixedClock(SETUP_AT)).post(entries, None)
    conn.execute(t.lots.insert(), lots)


def setup(app: App, tenant: str, subs: int, lots: int) -> SubscriptionRecord:
    tpl = template(app, tenant)
    per = max(lots // subs, 1)
    for lo in range(0, subs, CHUNK):
        with app.db.begin() as conn:
            clone_subscriptions(conn, tenant, tpl, lo, min(lo + CHUNK, subs))
            post_lots(conn, tenant, lo, min(lo + CHUNK, subs), per)
    with app.db.begin() as conn:
        expiry = ScheduledAction.new(tenant, ActionKind.expire_lots, chart.CREDIT_UNIT, DUE)
        SqlSchedule(conn, tenant, FixedClock(SETUP_AT)).add([expiry])
        flush(conn)  # the repository's writes may wait for the next statement (ADR 0044)
    return tpl


def job_run(url: str) -> tuple[float, float, int, int, str]:
    """``refundable jobs run`` in a child: (wall s, CPU s, peak RSS KiB, progress lines, report).
    The child's CPU time is reported beside the wall time: on a loaded machine the wall time
    mostly measures the wait for a core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen([str(CLI), "jobs", "run", "--db", url, "--batch", "500", *DRAIN],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    out, err = child.communicate()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if child.returncode != 0:
        raise SystemExit(f"jobs run failed: {err[-2000:]}")
    lines = [line.strip() for line in err.splitlines() if "ran" in line]
    if lines:
        print(f"  progress: {len(lines)} lines, first {lines[0]!r}, last {lines[-1]!r}")
    return seconds, cpu, after.ru_maxrss, len(lines), out.strip()


WRITTEN = {  # the job's new rows: (table, filter on the tenant's rows)
    "entries": "recorded_us > :setup",
    "lines": "entry_id IN (SELECT entry_id FROM entries WHERE tenant_id = :t "
    "AND recorded_us > :setup)",
    "subscription_events": "recorded_us > :setup",
    "outbox": "created_us >= :due",
}


def counts(conn: Connection, tenant: str) -> dict[str, int]:
    p = {"t": tenant, "setup": rows.to_us(SETUP_AT), "due": rows.to_us(DUE)}
    found = {
        table: conn.execute(
            text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t AND {where}"), p
        ).scalar_one()
        for table, where in WRITTEN.items()
    }
    found["subscriptions renewed"] = conn.execute(
        text("SELECT count(*) FROM subscriptions WHERE tenant_id = :t AND period_index = 1"), p
    ).scalar_one()
    found["lots expired"] = conn.execute(
        text("SELECT count(*) FROM lots WHERE tenant_id = :t AND status = 'expired'"), p
    ).scalar_one()
    found["actions run"] = conn.execute(
        text("SELECT count(*) FROM scheduled_actions WHERE tenant_id = :t AND state = 'done'"), p
    ).scalar_one()
    return found


def bare(app: App, tenant: str) -> float:
    """The limit: one statement per table writing the same rows, no logic, committed."""
    other = f"x{uuid.uuid4().hex[:8]}"
    p: dict[str, Any] = {"t": tenant, "o": other, "setup": rows.to_us(SETUP_AT),
                         "due": rows.to_us(DUE)}  # fmt: skip
    acc = ", ".join(col.name for col in t.accounts.columns if col.name != "tenant_id")
    with app.db.begin() as conn:  # accounts for the copy's lines (not timed)
        zeroed = acc.replace("balance", "0")
        copy = f"INSERT INTO accounts (tenant_id, {acc}) SELECT :o, {zeroed} FROM accounts"
        conn.execute(text(copy + " WHERE tenant_id = :t"), p)
    statements = [
        "UPDATE subscriptions SET period_index = period_index, version = version "
        "WHERE tenant_id = :t",
        "UPDATE scheduled_actions SET attempts = attempts WHERE tenant_id = :t",
        "UPDATE lots SET remaining = remaining, status = status WHERE tenant_id = :t",
    ]
    for table, where in WRITTEN.items():
        cols = ", ".join(col.name for col in t.metadata.tables[table].columns
                         if col.name != "tenant_id")  # fmt: skip
        statements.append(f"INSERT INTO {table} (tenant_id, {cols}) SELECT :o, {cols} "
                          f"FROM {table} WHERE tenant_id = :t AND {where}")  # fmt: skip
    start = time.perf_counter()
    with app.db.begin() as conn:
        for sql in statements:
            conn.execute(text(sql), p)
    return time.perf_counter() - start


def run(name: str, url: str, subs: int, lots: int) -> None:
    app = bootstrap(url, FixedClock(SETUP_AT), apply_migrations=True)
    tenant = f"b{uuid.uuid4().hex[:8]}"
    start = time.perf_counter()
    setup(app, tenant, subs, lots)
    print(f"{name}: setup {time.perf_counter() - start:,.0f} s ({subs:,} subscriptions, "
          f"{lots:,} lots)", flush=True)  # fmt: skip
    seconds, cpu, peak_kib, progress, report = job_run(url)
    with app.db.connect() as conn:
        found = counts(conn, tenant)
    assert found["subscriptions renewed"] == subs, found
    assert found["lots expired"] == (lots // subs) * subs, found
    written = sum(v for k, v in found.items() if k in WRITTEN)
    touched = found["subscriptions renewed"] + found["lots expired"] + found["actions run"]
    limit = bare(app, tenant)
    app.close()
    print(f"{name}: job run {seconds:,.1f} s wall, {cpu:,.1f} s CPU ({report}); "
          f"{found['actions run']:,} actions "
          f"= {found['actions run'] / seconds:,.0f} actions/s; rows written {written:,} + rows "
          f"updated {touched:,} = {(written + touched) / seconds:,.0f} rows/s; peak RSS "
          f"{peak_kib / 1024:,.0f} MiB; {progress} progress lines")  # fmt: skip
    print(f"{name}: bare bulk write of the same rows {limit:,.1f} s; job / bare = "
          f"{seconds / limit:,.1f}x (wall), {cpu / limit:,.1f}x (job CPU); {found}",
          flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subs", type=int, default=100_000)
    parser.add_argument("--lots", type=int, default=1_000_000)
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--no-outbox", action="store_true", help="time the due actions alone")
    args = parser.parse_args()
    if args.no_outbox:
        DRAIN.append("--no-outbox")
    print(f"load average at start: {os.getloadavg()}")
    if args.store in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
            run("sqlite", f"sqlite:///{tmp}/bench.db", args.subs, args.lots)
    if args.store in ("postgresql", "both"):
        name, url = pg_database()
        try:
            run("postgresql", url, args.subs, args.lots)
        finally:
            drop_pg(name)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
