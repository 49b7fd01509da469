"""A stored decision read back: ``Decision.to_dict()`` JSON into a ``Decision`` again.

A case keeps its decision whole, so that months later it shows exactly what was decided and
why. The dictionary already holds every rendered sentence (explanation, amount basis, the why
and plain text of each trace step), so the read-back decision answers with those stored
sentences instead of re-rendering them from a compiled policy it no longer needs: ``to_dict``
of the read-back decision equals the stored dictionary.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from refundable.core.money import FxRate, Money
from refundable.policy.decision import (
    Deadline,
    Decision,
    FeeLine,
    InformationNeeded,
    TraceStatus,
    TraceStep,
)
from refundable.policy.document import Outcome, Remedy


def _deadline(at: str | None, basis: dict[str, str] | None) -> Deadline | None:
    if at is None or basis is None:
        return None
    return Deadline(datetime.fromisoformat(at), basis["clause"], basis["promise"])


def _fx(row: dict[str, str]) -> FxRate:
    base, _, quote = row["pair"].partition("/")
    return FxRate(base, quote, Decimal(row["rate"]), source=row["source"])


def decision_from_dict(d: dict[str, Any]) -> Decision:
    cur = d["currency"]
    steps = [
        (TraceStep(s["rule"], s["clause"], TraceStatus(s["status"]), note=s["why"]), s["text"])
        for s in d["trace"]
    ]
    texts = {id(step): text for step, text in steps}
    dl = d["deadlines"]
    explanation, basis = d["explanation"], d["amount_basis"]
    return Decision(
        policy=d["policy"],
        policy_version=d["policy_version"],
        outcome=Outcome(d["outcome"]),
        remedy=Remedy(d["remedy"]),
        rule=d["rule"],
        clauses=tuple(d["clauses"]),
        currency=cur,
        gross=Money.of(d["gross"], cur),
        fees=tuple(
            FeeLine(f["id"], f["clause"], f["description"], Money.of(f["amount"], cur), f["basis"])
            for f in d["fees"]
        ),
        net=Money.of(d["net"], cur),
        units=d["units"],
        decide_by=_deadline(dl["decide_by"], dl["basis"]["decide_by"]),
        pay_by=_deadline(dl["pay_by"], dl["basis"]["pay_by"]),
        explain=lambda: str(explanation),
        factors=tuple(d["factors"]),
        alternatives=tuple(Remedy(a) for a in d["alternatives"]),
        notes=tuple(d["notes"]),
        required_information=tuple(d["required_information"]),
        appeal=d["appeal"],
        fx_used=tuple(_fx(r) for r in d["fx"]),
        information_needed=tuple(
            InformationNeeded(i["item"], i["ask"]) for i in d["information_needed"]
        ),
        trace=tuple(step for step, _ in steps),
        basis=lambda: str(basis),
        narrate=lambda step: texts.get(id(step), ""),
    )
