"""How the pages word a case's timeline for the customer: an SLA alarm as a deadline, and
who acted as "you", "done automatically" or "the business" (never a staff login or an API
key's name); staff read the recorded names."""

from __future__ import annotations

import pytest

from refundable.entrypoints.web.filters import actor_name, event_name


@pytest.mark.parametrize(
    ("actor", "customer_reads"),
    [("customer:C1", "you"), ("system", "done automatically"), ("agent:ann", "the business"),
     ("api:demo-conek-agent", "the business")],
)  # fmt: skip
def test_who_acted_is_said_in_words_to_the_customer_and_as_recorded_to_staff(
    actor: str, customer_reads: str
) -> None:
    assert actor_name(actor, staff=False) == customer_reads
    assert actor_name(actor, staff=True) == actor


def test_deadline_alarms_are_named_as_deadlines_for_the_customer() -> None:
    assert event_name("sla_warning", staff=False) == "deadline near"
    assert event_name("sla_breached", staff=False) == "deadline missed"
    assert event_name("sla_warning", staff=True) == "sla warning"
    assert event_name("information_requested", staff=False) == "information requested"
