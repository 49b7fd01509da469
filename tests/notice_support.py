"""Versions of the shipped MyProtektor and Conek policies for the policy-notice tests: the
same text with another version name and effective date, and optionally a material change
(a longer grace period) or a wording-only change (a clause title)."""

from __future__ import annotations

from datetime import date

from refundable.bootstrap import App
from refundable.config import shipped_policies_dir
from refundable.service import commands as c
from refundable.service.common import Receipt

MYPROTEKTOR_V1 = ("2.0.0", "2026-02-25")
CONEK_V1 = ("2025-10-25", "2025-10-25")


def policy_text(policy: str) -> str:
    return (shipped_policies_dir() / f"{policy}.yaml").read_text(encoding="utf-8")


def new_version(policy: str, name: str, effective: date, change: str = "material") -> str:
    """``policy``'s shipped text as version ``name`` from ``effective``; ``change`` is
    ``material`` (grace 7 -> 10 days), ``wording`` (a clause title) or ``none``."""
    text = policy_text(policy)
    old_name, old_day = MYPROTEKTOR_V1 if policy == "myprotektor" else CONEK_V1
    text = text.replace(f'version: "{old_name}"', f'version: "{name}"', 1)
    text = text.replace(f"effective_from: {old_day}", f"effective_from: {effective}", 1)
    if change == "material":
        text = text.replace("grace_days: 7", "grace_days: 10", 1)
    elif change == "wording":
        text = text.replace('title: "Changes to this policy"', 'title: "How this policy changes"')
    return text


def open_policy_tenant(app: App, tenant: str, policy: str) -> Receipt:
    return app.ledger.handle(c.PublishPolicy(tenant, "v1", policy_text(policy), name=policy))
