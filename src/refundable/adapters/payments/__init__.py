"""Payment gateways (the sandbox with switchable faults, Stripe on the official SDK) and the
exchange-rate table, behind the ``PaymentGateway`` and ``FxRates`` ports (ADR 0056)."""
