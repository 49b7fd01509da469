"""Payouts per second through the outbox, next to the bare posting path, in the same run.

Issue 10 §4 puts a payout behind a transactional outbox, a payout record and a gateway call.
This measures what that costs against the limit it cannot beat, the refund posting itself:

* **outbox**: ``n`` approved refunds waiting as ``payout`` messages; one worker drains them
  (claim a batch, ``RequestPayout``, the sandbox gateway's refund, ``RecordGatewayRefund``
  which posts the refund to the ledger, the attempt recorded): wall time of the drain;
* **bare**: ``n`` ``PayRefund`` commands through the bus on other payments of the same store
  (the refund posting the settled payout reuses), one client, sequential.

Both on the same database, one after the other; the decisions, payments and outbox messages
are written beforehand (not timed). The sandbox gateway keeps its state in its own SQLite
file (WAL off, synchronous=FULL, on the same disk), as a local stand-in for a provider: its
two commits per payout are part of the outbox figure.

    .venv/bin/python bench/payouts.py [--n 300] [--store both]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakes import T0, customer, decide, duplicate_charge, open_tenant, zar
from ledger_ingest import drop_pg, pg_database
from outbox_kit import caseless_payouts, senders, write
from refundable.adapters.payments.sandbox import SandboxGateway
from refundable.bootstrap import App, bootstrap
from refundable.core.methods import Method
from refundable.core.time import FixedClock
from refundable.service import commands as c
from refundable.service.outbox import Env, drain_outbox
from refundable.service.outbox_kinds import payout_message

NOW = T0 + timedelta(days=3)


def _approved(app: App, tenant: str, n: int, prefix: str) -> None:
    """``n`` paid charges with an approved duplicate-charge refund each."""
    customer(app, tenant, "C1")
    for i in range(n):
        pid = f"{prefix}{i}"
        app.bus.handle(c.RecordCharge(tenant, f"chg-{pid}", f"inv-{pid}", "C1", zar("40"), T0))
        app.bus.handle(c.RecordPayment(tenant, f"pay-{pid}", pid, "C1", zar("40"), Method.card,
                                       "stripe", T0))  # fmt: skip
        decide(app, tenant, f"d-{pid}", "C1", duplicate_charge("40.00"))


def run(app: App, gateway_dir: Path, n: int) -> tuple[float, float]:
    tenant = f"b{uuid.uuid4().hex[:12]}"
    open_tenant(app, tenant)
    _approved(app, tenant, n, "o")
    _approved(app, tenant, n, "b")
    messages = [
        payout_message(f"m-o{i}", case_id=f"k-o{i}", customer_id="C1", payment_id=f"o{i}",
                       amount=zar("40.00"), decision_id=f"d-o{i}", at=T0)
        for i in range(n)
    ]  # fmt: skip
    write(app, tenant, *messages)
    assert app.outbox is not None
    env = Env(app.bus, app.outbox, senders(SandboxGateway(gateway_dir / "gw.sqlite")), NOW)
    started = time.perf_counter()
    report = drain_outbox(env, tenant_id=tenant, batch=100)
    outbox_s = time.perf_counter() - started
    assert report.sent == n, report
    started = time.perf_counter()
    for i in range(n):
        app.bus.handle(c.PayRefund(tenant, f"pr-b{i}", f"r-b{i}", f"b{i}", f"d-b{i}", NOW))
    bare_s = time.perf_counter() - started
    return n / outbox_s, n / bare_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    for store in ("sqlite", "postgresql") if args.store == "both" else (args.store,):
        with tempfile.TemporaryDirectory() as d:
            name = None
            if store == "sqlite":
                url = f"sqlite:///{Path(d) / 'bench.db'}"
            else:
                name, url = pg_database()
            app = bootstrap(url, FixedClock(NOW), apply_migrations=True)
            try:
                with caseless_payouts():  # bench payouts belong to no refund case
                    outbox, bare = run(app, Path(d), args.n)
            finally:
                app.close()
                if name:
                    drop_pg(name)
        print(f"{store}: outbox {outbox:.1f} payouts/s, bare PayRefund {bare:.1f}/s, "
              f"ratio {outbox / bare:.2f}")  # fmt: skip
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
