"""A policy's ``lifecycle:`` section compiled into the rules the transitions read.

The section is validated by the policy language (document.py, with file:line problems); this
turns it into :class:`~refundable.billing.rules.LifecycleRules` once, so ``apply`` never reads
the document and no tenant has code of its own.
"""

from __future__ import annotations

from refundable.billing.rules import (
    NO_RETENTION,
    CancellationRule,
    DiscontinuationRule,
    DowngradeMode,
    DowngradeRule,
    EntitlementRule,
    LifecycleRules,
    PrepaidTreatment,
    PromotionRule,
    ReactivationMode,
    ReactivationRule,
    Retention,
    Stacking,
    SuspensionRule,
    TerminationRule,
    TrialRule,
    UpgradeRule,
    UsageRule,
)
from refundable.core.money import Money
from refundable.policy.document import LifecycleDoc, PolicyDocument


def lifecycle_rules(doc: PolicyDocument) -> LifecycleRules | None:
    """The lifecycle rules of ``doc``, or None when the policy has no ``lifecycle:`` section."""
    life = doc.lifecycle
    if life is None:
        return None
    return LifecycleRules(
        currency=doc.currency,
        billing_clause=life.billing.clause,
        upgrade=UpgradeRule(life.upgrade.clause, True, life.upgrade.prorate_difference),
        downgrade=DowngradeRule(
            life.downgrade.clause,
            DowngradeMode(life.downgrade.mode.value),
            life.downgrade.credits_transfer,
        ),
        cancellation=_cancellation(life, doc.currency),
        trial=None
        if life.trial is None
        else TrialRule(
            life.trial.clause,
            life.trial.credits_clause,
            life.trial.card_required,
            life.trial.charge_at_end,
            life.trial.credits_roll_into_paid,
        ),
        suspension=SuspensionRule(
            life.suspension.clause,
            life.suspension.grace_days,
            tuple(life.suspension.dunning_notice_days),
            frozenset(life.suspension.exempt_features),
            life.suspension.exempt_clause,
        ),
        termination=None
        if life.termination is None
        else TerminationRule(
            life.termination.clause,
            life.termination.credits_forfeited,
            life.termination.access_ends_now,
        ),
        reactivation=ReactivationRule(
            life.reactivation.clause,
            ReactivationMode(life.reactivation.mode.value),
            life.reactivation.credits_carried_over,
        ),
        retention=_retention(life),
        entitlements=None
        if life.entitlements is None
        else EntitlementRule(
            life.entitlements.clause,
            life.entitlements.features_by_plan,
            life.entitlements.seat_limits,
        ),
        usage=None
        if life.usage is None
        else UsageRule(life.usage.clause, life.usage.dispute_clause),
        discontinuation=_discontinuation(life),
        promotions=_promotions(life),
    )


def _discontinuation(life: LifecycleDoc) -> DiscontinuationRule | None:
    d = life.discontinuation
    if d is None:
        return None
    return DiscontinuationRule(d.clause, d.notice_days, PrepaidTreatment(d.prepaid.value),
                               tuple(d.reminder_days), tuple(d.also_cites))  # fmt: skip


def _promotions(life: LifecycleDoc) -> PromotionRule | None:
    p = life.promotions
    if p is None:
        return None
    return PromotionRule(p.clause, p.credits_clause or p.clause, Stacking(p.stacking.value),
                         p.credits_roll_into_paid)  # fmt: skip


def _cancellation(life: LifecycleDoc, currency: str) -> CancellationRule:
    c = life.cancellation
    charge = c.early_termination_charge
    return CancellationRule(
        c.clause,
        c.annual_notice_days,
        c.notice_clause,
        None if charge is None else Money.of(charge, currency),
        c.immediate_clause,
        c.cooling_off_days,
        c.cooling_off_clause,
        c.fees_due_clause,
    )


def _retention(life: LifecycleDoc) -> Retention:
    r = life.retention
    if r is None:  # the policy states no retention period: nothing is purged by itself
        return NO_RETENTION
    return Retention(
        r.after_suspension.days,
        r.after_suspension.clause,
        r.after_cancellation.days,
        r.after_cancellation.clause,
        r.after_termination.days,
        r.after_termination.clause,
    )
