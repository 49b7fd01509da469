"""What leaves the business: payouts to payment instruments and webhook endpoints (pure
records and transitions; the sending lives in ``service.outbox`` and ``adapters``)."""
