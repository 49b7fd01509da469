"""Where `refundable serve` sends mail (ADR 0084): a configured relay as it is; the demo
without one, a local sink it starts; no demo and no relay, localhost:25 as before."""

from __future__ import annotations

from pathlib import Path

from refundable.config import Settings
from refundable.entrypoints.cli_serve import _mail_line, _mail_sink


def test_a_configured_relay_or_no_demo_starts_no_sink(tmp_path: Path) -> None:
    relay = Settings(data_dir=tmp_path, smtp_host="relay.example", smtp_port=2525)
    assert _mail_sink(relay) is None
    assert _mail_line(relay, None).endswith("the SMTP relay at relay.example:2525")
    plain = Settings(data_dir=tmp_path, demo=False)
    assert _mail_sink(plain) is None
    assert _mail_line(plain, None).endswith("the SMTP relay at localhost:25")
    assert not (tmp_path / "mail").exists()


def test_the_demo_without_a_relay_starts_a_sink_in_the_data_dir(tmp_path: Path) -> None:
    sink = _mail_sink(Settings(data_dir=tmp_path))
    assert sink is not None
    try:
        assert (sink.host, sink.folder) == ("127.0.0.1", tmp_path / "mail")
        assert f"{sink.host}:{sink.port}" in _mail_line(Settings(data_dir=tmp_path), sink)
    finally:
        sink.stop()
