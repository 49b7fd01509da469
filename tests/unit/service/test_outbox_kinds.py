"""The outbox payload contract: builders write every key, as strings; a payload that misses
a key or names an unknown kind is refused with what is missing."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from refundable.core.errors import InputError
from refundable.core.money import Money
from refundable.core.time import UTC
from refundable.service.outbox_kinds import (
    MessageKind,
    check_payload,
    email_message,
    payout_message,
    webhook_message,
)

AT = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_a_payout_message_carries_the_amount_as_exact_text():
    m = payout_message("m1", case_id="c1", customer_id="u1", payment_id="p1",
                       amount=Money.of("120.50", "ZAR"), decision_id="d1", at=AT)  # fmt: skip
    assert m.kind == "payout"
    assert dict(m.payload) == {
        "case_id": "c1", "customer_id": "u1", "payment_id": "p1",
        "amount": "120.50", "currency": "ZAR", "decision_id": "d1",
    }  # fmt: skip


def test_email_html_is_optional_and_webhook_data_is_json_text():
    assert "html" not in email_message("m", to="a@b.c", subject="s", text="t", at=AT).payload
    assert (
        email_message("m", to="a@b.c", subject="s", text="t", html="<p/>", at=AT).payload["html"]
        == "<p/>"
    )
    w = webhook_message("w", event_type="case.decided", event_id="e1", data={"n": 1}, at=AT)
    assert json.loads(w.payload["data"]) == {"n": 1}


def test_a_missing_key_is_named():
    with pytest.raises(InputError, match="lacks subject"):
        check_payload("email", {"to": "a@b.c", "text": "t"})


def test_an_unknown_kind_lists_the_known_ones():
    with pytest.raises(InputError, match="payout, email, webhook"):
        check_payload("sms", {})
    assert check_payload("webhook", {"event_type": "x", "event_id": "y", "data": "{}"}) is (
        MessageKind.webhook
    )
