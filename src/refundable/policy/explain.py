"""A policy in plain language, for the people who review it: promises, fees, and every rule
in the order the engine tries them, with the conditions compiled from the document."""

from __future__ import annotations

from refundable.policy.compiled import CompiledPolicy


def describe_policy(p: CompiledPolicy) -> str:
    doc = p.document
    lines = [
        f"{doc.name} — policy {doc.policy} version {doc.version}, in force from "
        f"{doc.effective_from} ({doc.timezone}, {doc.currency})",
        f"Source: {doc.source}",
        "",
    ]
    hours = doc.calendar.business_hours
    week = p.calendar.working_week(doc.effective_from)
    lines.append(
        f"Business days: {week} {hours.opens:%H:%M}-{hours.closes:%H:%M}, "
        f"minus public holidays of {doc.calendar.country or 'no country'}"
    )
    if p.window:
        lines.append(
            f"Request window ({p.cite(p.window.clause)}): {p.window.text}; covers "
            + ", ".join(r.id for r in p.rules if r.windowed)
        )
    for label, promise in (("Decision", p.review), ("Payment", p.payout)):
        if promise:
            lines.append(f"{label} promise: {promise.text} ({p.cite(promise.clause)})")
    for method, promise in p.payout_by_method.items():
        lines.append(f"Payment by {method}: {promise.text} ({p.cite(promise.clause)})")
    if p.appeal:
        lines.append(p.appeal)
    for fid, fee in doc.fees.items():
        lines.append(f"Fee {fid} ({p.cite(fee.clause)}): {fee.description}")
    lines += ["", "Rules, tried in order (the first that applies decides):"]
    for i, rule in enumerate(p.rules, 1):
        then = rule.then
        lines.append(
            f"{i:2}. {rule.id} [{p.cite(rule.clause)}] -> {then.outcome.value}"
            f" / {then.remedy.value}" + (f" ({then.amount.formula.value})" if then.amount else "")
        )
        lines.append(f"    {rule.description}")
        lines.append("    when " + " and ".join(c.text for c in rule.when))
        for req in rule.requires:
            lines.append(f"    requires {req.cond.text} ({p.cite(req.clause)})")
    lines.append(
        f"Otherwise: {doc.default.outcome.value} ({p.cite(doc.default.clause)}): "
        f"{doc.default.explanation}"
    )
    if doc.readings:
        lines += ["", "Readings chosen where the text is ambiguous:"]
        for r in doc.readings:
            lines.append(f"- {p.cite(r.clause)}: {r.issue} -> {r.chosen}")
    return "\n".join(lines)
