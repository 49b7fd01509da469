"""The report charts' colours say how it went: a denial or a missed deadline is never drawn in
the colour of an approval or a deadline kept, and it differs by more than hue (stripes)."""

from __future__ import annotations

import re

from refundable.entrypoints.web.charts import bars

GREEN, RED = "#1c7c3c", "#b42318"


def _fills(svg: str, name: str) -> set[str]:
    """The fills of the bars titled ``name`` and of its legend swatch."""
    bars_of = re.findall(rf'fill="([^"]+)"><title>{name}: ', svg)
    shown = name.replace("_", " ")
    legend = re.findall(rf'fill="([^"]+)"/><text x="\d+" y="\d+">{shown}</text>', svg)
    return set(bars_of) | set(legend)


def test_bad_series_are_red_and_striped_good_ones_green() -> None:
    months = ["2026-05", "2026-06"]
    outcomes = str(bars(months, {"2026-05": {"approve": 3, "deny": 1}, "2026-06": {"deny": 2}}))
    deadlines = str(bars(months, {m: {"kept": 4, "missed": 1} for m in months}))
    for svg, good, bad in ((outcomes, "approve", "deny"), (deadlines, "kept", "missed")):
        assert _fills(svg, good) == {GREEN}
        (striped,) = _fills(svg, bad)
        pattern = re.search(rf'<pattern id="{striped[5:-1]}".*?</pattern>', svg)
        assert striped.startswith("url(#") and pattern is not None, svg
        assert f'fill="{RED}"' in pattern.group(0)


def test_neutral_series_never_borrow_the_good_or_bad_colours() -> None:
    remedies = ["refund", "account_credit", "message_credits", "wallet_credit",
                "service_extension", "none"]  # fmt: skip
    svg = str(bars(["2026-06"], {"2026-06": dict.fromkeys(remedies, 1)}))
    fills = set().union(*(_fills(svg, r) for r in remedies))
    assert len(fills) == len(remedies) and not fills & {GREEN, RED}
