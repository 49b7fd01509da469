"""Subscriptions run by the policy: plans, the two timelines, proration and pure transitions.

A business hands its billing lifecycle (upgrades, downgrades, cancellation, trials, dunning,
suspension, termination, reactivation) to Refundable. This package decides what each lifecycle
event does, as data and without I/O: :func:`~refundable.billing.transitions.apply` returns the
new subscription and the effects (postings, scheduled actions, notices), each citing the
policy clause that asks for it. Storage, handlers and the clock runner live elsewhere.
"""
