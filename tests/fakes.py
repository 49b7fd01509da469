"""Shared vocabulary of the service and integration tests: a tenant running a test policy,
the requests that policy approves (so refunds, credits and fees follow real decisions), money
in ZAR, instants from T0, and helpers that post through the bus."""

from __future__ import annotations

from datetime import datetime, timedelta

from refundable.bootstrap import MEMORY_URL, App, bootstrap
from refundable.config import shipped_policies_dir
from refundable.core.methods import Method
from refundable.core.money import Money
from refundable.core.time import UTC, FixedClock
from refundable.ledger.lots import LotSource
from refundable.ledger.money_ops import FeeFrom
from refundable.policy.facts import Request
from refundable.policy.requests import parse_request
from refundable.service import commands as c
from refundable.service.common import Receipt

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TENANT = "acme"

# Conek's policy (credits valid 30 days, platform failures reinstate, a chargeback holds the
# account under 9.2) plus, for tests only: Kero's wallet transfer routes, a fixed fee, and two
# rules that approve an account credit (third-party outage) or a refund with that fee
# (provider-caused failed delivery) of the whole charge, so one tenant exercises every
# policy-driven ledger command with amounts a test chooses through the request's facts.
EXTRA = """
wallet:
  transfers_allowed: [reseller_to_client, between_affiliates, approved_nonprofit_on_termination]
  clause: "4.1"
fees:
  test_fee:
    clause: "2.4"
    description: "Test fee of half the refund"
    percent: 50
"""
RULES = """rules:
  - id: test-credit
    clause: "2.4"
    description: Test only.
    when: {reason: service_outage, incident.cause: third_party}
    then: {outcome: approve, remedy: account_credit, amount: {formula: full}}
  - id: test-fee
    clause: "2.4"
    description: Test only.
    when: {reason: service_outage, incident.cause: user_error}
    then: {outcome: approve, remedy: refund, amount: {formula: full}, fees: [test_fee]}
"""


def acme_policy_text() -> str:
    conek = (shipped_policies_dir() / "conek.yaml").read_text()
    return conek.replace("rules:\n", RULES, 1) + EXTRA


def zar(text: str) -> Money:
    return Money.of(text, "ZAR")


def at(hours: float = 0, days: float = 0) -> datetime:
    return T0 + timedelta(hours=hours, days=days)


def open_tenant(app: App, tenant: str = TENANT) -> Receipt:
    """Publish the test policy as ``tenant``'s first version (registers the tenant)."""
    return app.ledger.handle(c.PublishPolicy(tenant, "publish", acme_policy_text(), name="Acme"))


def memory_app() -> App:
    """The in-memory store through the real bootstrap, with the test tenant open."""
    app = bootstrap(MEMORY_URL, FixedClock(T0))
    open_tenant(app)
    return app


def customer(app: App, tenant: str, cid: str, **links: object) -> Receipt:
    return app.ledger.handle(c.RegisterCustomer(tenant, f"reg-{cid}", cid, **links))  # type: ignore[arg-type]


def top_up(app: App, tenant: str, cid: str, amount: str, pid: str) -> Receipt:
    return app.ledger.handle(
        c.TopUpWallet(tenant, f"top-{pid}", pid, cid, zar(amount), Method.eft, "bank", T0)
    )


def card_payment(app: App, tenant: str, cid: str, amount: str, pid: str) -> Receipt:
    app.ledger.handle(c.RecordCharge(tenant, f"chg-{pid}", f"inv-{pid}", cid, zar(amount), T0))
    return app.ledger.handle(
        c.RecordPayment(tenant, f"pay-{pid}", pid, cid, zar(amount), Method.card, "stripe", T0)
    )


def lot(
    app: App, tenant: str, cid: str, lot_id: str, units: int, price: str, bought: float = 0,
    source: LotSource = LotSource.purchase, paid_from: c.PaidFrom = c.PaidFrom.invoice,
) -> Receipt:  # fmt: skip
    """A lot bought at ``bought`` days after T0; valid 30 days (the test policy's 4.1)."""
    return app.ledger.handle(
        c.BuyCreditLot(
            tenant, f"lot-{lot_id}", lot_id, cid, units, zar(price), source, at(days=bought),
            paid_from,
        )
    )  # fmt: skip


def decide(app: App, tenant: str, decision_id: str, cid: str, request: Request) -> Receipt:
    return app.ledger.handle(
        c.DecideRefund(tenant, f"dec-{decision_id}", decision_id, cid, request)
    )


def refund(
    app: App, tenant: str, key: str, refund_id: str, payment_id: str, amount: str,
    cid: str | None = None, when: datetime | None = None,
) -> Receipt:  # fmt: skip
    """Decide a duplicate-charge refund of ``amount`` for the payer (``cid``, by default the
    payment's customer) and pay it."""
    payer = cid or payer_of(app, tenant, payment_id)
    decide(app, tenant, f"d-{refund_id}", payer, duplicate_charge(amount))
    return app.ledger.handle(
        c.PayRefund(tenant, key, refund_id, payment_id, f"d-{refund_id}", when or at(1))
    )


def payer_of(app: App, tenant: str, payment_id: str) -> str:
    with app.ledger.uow_factory() as uow:
        payment = uow.repositories(tenant).payments.lock(payment_id)
    return payment.customer_id if payment is not None else "C1"


def grant(app: App, tenant: str, key: str, grant_id: str, cid: str, amount: str) -> Receipt:
    """Decide an account credit of ``amount`` for ``cid`` and grant it."""
    decide(app, tenant, f"d-{grant_id}", cid, credit_due(amount))
    return app.ledger.handle(c.GrantAccountCredit(tenant, key, grant_id, cid, f"d-{grant_id}", T0))


def fee(
    app: App, tenant: str, key: str, fee_id: str, cid: str, amount: str,
    charge_to: FeeFrom = FeeFrom.wallet, when: datetime = T0,
) -> Receipt:  # fmt: skip
    """Decide a refund whose fee is ``amount`` for ``cid`` and charge that fee."""
    double = str(Money.of(amount, "ZAR").amount * 2)
    decide(app, tenant, f"d-{fee_id}", cid, fee_due(double))
    return app.ledger.handle(
        c.ChargeFee(tenant, key, fee_id, cid, f"d-{fee_id}", when, charge_to=charge_to)
    )


def _request(amount: str, reason: str, charged: datetime, **more: object) -> Request:
    return parse_request(
        {
            "policy": "conek",
            "requested_at": (charged + timedelta(days=2)).isoformat(),
            "reason": reason,
            "charge": {
                "kind": "subscription",
                "amount": amount,
                "currency": "ZAR",
                "charged_at": charged.isoformat(),
            },
            **more,
        }
    )


def duplicate_charge(amount: str, charged: datetime = T0) -> Request:
    """Approved in full as a refund (Conek 2.2): a duplicate charge reported in time."""
    return _request(amount, "duplicate_charge", charged)


def credit_due(amount: str, charged: datetime = T0) -> Request:
    """Approved in full as an account credit (the test policy's ``test-credit`` rule)."""
    incident = {"started_at": charged.isoformat(), "cause": "third_party"}
    return _request(amount, "service_outage", charged, incident=incident)


def fee_due(amount: str, charged: datetime = T0) -> Request:
    """Approved as a refund of ``amount`` less a fee of half of it (the ``test-fee`` rule)."""
    incident = {"started_at": charged.isoformat(), "cause": "user_error"}
    return _request(amount, "service_outage", charged, incident=incident)
