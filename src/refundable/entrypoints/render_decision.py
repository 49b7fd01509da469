"""A decision as the table a support agent reads: what was decided, the money line by line,
the clauses cited with their titles, the deadlines in the business's local time, what the
customer must still provide, whether an appeal is possible, and the sentence to read aloud.

Kept out of cli.py so every front end that prints a decision (decide, demo, later the console)
shows the same rows; the JSON form stays ``Decision.to_dict()``. Every value is escaped so a
policy's or customer's text is never read as Rich markup.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from refundable.policy import labels
from refundable.policy.compiled import CompiledPolicy
from refundable.policy.decision import Deadline, Decision

_COLOURS = {"approve": "green", "deny": "red", "review": "yellow"}


def decision_table(d: Decision, title: str | None = None) -> Table:
    """The decision as a two-column table (label, value)."""
    policy = d.policy_ref
    table = Table(title=title, show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    colour = _COLOURS.get(d.outcome.value, "white")
    table.add_row("outcome", f"[{colour}]{escape(d.outcome.value)}[/{colour}]")
    table.add_row("remedy", escape(d.remedy.value))
    table.add_row("policy", escape(f"{d.policy} version {d.policy_version}"))
    table.add_row("rule", escape(d.rule or "(default)"))
    table.add_row("clauses", escape(", ".join(d.clauses)))
    for clause in d.clauses:
        shown = policy.title(clause) if policy is not None else ""
        table.add_row("", escape(f"clause {clause}" + (f": {shown}" if shown else "")))
    _money_rows(table, d)
    _deadline_row(table, "decide by", d.decide_by, policy)
    _deadline_row(table, "pay by", d.pay_by, policy)
    _required_rows(table, d)
    appeal = d.appeal
    table.add_row("appeal", escape(appeal or "the policy says nothing about an appeal"))
    table.add_row("explanation", escape(d.explanation))
    return table


def _money_rows(table: Table, d: Decision) -> None:
    table.add_row("gross", str(d.gross))
    for f in d.fees:
        table.add_row(
            escape(f"fee {f.id}"),
            escape(f"{f.amount}: {f.description}; clause {f.clause} ({f.basis})"),
        )
    table.add_row("net", str(d.net))
    if d.units is not None:
        table.add_row("units", f"{d.units:,} message credits")


def _deadline_row(
    table: Table, name: str, deadline: Deadline | None, policy: CompiledPolicy | None
) -> None:
    if deadline is None:
        return
    if policy is None:
        shown = deadline.at.isoformat()
    else:
        shown = labels.deadline(deadline.at, policy.calendar.zone).removeprefix("by ")
    table.add_row(name, escape(f"{shown}, clause {deadline.clause} ({deadline.promise})"))


def _required_rows(table: Table, d: Decision) -> None:
    """What the customer must still provide: first what this decision waits for (a review
    asking for a missing fact), then what the policy asks of every request."""
    # information_needed: the facts a rule asked for (policy/engine.py, review outcomes)
    for i, need in enumerate(getattr(d, "information_needed", ())):
        table.add_row("still needed" if i == 0 else "", escape(f"- {need.ask}"))
    for i, item in enumerate(d.required_information):
        table.add_row("must provide" if i == 0 else "", escape(f"- {item}"))


def print_decision(console: Console, d: Decision, title: str | None = None) -> None:
    console.print(decision_table(d, title))
