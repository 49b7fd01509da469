"""Bar charts as inline SVG, drawn on the server: no script, no library, printable.

One group of bars per month, one bar per series (outcome, remedy, kept/missed), each labelled
with its count, and a legend. Labels are escaped; sizes are whole pixels.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

from markupsafe import Markup, escape

# A series whose name says how it went has its colour (the page's --ok, --bad, --warn); a bad
# one is also striped, so it does not rest on hue alone (red and green look alike to many).
# The others take the neutral colours in turn, never those three.
OK, BAD, WARN = "#1c7c3c", "#b42318", "#a15c00"
MEANING = {"approve": OK, "kept": OK, "deny": BAD, "missed": BAD, "review": WARN}
STRIPED = {"deny", "missed"}
NEUTRAL = ("#1f5fbf", "#6941c6", "#0e7090", "#5b6472", "#344054", "#3e4784")
HEIGHT, BAR, GAP, TOP, BASE = 160, 18, 28, 14, 40


def _fills(series: list[str], chart: str) -> tuple[dict[str, str], str]:
    """Each series' fill, and the <defs> of the stripes (ids unique to the chart)."""
    fills: dict[str, str] = {}
    defs = []
    neutral = iter(NEUTRAL * (len(series) // len(NEUTRAL) + 1))
    for name in series:
        colour = MEANING.get(name) or next(neutral)
        if name in STRIPED:
            pid = f"stripes-{chart}-{name}"
            defs.append(
                f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse" '
                f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{colour}"/>'
                '<rect width="2" height="6" fill="#ffffff" fill-opacity="0.6"/></pattern>'
            )
            colour = f"url(#{pid})"
        fills[name] = colour
    return fills, f"<defs>{''.join(defs)}</defs>" if defs else ""


def bars(months: list[str], data: Mapping[str, Mapping[str, int]]) -> Markup:
    series = sorted({name for m in months for name in data.get(m, {})})
    if not months or not series:
        return Markup('<p class="muted">Nothing to show yet.</p>')
    most = max((data.get(m, {}).get(s, 0) for m in months for s in series), default=0) or 1
    group = len(series) * BAR + GAP
    width = max(len(months) * group + GAP, 240)
    fill, defs = _fills(series, f"{zlib.crc32(repr((months, series)).encode()):08x}")
    parts = [
        f'<svg role="img" width="{width}" height="{HEIGHT + BASE + 20 * len(series)}" '
        'xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="sans-serif">',
        defs,
    ]
    for i, month in enumerate(months):
        x0 = GAP + i * group
        for j, name in enumerate(series):
            n = data.get(month, {}).get(name, 0)
            h = round(HEIGHT * n / most)
            x, y = x0 + j * BAR, TOP + HEIGHT - h
            parts.append(
                f'<rect x="{x}" y="{y}" width="{BAR - 2}" height="{h}" '
                f'fill="{fill[name]}"><title>{escape(name)}: {n}</title></rect>'
            )
            parts.append(
                f'<text x="{x + BAR // 2 - 1}" y="{y - 2}" text-anchor="middle">{n}</text>'
            )
        parts.append(f'<text x="{x0}" y="{TOP + HEIGHT + 16}">{escape(month)}</text>')
    for j, name in enumerate(series):
        y = TOP + HEIGHT + BASE + 20 * j - 10
        parts.append(f'<rect x="{GAP}" y="{y - 10}" width="12" height="12" fill="{fill[name]}"/>')
        parts.append(f'<text x="{GAP + 18}" y="{y}">{escape(name.replace("_", " "))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
