"""Bar charts as inline SVG, drawn on the server: no script, no library, printable.

One group of bars per month, one bar per series (outcome, remedy, kept/missed), each labelled
with its count, and a legend. Labels are escaped; sizes are whole pixels.
"""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup, escape

COLOURS = ("#1f5fbf", "#1c7c3c", "#b42318", "#a15c00", "#6941c6", "#0e7090", "#5b6472")
HEIGHT, BAR, GAP, TOP, BASE = 160, 18, 28, 14, 40


def bars(months: list[str], data: Mapping[str, Mapping[str, int]]) -> Markup:
    series = sorted({name for m in months for name in data.get(m, {})})
    if not months or not series:
        return Markup('<p class="muted">Nothing to show yet.</p>')
    most = max((data.get(m, {}).get(s, 0) for m in months for s in series), default=0) or 1
    group = len(series) * BAR + GAP
    width = max(len(months) * group + GAP, 240)
    parts = [
        f'<svg role="img" width="{width}" height="{HEIGHT + BASE + 20 * len(series)}" '
        'xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="sans-serif">'
    ]
    for i, month in enumerate(months):
        x0 = GAP + i * group
        for j, name in enumerate(series):
            n = data.get(month, {}).get(name, 0)
            h = round(HEIGHT * n / most)
            x, y = x0 + j * BAR, TOP + HEIGHT - h
            parts.append(
                f'<rect x="{x}" y="{y}" width="{BAR - 2}" height="{h}" '
                f'fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(name)}: {n}</title></rect>'
            )
            parts.append(
                f'<text x="{x + BAR // 2 - 1}" y="{y - 2}" text-anchor="middle">{n}</text>'
            )
        parts.append(f'<text x="{x0}" y="{TOP + HEIGHT + 16}">{escape(month)}</text>')
    for j, name in enumerate(series):
        y = TOP + HEIGHT + BASE + 20 * j - 10
        parts.append(
            f'<rect x="{GAP}" y="{y - 10}" width="12" height="12" '
            f'fill="{COLOURS[j % len(COLOURS)]}"/>'
        )
        parts.append(f'<text x="{GAP + 18}" y="{y}">{escape(name.replace("_", " "))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
