"""A policy in plain language, for the people who review it: promises, fees, and every rule
in the order the engine tries them, its conditions said in words (no field paths: the same
labels as a decision's explanation, policy/labels.py)."""

from __future__ import annotations

from refundable.policy.compiled import CompiledPolicy, CompiledRule
from refundable.policy.plain import statement
from refundable.policy.wording import FORMULAS, REMEDIES, VERBS, Citer, phrasing


def describe_policy(p: CompiledPolicy) -> str:
    doc = p.document
    cite = Citer(p)
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
        w = doc.process.request_window
        assert w is not None  # a compiled window comes from the document's
        unit = next(u for u in ("days", "hours", "business_days") if getattr(w, u) is not None)
        asked = statement({"within": {unit: getattr(w, unit), "of": w.of}}, phrasing(p))
        lines.append(
            f"Request window ({cite(p.window.clause)}): {asked}; for the rules "
            + ", ".join(r.id for r in p.rules if r.windowed)
        )
    for label, promise in (("Decision", p.review), ("Payment", p.payout)):
        if promise:
            lines.append(f"{label} promise: {promise.text} ({cite(promise.clause)})")
    for method, promise in p.payout_by_method.items():
        lines.append(f"Payment by {method}: {promise.text} ({cite(promise.clause)})")
    if p.appeal:
        lines.append(p.appeal)
    for fid, fee in doc.fees.items():
        lines.append(f"Fee {fid} ({cite(fee.clause)}): {fee.description}")
    lines += ["", "Rules, tried in order (the first that applies decides):"]
    for i, rule in enumerate(p.rules, 1):
        lines += _rule_lines(p, i, rule, cite)
    lines.append(
        f"Otherwise: {VERBS[doc.default.outcome].lower()} ({cite(doc.default.clause)}): "
        f"{doc.default.explanation}"
    )
    if doc.readings:
        lines += ["", "Readings chosen where the text is ambiguous:"]
        for r in doc.readings:
            lines.append(f"- {cite(r.clause)}: {r.issue} -> {r.chosen}")
    return "\n".join(lines)


def _rule_lines(p: CompiledPolicy, i: int, rule: CompiledRule, cite: Citer) -> list[str]:
    then, ph = rule.then, phrasing(p)
    raw = p.document.rules[rule.index]
    gives = ""
    if then.remedy.value != "none":
        gives = f", {REMEDIES[then.remedy][1]}"
        if then.amount is not None:
            gives += f" ({FORMULAS[then.amount.formula]})"
    lines = [
        f"{i:2}. {rule.id} [{cite(rule.clause)}]: {VERBS[then.outcome].lower()}{gives}",
        f"    {rule.description}",
        f"    when {statement(raw.when, ph)}",
    ]
    for req, raw_req in zip(rule.requires, raw.requires, strict=False):
        asked = raw_req.explain or statement(raw_req.condition, ph)
        lines.append(f"    requires: {asked} ({cite(req.clause)})")
    for need in rule.needs:
        lines.append(f"    if not given, asks for: {need.ask}")
    return lines
