"""Policy changes with notice: which changes are material, and whether a version may apply yet.

A business that promised its customers notice before a change (MyProtektor 11: 30 days for a
material change) cannot publish a material change that takes effect sooner. Whether a change is
*material* is computed, not trusted: any difference in what can move money or rights (rules,
fees, parameters, windows and promises, credits, wallet, lifecycle, the notice terms, the
default) is material; wording (titles, descriptions, explanations, readings, notes) is not. A
publisher may also declare a change material that the comparison finds cosmetic, never the
reverse (ADR 0050). The notice terms that govern a change are those of the version being
replaced: they are what the customers agreed to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from refundable.core.errors import NoticeTooShort
from refundable.policy.compiled import CompiledPolicy
from refundable.policy.document import ChangesDoc, NotifyDoc, PolicyDocument
from refundable.tenants.model import PolicyVersion

# Keys whose values are wording for people: changing them changes no amount, window or right.
_WORDING = frozenset(
    {
        "name",  # the business's name, a holiday's name
        "version",
        "effective_from",
        "source",
        "title",
        "informational",
        "description",
        "reading",
        "readings",
        "explanation",
        "explain",
        "notes",
        "ask",
        "item",
    }
)


def material_changes(old: PolicyDocument, new: PolicyDocument) -> tuple[str, ...]:
    """The top-level sections whose content differs in a way that matters (sorted);
    empty when only wording changed."""
    before, after = _substance(old.model_dump(mode="json")), _substance(new.model_dump(mode="json"))
    keys = set(before) | set(after)
    return tuple(sorted(k for k in keys if before.get(k) != after.get(k)))


def _substance(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _substance(v) for k, v in value.items() if k not in _WORDING}
    if isinstance(value, list):
        return [_substance(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class NoticePlan:
    """What publishing a version owes customers: whether the change is material (and why),
    when they are told, and whether a notice must be sent at all."""

    material: bool
    changed: tuple[str, ...]
    notified_at: datetime
    send: bool
    clause: str | None
    channels: tuple[str, ...]


def replaced_version(
    versions: Sequence[PolicyVersion], new: CompiledPolicy
) -> PolicyVersion | None:
    """The published version in force just before ``new`` takes effect (None: first one)."""
    earlier = [v for v in versions if v.effective_from < new.effective_from]
    return max(earlier, key=lambda v: v.effective_from) if earlier else None


def check_notice(
    previous: CompiledPolicy | None,
    new: CompiledPolicy,
    notified_at: datetime,
    declared_material: bool,
    file: str,
) -> NoticePlan:
    """The notice a new version needs, or ``NoticeTooShort`` when a material change would
    take effect inside the notice period that ``previous`` promised."""
    if previous is None:  # a first version replaces nothing: nobody to tell
        return NoticePlan(False, (), notified_at, False, None, ())
    changed = material_changes(previous.document, new.document)
    material = bool(changed) or declared_material
    terms = previous.document.changes
    if terms is None:
        return NoticePlan(material, changed, notified_at, False, None, ())
    if material and terms.notice_days > 0:
        earliest = earliest_effective(notified_at, terms.notice_days, previous.document.timezone)
        if new.effective_from < earliest:
            raise _too_short(new, changed, terms, notified_at, earliest, file)
    send = terms.notify is NotifyDoc.all or (material and terms.notify is NotifyDoc.material)
    channels = tuple(c.value for c in terms.channels)
    return NoticePlan(material, changed, notified_at, send, terms.clause, channels)


def earliest_effective(notified_at: datetime, notice_days: int, timezone: str) -> date:
    """The first effective date (local midnight) at least ``notice_days`` full days after
    customers were told."""
    zone = ZoneInfo(timezone)
    due = (notified_at + timedelta(days=notice_days)).astimezone(zone)
    first = due.date()
    if due.replace(tzinfo=None) > datetime.combine(first, time()):
        first += timedelta(days=1)
    return first


def _too_short(
    new: CompiledPolicy,
    changed: tuple[str, ...],
    terms: ChangesDoc,
    notified_at: datetime,
    earliest: date,
    file: str,
) -> NoticeTooShort:
    what = f"changes {', '.join(changed)}" if changed else "is declared material"
    told = notified_at.astimezone(ZoneInfo(new.document.timezone)).strftime("%Y-%m-%d %H:%M %Z")
    return NoticeTooShort(
        f"version {new.version} {what} and would take effect on {new.effective_from}, inside "
        f"the {terms.notice_days}-day notice that clause {terms.clause} promises customers "
        f"told on {told}",
        where=f"{file}: effective_from",
        allowed=f"an effective date on or after {earliest.isoformat()}, "
        "or customers told earlier (notified_on)",
        details={
            "clause": terms.clause,
            "notice_days": terms.notice_days,
            "earliest_effective_from": earliest.isoformat(),
            "changed": list(changed),
        },
    )
