"""Explanations a support agent can read aloud (issue 6, item 3).

Every decision of every shipped scenario and example is checked for what a customer must never
hear (field paths, Python values, ISO timestamps, 23:59:59), a few are checked word for word,
and every fact the shipped policies read has a plain label.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from refundable.config import shipped_examples_dir, shipped_policies_dir
from refundable.entrypoints.render_decision import print_decision
from refundable.policy import labels
from refundable.policy.decision import Decision
from refundable.policy.engine import decide
from refundable.policy.explain import describe_policy
from refundable.policy.factpaths import FACTS
from refundable.policy.plain import fact_paths
from refundable.policy.registry import SCENARIO_SUFFIX, PolicyRegistry
from refundable.policy.requests import parse_request_text
from refundable.policy.scenarios import run_file

POLICIES = shipped_policies_dir()
EXAMPLES = shipped_examples_dir()
SHIPPED = ("conek", "kelbix", "kero", "myprotektor")
JHB = ZoneInfo("Africa/Johannesburg")

FORBIDDEN = {
    "a field path": re.compile(r"\b[a-z][a-z_]*\.[a-z][a-z_]*\b"),
    "a code name": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "a Python value": re.compile(r"\b(True|False|None)\b"),
    "a Decimal": re.compile(r"Decimal\("),
    "an ISO timestamp": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d"),
    "an ISO date": re.compile(r"\b\d{4}-\d\d-\d\d\b"),
    "the end of a day as a time": re.compile(r"23:59"),
}


def forbidden_in(text: str) -> list[str]:
    return [f"{name}: {m[0]!r}" for name, rx in FORBIDDEN.items() if (m := rx.search(text))]


@cache
def registry() -> PolicyRegistry:
    return PolicyRegistry.load(POLICIES)


@cache
def scenario_decisions(policy: str) -> tuple[tuple[str, Decision], ...]:
    results = run_file(POLICIES / f"{policy}{SCENARIO_SUFFIX}", registry())
    return tuple((r.name, r.decision) for r in results if r.decision is not None)


def example(name: str) -> Decision:
    text = (EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8")
    request = parse_request_text(text)
    return decide(registry().in_force(request.policy, request.requested_at), request)


# --- nothing a customer must not hear, for every scenario of every policy ---------------------


@pytest.mark.parametrize("policy", SHIPPED)
def test_every_scenario_explanation_reads_plainly(policy):
    decisions = scenario_decisions(policy)
    assert len(decisions) >= 15
    bad = {name: found for name, d in decisions if (found := forbidden_in(d.explanation))}
    assert bad == {}


@pytest.mark.parametrize("policy", SHIPPED)
def test_every_trace_step_has_a_plain_sentence(policy):
    bad = {}
    for name, d in scenario_decisions(policy):
        for step in d.to_dict()["trace"]:
            found = forbidden_in(step["text"])
            if found or not step["text"]:
                bad[f"{name} / {step['rule']}"] = found or ["empty"]
    assert bad == {}


def test_every_example_explanation_reads_plainly():
    names = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
    assert len(names) >= 10
    bad = {n: found for n in names if (found := forbidden_in(example(n).explanation))}
    assert bad == {}


def test_the_forbidden_patterns_catch_what_they_are_for():
    assert forbidden_in("requested_at within 30 days of charge.charged_at") != []
    assert forbidden_in("written was False") != []
    assert forbidden_in("amount Decimal('1.00')") != []
    assert forbidden_in("due 2026-03-19T23:59:59.999999+02:00") != []
    assert forbidden_in("your request came 31 days after the charge of 1 March 2026") == []


# --- word for word ----------------------------------------------------------------------------


def test_a_late_request_says_how_late_and_what_the_policy_allows():
    assert example("conek-late-duplicate").explanation == (
        "Denied: the request falls under clause 2.2 (Duplicate charges refunded in full), but "
        "your request came 31 days after the charge of 1 March 2026, and clause 8.1 (How to ask "
        "for a refund: contact within 30 days from the charge, with details) allows 30. A "
        "decision is due by 17:00 on Friday 17 April 2026 (Africa/Johannesburg), under clause 8.2."
    )


def test_a_late_requirement_uses_the_policy_sentence_and_the_hours():
    assert example("kero-auto-topup-late").explanation == (
        "Denied: the request falls under clause Wallet Balances 4 (Auto top-up not intended: "
        "cancel within 24 hours), but cancellation of an auto top-up must be requested within "
        "24 hours of it: your request came 26 hours after the charge of 10 April 2026."
    )


def test_an_approval_with_a_fee_names_gross_fee_clause_and_basis():
    assert example("kero-duplicate-topup").explanation == (
        "Approved under clause Wallet Balances 1 (Top-ups made in error (duplicate or wrong "
        "amount): within 7 days, with proof): A top-up taken twice by mistake is refunded in "
        "full, less the admin fee. Remedy: a refund of USD 1,395.00 to the original payment "
        "method. That is the full charge of USD 1,500.00 less refund and administration fee (7% "
        "of the refund paid out, at least USD 100) of USD 105.00 under clause Refund and "
        "Administration Charges (Refund fee: 7%, at least USD 100; higher of it and a "
        "cooling-off fee; no refund into a negative wallet). Payment is due by the end of "
        "Saturday 14 March 2026 (Africa/Johannesburg), under clause Refund Timing."
    )


def test_a_proposal_with_a_converted_fee_names_gross_fee_clause_and_basis():
    # Wallet Balances 2 'may be eligible' is a discretion (ADR 0006): a review that proposes
    # the refund, with the USD 100 minimum fee converted at 18.50.
    assert example("kero-account-closure-zar").explanation.startswith(
        "Referred for review under clause Wallet Balances 2 (Account closure: unused wallet "
        "funds above what is owed may be refunded): When the account is closed, at the "
        "customer's request or by Kero for any reason, the wallet funds above what is owed may "
        "be refunded at Kero's discretion, less the admin fee. Proposed remedy: a refund of "
        "ZAR 9,650.00 to the original payment method. That is ZAR 11,500.00 less refund and "
        "administration fee (7% of the refund paid out, at least USD 100) of ZAR 1,850.00 under "
        "clause Refund and Administration Charges (Refund fee: 7%, at least USD 100; higher of "
        "it and a cooling-off fee; no refund into a negative wallet). Computed as the wallet "
        "balance of ZAR 12,000.00 less ZAR 500.00 owed."
    )


def test_a_converted_amount_says_the_rate():
    assert example("myprotektor-dollar-duplicate").explanation == (
        "Approved under clause 3.1 (Situations in which a refund will be considered): A "
        "transaction processed more than once is reversed in full. Remedy: a refund of "
        "ZAR 906.50 to the original payment method. Computed as the full charge of USD 49.00, "
        "converted at USD/ZAR 18.50. A decision and payment are both due by 17:00 on Wednesday "
        "1 April 2026 (Africa/Johannesburg), under clauses 7.3 and 4.1."
    )


def test_a_review_names_the_proposal_the_factors_and_the_alternatives():
    assert example("conek-outage-credit").explanation == (
        "Referred for review under clause 2.4 (Outages over 72 consecutive hours within our "
        "control: credits or extensions): An outage within our control lasting more than 72 "
        "consecutive hours is reviewed for a pro-rated credit. Proposed remedy: account credit "
        "of ZAR 149.93. Computed as ZAR 1,499.00 for 72 hours and 1 minute out of 720 hours. "
        "The business decides at its discretion, weighing: credit, subscription extension or "
        "extra message credits, as 2.4 allows. The clause also allows an extension of the "
        "subscription period or message credits reinstated to the account instead. A decision "
        "is due by 17:00 on Friday 24 April 2026 (Africa/Johannesburg), under clause 8.2."
    )


def test_an_approval_in_full_does_not_repeat_the_amount():
    text = example("myprotektor-guarantee").explanation
    assert text.count("12,000.00") == 1
    assert "Remedy: a refund of ZAR 12,000.00 to the original payment method." in text
    assert text.endswith(
        "A decision is due by 17:00 on Wednesday 22 April 2026 (Africa/Johannesburg), under "
        "clause 7.3. Payment is due by 17:00 on Wednesday 29 April 2026 (Africa/Johannesburg), "
        "under clause 8.1."
    )


def test_message_credits_are_counted_not_priced():
    assert "Remedy: 120 message credits reinstated to the account." in (
        example("conek-failed-messages").explanation
    )


def scenario(policy: str, name: str) -> Decision:
    return dict(scenario_decisions(policy))[name]


def test_a_review_for_missing_facts_asks_for_them_in_words():
    d = scenario("conek", "cooling-off without the sign-up channel asks for it")
    assert d.explanation == (
        "Referred for review under clause 10.2 (CPA cooling-off after a direct-marketing "
        "sign-up): Written cancellation within 5 business days of a direct-marketing sign-up, "
        "nothing used, is refunded in full. Before it can be decided we need to know how the "
        "customer came to sign up (for example through a marketing call or email) and whether "
        "the charge is the purchase the sign-up led to rather than a renewal. A decision is due "
        "by 17:00 on Wednesday 22 April 2026 (Africa/Johannesburg), under clause 8.2."
    )


def test_a_retained_fee_reads_as_what_the_business_keeps():
    kept_all = scenario("kelbix", "project cancelled on day 31 gets nothing back")
    assert kept_all.explanation == (
        "Denied under clause Schedule 4 (Everything is kept when the client cancels more than "
        "30 days after the first sale): A project cancelled more than 30 days after the initial "
        "sale gets no refund. The business keeps all of the ZAR 24,000.00 under clause "
        "Schedule 4 (100% cancellation fee: cancelled more than 30 days after the initial "
        "sale), so no refund is paid."
    )
    part = scenario("kelbix", "project cancelled after work was presented - a quarter is refunded")
    assert part.explanation.endswith(
        "Remedy: a refund of ZAR 6,000.00 to the original payment method. That is the full "
        "charge of ZAR 24,000.00 less 75% cancellation fee of ZAR 18,000.00 under clause "
        "Schedule 2."
    )


def test_a_failed_requirement_says_what_the_request_had_only_when_it_adds_something():
    written = scenario("conek", "cooling-off not given in writing is denied")
    assert written.explanation.startswith(
        "Denied: the request falls under clause 10.2 (CPA cooling-off after a direct-marketing "
        "sign-up), but the cancellation must be given to us in writing, and this one was not. "
        "A decision is due"
    )
    channel = scenario("conek", "cooling-off claimed for a self-service sign-up is denied")
    assert (
        "but the cooling-off right applies only to a sign-up that resulted from direct "
        "marketing: the sign-up came through self-service. A decision is due"
    ) in channel.explanation


# --- deadlines --------------------------------------------------------------------------------


def test_a_deadline_reads_as_a_local_time_at_close():
    at = datetime.fromisoformat("2026-03-13T15:00:00+00:00")
    assert labels.deadline(at, JHB) == "by 17:00 on Friday 13 March 2026 (Africa/Johannesburg)"


def test_a_deadline_at_the_end_of_a_day_reads_as_the_end_of_that_day():
    at = datetime.fromisoformat("2026-07-11T23:59:59.999999+02:00")
    assert labels.deadline(at, JHB) == "by the end of Saturday 11 July 2026 (Africa/Johannesburg)"


def test_the_json_keeps_the_exact_instant_with_its_offset():
    body = example("kero-duplicate-topup").to_dict()
    assert body["deadlines"]["pay_by"] == "2026-03-14T23:59:59.999999+02:00"


# --- labels -----------------------------------------------------------------------------------


def used_fact_paths() -> set[str]:
    paths: set[str] = set()
    for pid in SHIPPED:
        doc = registry().latest(pid).document
        window = doc.process.request_window
        if window is not None:
            paths.add(window.of)
        for rule in doc.rules:
            paths.update(fact_paths(rule.when))
            for req in rule.requires:
                paths.update(fact_paths(req.condition))
            amount, units = rule.then.amount, rule.then.units
            if amount is not None:
                paths.update(p for p in (amount.as_of, amount.start, amount.end) if p)
            if units is not None:
                paths.add(units.fact)
    return paths


def test_every_fact_the_shipped_policies_read_has_a_label():
    used = used_fact_paths()
    assert {"reason", "charge.charged_at", "written"} <= used
    assert sorted(used - set(labels.FACT_LABELS)) == []


def test_every_value_of_an_enumerated_fact_the_policies_read_has_a_label():
    missing = [
        f"{path}={value}"
        for path in sorted(used_fact_paths())
        for value in sorted(FACTS[path].choices or ())
        if value not in labels.VALUE_LABELS.get(path, {})
    ]
    assert missing == []


def test_every_fact_of_the_vocabulary_has_a_label():
    assert sorted(set(FACTS) - set(labels.FACT_LABELS)) == []


# --- the table and policy explain -------------------------------------------------------------


def table_text(d: Decision) -> str:
    console = Console(record=True, width=200, highlight=False)
    print_decision(console, d)
    return console.export_text()


def test_the_table_shows_deadlines_required_information_and_appeal():
    text = table_text(example("myprotektor-guarantee"))
    assert "decide by" in text
    assert "17:00 on Wednesday 22 April 2026 (Africa/Johannesburg), clause 7.3" in text
    assert "must provide  - email address and organisation name of the subscription" in text
    assert "- supporting evidence such as screenshots or error logs" in text
    assert (
        "appeal        Appeal possible, through an internal review, escalation to senior "
        "management, mediation and the courts (clause 9.1)"
    ) in text
    assert "clause 4.1: Full refunds" in text


def test_the_table_shows_fee_lines_with_their_clause_and_a_final_decision():
    text = table_text(example("kero-duplicate-topup"))
    assert "fee admin     USD 105.00: Refund and administration fee" in text
    assert "clause Refund and Administration Charges" in text
    assert "the end of Saturday 14 March 2026 (Africa/Johannesburg)" in text
    conek = table_text(example("conek-late-duplicate"))
    assert "appeal        No appeal: the decision is final (clause 8.2)" in conek


@pytest.mark.parametrize("policy", SHIPPED)
def test_policy_explain_has_no_field_paths(policy):
    text = describe_policy(registry().latest(policy))
    body = text.split("Readings chosen where the text is ambiguous:")[0]  # the policy's own words
    rules = body.split("Rules, tried in order")[1]
    # a rule's header line names it by id (duplicate-charge): a name, not a path
    lines = [line for line in rules.splitlines() if not re.match(r"^\s*\d+\. ", line)]
    assert len(lines) > 10
    assert forbidden_in("\n".join(lines)) == []


def test_policy_explain_says_conditions_requirements_and_questions_in_words():
    lines = describe_policy(registry().latest("conek")).splitlines()
    assert "    when the reason for the request is a duplicate charge" in lines
    assert (
        "    requires: the cancellation must reach us within 5 business days of the purchase "
        "(clause 10.2)"
    ) in lines
    assert any(
        line.startswith("    if not given, asks for: how the customer came") for line in lines
    )
