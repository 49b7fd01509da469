"""Shared vocabulary of the outbox and payout tests: an approved refund waiting in the outbox
as a payout message, senders that record what they were asked, and a drain at an instant."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from fakes import T0, card_payment, customer, decide, duplicate_charge, zar
from refundable.adapters.payments.fx import FixedFxRates
from refundable.adapters.payments.sandbox import SandboxGateway
from refundable.bootstrap import App
from refundable.service.outbox import Env, OutboxReport, RetryPolicy, Senders, drain_outbox
from refundable.service.outbox_kinds import payout_message
from refundable.service.ports import OutboxMessage, PaymentGateway, WebhookResponse

PAID_AT = T0 + timedelta(days=3)


@dataclass
class Mails:
    sent: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    fail_next: int = 0

    def send(self, to: str, subject: str, text: str, html: str | None = None) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise ConnectionRefusedError("relay down")
        self.sent.append((to, subject, text, html))


@dataclass
class Hooks:
    posted: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    status: int = 204

    def post(self, url: str, headers: dict[str, str], body: bytes) -> WebhookResponse:
        self.posted.append((url, dict(headers), body))
        return WebhookResponse(self.status)


def senders(gateway: PaymentGateway, mails: Mails | None = None, hooks: Hooks | None = None,
            fx: str = "USD/ZAR=18.50") -> Senders:  # fmt: skip
    return Senders(
        gateway, mails or Mails(), hooks or Hooks(), FixedFxRates.parse(fx, "test table")
    )


def sandbox(tmp: Path) -> SandboxGateway:
    return SandboxGateway(tmp / "gateway.sqlite")


def write(app: App, tenant: str, *messages: OutboxMessage) -> None:
    """Add messages as a handler would: in one committed transaction."""
    with app.bus.uow_factory() as uow:
        repos = uow.repositories(tenant)
        for m in messages:
            repos.outbox.add(m)
        uow.commit()


def approved_payout(app: App, tenant: str, case: str, amount: str = "40.00",
                    cid: str = "C1") -> OutboxMessage:  # fmt: skip
    """A customer paid by card; a duplicate charge approved in full; its payout message."""
    customer(app, tenant, cid)
    card_payment(app, tenant, cid, amount, f"pay-{case}")
    decide(app, tenant, f"d-{case}", cid, duplicate_charge(amount))
    message = payout_message(f"msg-{case}", case_id=case, customer_id=cid,
                             payment_id=f"pay-{case}", amount=zar(amount),
                             decision_id=f"d-{case}", at=T0)  # fmt: skip
    write(app, tenant, message)
    return message


def drain(app: App, s: Senders, now: datetime = PAID_AT, tenant: str | None = None,
          policy: RetryPolicy | None = None) -> OutboxReport:  # fmt: skip
    assert app.outbox is not None
    env = Env(app.bus, app.outbox, s, now, policy or RetryPolicy())
    return drain_outbox(env, tenant_id=tenant)


def refund_entries(app: App, tenant: str) -> list[str]:
    return [e.entry_id for e in app.queries.journal(tenant) if e.kind.value == "refund"]


@contextmanager
def caseless_payouts() -> Iterator[None]:
    """The payouts of these tests belong to no refund case, so the hooks that move a case to
    paid (registered by the cases package) are set aside while they run, and put back."""
    import refundable.service.case_steps  # noqa: F401  registers its hook now, not mid-test
    from refundable.service.payouts import PAYOUT_SETTLED_HOOKS

    kept = list(PAYOUT_SETTLED_HOOKS)
    PAYOUT_SETTLED_HOOKS.clear()
    try:
        yield
    finally:
        PAYOUT_SETTLED_HOOKS[:] = kept
