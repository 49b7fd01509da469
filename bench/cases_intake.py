"""Refund-case intake through the service, next to the bare posting path, in one run.

Issue 10's figure: cases per second where one intake is the whole of it: claim the keys, load
the stored payment, check the intake items, decide under the version in force, store the case,
its events and the decision, post the fee (ledger), write the payout, the webhooks and the
emails (outbox), schedule the stage alarms, one durable commit. The policy is Kero's (a
wallet top-up cancelled within 24 hours: approved, 7% fee with a USD 100 minimum posted from
the wallet, the net paid back), so every intake moves money.

It also prints this process's CPU time per intake and per posting (SQLite's work is in
the process; PostgreSQL's server is not), steadier than wall time on a loaded machine.

Limits measured in the same run on the same database (ratios printed):
* **posting**: a single payment posting through the same bus (``bench/ledger_single.py``'s
  service path: one entry, one durable commit);
* **bare**: the same payment's rows written with the raw driver, one commit each
  (``bench/ledger_single.py``'s bare loop).

    .venv/bin/python bench/cases_intake.py [--n 500] [--store both]
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger_single import bare, bare_setup, on_stores, service_command, timed
from refundable.bootstrap import App, bootstrap
from refundable.cases.model import Subject
from refundable.config import shipped_policies_dir
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.core.time import UTC, FixedClock
from refundable.policy.facts import Reason
from refundable.service import commands as c

T0 = datetime(2026, 4, 10, 6, 15, tzinfo=UTC)
FACTS = {"charge": {"kind": "wallet_topup", "auto": True}}


def prepare(app: App, tenant: str, n: int) -> None:
    """Kero as the tenant, and one automatic wallet top-up per case (not timed)."""
    text = (shipped_policies_dir() / "kero.yaml").read_text()
    app.bus.handle(c.PublishPolicy(tenant, "v1", text, name="Kero"))
    for i in range(n):
        app.bus.handle(c.TopUpWallet(tenant, f"w{i}", f"w{i}", f"C{i}", Money.of("250.00", "USD"),
                                     Method.card, "stripe", T0, c.TopUpMode.automatic))  # fmt: skip


def intake(app: App, tenant: str, i: int) -> None:
    receipt = app.bus.handle(
        c.OpenCase(
            tenant,
            f"o{i}",
            f"case{i}",
            f"C{i}",
            Subject.payment,
            f"w{i}",
            Reason.unintended_auto_topup,
            T0 + timedelta(hours=12),
            f"customer:C{i}",
            facts=FACTS,
        )
    )
    assert receipt.details["state"] == "paying", receipt  # decided, fee posted, payout written


def run(name: str, url: str, n: int) -> None:
    app = bootstrap(url, FixedClock(T0), apply_migrations=True)
    tenant, posting_tenant, bare_tenant = (f"{p}{uuid.uuid4().hex[:8]}" for p in "kpx")
    prepare(app, tenant, n)
    conek = (shipped_policies_dir() / "conek.yaml").read_text()
    app.bus.handle(c.PublishPolicy(posting_tenant, "v1", conek, name="P"))
    bare_setup(app, bare_tenant, n)
    cpu0 = time.process_time()
    cases = timed(n, lambda i: intake(app, tenant, i))
    cpu1 = time.process_time()
    posting = timed(n, lambda i: app.bus.handle(service_command("payment", posting_tenant, i)))
    cpu2 = time.process_time()
    limit = bare(app, bare_tenant, "payment", n)
    print(f"{name:<10} case intake {cases:>6,.0f}/s   payment posting {posting:>6,.0f}/s   "
          f"bare insert+commit {limit:>6,.0f}/s   intake/posting {cases / posting:>4.0%}   "
          f"intake/bare {cases / limit:>4.0%}   (n={n:,})")  # fmt: skip
    # this process's CPU per command (SQLite's work included; PostgreSQL's server is not):
    # steadier than wall time on a loaded machine
    intake_ms, posting_ms = (cpu1 - cpu0) * 1000 / n, (cpu2 - cpu1) * 1000 / n
    print(f"{name:<10} client CPU per intake {intake_ms:.2f} ms, per payment posting "
          f"{posting_ms:.2f} ms, intake/posting {intake_ms / posting_ms:.1f}x")  # fmt: skip
    app.close()


def main() -> None:
    on_stores(run, 500)


if __name__ == "__main__":
    main()
