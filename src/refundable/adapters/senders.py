"""The outbox worker's outside world, built from ``Settings``: the payment gateway, the
mailer, the webhook sender and the exchange-rate table (ADR 0056). Nothing connects until a
message needs it."""

from __future__ import annotations

from refundable.config import Settings
from refundable.core.errors import ConfigurationError
from refundable.service.outbox import Senders
from refundable.service.ports import PaymentGateway


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


def senders(settings: Settings) -> Senders:
    from refundable.adapters.email import SmtpMailer
    from refundable.adapters.payments.fx import FixedFxRates
    from refundable.adapters.webhooks import HttpWebhookSender

    return Senders(
        gateway(settings),
        SmtpMailer.from_settings(settings),
        HttpWebhookSender(),
        FixedFxRates.parse(settings.fx_rates or ""),
    )
