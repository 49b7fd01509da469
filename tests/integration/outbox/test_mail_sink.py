"""The demo's local SMTP sink (ADR 0084): what the SMTP adapter sends it is kept as an .eml
file, with one log line naming the recipient, the subject, the file and the first link."""

from __future__ import annotations

import logging
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from refundable.adapters.email import SmtpMailer
from refundable.adapters.mail_sink import start_sink


def test_a_message_sent_over_smtp_is_kept_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sink = start_sink(tmp_path / "mail")
    try:
        mailer = SmtpMailer(sink.host, sink.port, "refunds@example.test")
        link = "http://127.0.0.1:8000/portal/link?token=abc.def"
        with caplog.at_level(logging.INFO, logger="refundable.mail"):
            mailer.send("ann@customers.example", "Your sign-in link", f"Open {link} now.",
                        f"<a href='{link}'>sign in</a>")  # fmt: skip
            mailer.send("bob@customers.example", "Receipt", "We received it.")
    finally:
        sink.stop()
    kept = sorted((tmp_path / "mail").glob("*.eml"))
    assert [p.name for p in kept] == ["mail-00001.eml", "mail-00002.eml"]
    first = message_from_bytes(kept[0].read_bytes(), policy=policy.default)
    assert (first["To"], first["Subject"]) == ("ann@customers.example", "Your sign-in link")
    lines = [r.getMessage() for r in caplog.records if r.name == "refundable.mail"]
    assert len(lines) == 2
    assert "ann@customers.example" in lines[0] and str(kept[0]) in lines[0]
    assert lines[0].endswith(f"link: {link}") and "link:" not in lines[1]


def test_a_restarted_sink_numbers_on_after_what_it_kept(tmp_path: Path) -> None:
    for _ in range(2):
        sink = start_sink(tmp_path)
        try:
            SmtpMailer(sink.host, sink.port, "refunds@example.test").send("a@b.example", "s", "t")
        finally:
            sink.stop()
    assert sorted(p.name for p in tmp_path.glob("*.eml")) == ["mail-00001.eml", "mail-00002.eml"]
