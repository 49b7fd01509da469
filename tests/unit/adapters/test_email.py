"""SmtpMailer against a real local SMTP server (aiosmtpd): what the customer receives."""

from __future__ import annotations

import smtplib

import pytest

from refundable.adapters.email import SmtpMailer
from refundable.config import Settings
from smtp_box import free_port, smtp_server


def test_a_plain_text_notice_arrives_as_written():
    with smtp_server() as (box, port):
        SmtpMailer("127.0.0.1", port, "refunds@conek.example").send(
            "thandi@example.org", "Your refund request R-1", "We received it on 2 March."
        )
    assert len(box.messages) == 1
    got = box.messages[0]
    assert got["To"] == "thandi@example.org"
    assert got["From"] == "refunds@conek.example"
    assert got["Subject"] == "Your refund request R-1"
    assert got.get_content().strip() == "We received it on 2 March."
    assert box.envelopes == [("refunds@conek.example", ["thandi@example.org"])]


def test_an_html_alternative_travels_with_the_text():
    with smtp_server() as (box, port):
        mailer = SmtpMailer("127.0.0.1", port, "a@b.example")
        mailer.send("c@d.example", "S", "plain", "<p>rich</p>")
    body = box.messages[0]
    assert body.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p.get_content().strip() for p in body.iter_parts()}
    assert parts == {"text/plain": "plain", "text/html": "<p>rich</p>"}


def test_no_server_listening_raises_for_the_worker_to_retry():
    mailer = SmtpMailer("127.0.0.1", free_port(), "a@b.example", timeout_s=2)
    with pytest.raises((OSError, smtplib.SMTPException)):
        mailer.send("c@d.example", "S", "t")


def test_settings_choose_relay_and_sender():
    mailer = SmtpMailer.from_settings(
        Settings.from_env(
            {
                "REFUNDABLE_SMTP_HOST": "mx.local",
                "REFUNDABLE_SMTP_PORT": "2525",
                "REFUNDABLE_MAIL_FROM": "x@y.example",
            }
        )
    )
    assert (mailer.host, mailer.port, mailer.sender) == ("mx.local", 2525, "x@y.example")
    assert SmtpMailer.from_settings(Settings()).port == 25


def test_a_port_that_is_not_a_port_is_refused_by_name():
    from refundable.core.errors import InputError

    with pytest.raises(InputError, match="REFUNDABLE_SMTP_PORT"):
        Settings.from_env({"REFUNDABLE_SMTP_PORT": "70000"})
