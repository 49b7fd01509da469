"""Customers' personal data and how long it is kept: profiles (names and contact details kept
apart from money), retention schedules dated by the policy, and the record of every erasure.
Pure records and rules; storage and handlers live in adapters and service (ADR 0051)."""
