"""The outbox worker's outside world, built from ``Settings``: the payment gateway, the
mailer, the webhook sender and the exchange-rate table (ADR 0056). Nothing connects until a
message needs it."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from refundable.config import Settings
from refundable.core.errors import ConfigurationError
from refundable.service.outbox import DEFAULT_BATCH, Env, OutboxReport, Senders, drain_outbox
from refundable.service.ports import FxRates, PaymentGateway

if TYPE_CHECKING:
    from refundable.bootstrap import App


def gateway(settings: Settings) -> PaymentGateway:
    kind = settings.payment_gateway or "sandbox"
    if kind == "sandbox":
        from refundable.adapters.payments.sandbox import SandboxGateway

        return SandboxGateway(settings.resolved_data_dir / "sandbox-gateway.sqlite")
    if kind == "stripe":
        if not settings.stripe_api_key:
            raise ConfigurationError(
                "the stripe gateway needs an API key",
                where="REFUNDABLE_STRIPE_API_KEY",
                allowed="the Stripe secret key (sk_...)",
            )
        from refundable.adapters.payments.stripe_gateway import StripeGateway, client

        return StripeGateway(client(settings.stripe_api_key, settings.stripe_api_base))
    raise ConfigurationError(
        f"unknown payment gateway {kind!r}",
        where="REFUNDABLE_PAYMENT_GATEWAY",
        allowed="sandbox or stripe",
    )


def fx_rates(settings: Settings) -> FxRates:
    """The exchange-rate source: the configured fixed table (offline, demo) or the ECB's
    daily reference rates fetched over HTTP (ADR 0067)."""
    kind = settings.fx_source or "fixed"
    if kind == "fixed":
        from refundable.adapters.payments.fx import FixedFxRates

        return FixedFxRates.parse(settings.fx_rates or "")
    if kind == "ecb":
        from refundable.adapters.payments.ecb_fx import ECB_DAILY, EcbFxRates

        return EcbFxRates(settings.fx_url or ECB_DAILY)
    raise ConfigurationError(
        f"unknown exchange-rate source {kind!r}",
        where="REFUNDABLE_FX_SOURCE",
        allowed="fixed or ecb",
    )


@lru_cache(maxsize=4)
def senders(settings: Settings) -> Senders:
    from refundable.adapters.email import SmtpMailer
    from refundable.adapters.webhooks import HttpWebhookSender

    return Senders(
        gateway(settings), SmtpMailer.from_settings(settings), HttpWebhookSender(),
        fx_rates(settings),
    )  # fmt: skip


def drain_now(app: App, tenant_id: str | None = None, batch: int = DEFAULT_BATCH) -> OutboxReport:
    """One pass of the outbox at the app's clock: what ``refundable jobs run`` and the
    server's loop call (``serve``: once per jobs interval, after the due actions)."""
    if app.outbox is None:
        raise ConfigurationError("this app was wired without an outbox store", where="App")
    wired = senders(app.settings or Settings.from_env())
    env = Env(app.bus, app.outbox, wired, app.clock.now())
    return drain_outbox(env, tenant_id=tenant_id, batch=batch)
