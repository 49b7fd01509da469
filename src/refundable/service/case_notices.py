"""What a case sends and schedules, written in the transaction of the change that causes it.

* a ``webhook`` outbox message for every case event (the business hears of each step);
* an ``email`` to the customer at receipt, when information is missing, at the decision
  (with its explanation and clauses) and at the payout;
* ``case_sla`` scheduled actions for each running stage's warning and breach, so the runner
  (or a test clock) records them on the product's clock.

The payloads are the contract with the delivery workers: email {"to","subject","text"},
webhook {"event_type","event_id","data" (JSON text)}. Message ids derive from the case and
the event, so a retried transaction writes the same rows (the outbox keeps one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from refundable.cases.clocks import ClockAlarm, alarms
from refundable.cases.model import Case, CaseEvent
from refundable.ledger.ids import derived_id
from refundable.scheduling.model import ActionKind, ScheduledAction
from refundable.service.outbox_kinds import email_message, webhook_message
from refundable.service.ports import Repositories


def webhook(repos: Repositories, event: CaseEvent) -> None:
    event_id = derived_id("evt", event.case_id, str(event.seq))
    data = {
        "case_id": event.case_id,
        "seq": event.seq,
        "kind": event.kind.value,
        "from_state": event.from_state.value,
        "to_state": event.to_state.value,
        "actor": event.actor,
        "at": event.at.isoformat(),
        "data": dict(event.data),
    }
    message_id = derived_id("whk", event.case_id, str(event.seq))
    repos.outbox.add(webhook_message(message_id, event_type=f"case.{event.kind.value}",
                                     event_id=event_id, data=data, at=event.at))  # fmt: skip


def address_of(repos: Repositories, case: Case) -> str:
    """Where the customer's notices go: the email on the customer's profile (the business's
    record of them, kept by ``RecordCustomerProfile`` and blanked by a purge), else an
    address given with the case, else the reserved ``.invalid`` domain marks the gap in the
    delivery log (ADR 0086)."""
    profile = repos.personal.profile(case.customer_id)
    on_record = profile.email if profile is not None else None
    given = case.information.get("email", "").strip()
    return on_record or given or f"{case.customer_id}@customers.invalid"


def email(repos: Repositories, case: Case, what: str, subject: str, text: str) -> None:
    message_id = derived_id("mail", case.case_id, what, str(case.seq))
    assert case.updated_at is not None  # every notice follows an event
    repos.outbox.add(email_message(message_id, to=address_of(repos, case), subject=subject,
                                   text=text, at=case.updated_at))  # fmt: skip


def _subject(case: Case, alarm: ClockAlarm) -> str:
    raw = f"{case.case_id}\x1f{alarm.stage.value}\x1f{alarm.breach}\x1f{alarm.generation}"
    return "case-" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def alarm_payload(case: Case, alarm: ClockAlarm) -> Mapping[str, str]:
    return {
        "case_id": case.case_id,
        "stage": alarm.stage.value,
        "breach": str(alarm.breach).lower(),
        "generation": str(alarm.generation),
    }


def schedule_alarms(repos: Repositories, case: Case) -> None:
    """Schedule the running stages' warnings and breaches (stale ones are skipped when due:
    the handler compares the generation)."""
    actions = [
        ScheduledAction.new(
            case.tenant_id, ActionKind.case_sla, _subject(case, a), a.at, alarm_payload(case, a)
        )
        for a in alarms(case)
    ]
    repos.schedule.add(actions)
