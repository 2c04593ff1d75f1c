"""Small charts as inline SVG strings, so the dashboard needs no JavaScript and no image files.

Pure functions: numbers and (already translated) names in, ``Markup`` out. Every piece of text
is escaped here, so a label or day name can never become markup; the result is well-formed
XML with a <title> and <desc> that screen readers announce. Colours only use presentation
attributes, which the console's Content-Security-Policy allows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# One fixed colour per label, so "工程" is the same blue on every day and every visit.
LABEL_COLOURS = {
    "engineering": "#1f77b4",
    "planning": "#ff7f0e",
    "sales": "#2ca02c",
    "property_management": "#d62728",
    "service": "#9467bd",
    "inquiry": "#8c564b",
    "abuse": "#e377c2",
    "empty": "#7f7f7f",
    "unrelated": "#bcbd22",
    "unlabelled": "#c7c7c7",
}
OTHER_COLOUR = "#17becf"
BAR_COLOUR = "#1f4e79"
AXIS_COLOUR = "#888888"
GRID_COLOUR = "#e5e5e5"
_ID = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class Series:
    """One stacked part of every bar: a key (picks the colour), a shown name and the values."""

    key: str
    name: str
    values: Sequence[int]


def _check_id(chart_id: str) -> None:
    if not _ID.match(chart_id):
        raise ValueError(f"chart id must be lowercase letters, digits and dashes: {chart_id!r}")


def nice_max(value: int) -> tuple[int, int]:
    """The axis top and tick step for counts up to ``value``: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1, 1
    raw = value / 5
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step * math.ceil(value / step), step


def _open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-size="12">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def stacked_bars(
    chart_id: str,
    *,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    empty_text: str = "",
    colours: dict[str, str] | None = None,
) -> Markup:
    """Vertical bars, one per category (e.g. a day), stacked by series (e.g. a label), with a
    y axis, the category names below and a legend on the right."""
    _check_id(chart_id)
    colours = LABEL_COLOURS if colours is None else colours
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(f"series {s.key!r} has {len(s.values)} values for {len(categories)}")
    left, top, bottom, legend_width = 40, 16, 36, 160
    plot_w = max(len(categories), 1) * 44
    plot_h = 220
    width, height = left + plot_w + 16 + legend_width, top + plot_h + bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    axis_top, step = nice_max(max(totals, default=0))
    scale = plot_h / axis_top
    parts = _open(chart_id, width, height, title, desc)

    for tick in range(0, axis_top + 1, step):
        y = top + plot_h - tick * scale
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="{GRID_COLOUR if tick else AXIS_COLOUR}"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">{tick}</text>'
        )

    slot = plot_w / max(len(categories), 1)
    bar_w = slot * 0.7
    for i, category in enumerate(categories):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        parts.append(f'<g class="bar" data-total="{totals[i]}">')
        for s in series:
            value = s.values[i]
            if value <= 0:
                continue
            h = value * scale
            y -= h
            tip = escape(f"{category} {s.name}: {value}")
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colours.get(s.key, OTHER_COLOUR)}"><title>{tip}</title></rect>'
            )
        parts.append("</g>")
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'fill="#444">{escape(category)}</text>'
        )

    if empty_text and not any(totals):
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" '
            f'text-anchor="middle" fill="#666">{escape(empty_text)}</text>'
        )

    lx = left + plot_w + 16
    for j, s in enumerate(series):
        ly = top + j * 20
        parts.append(
            f'<rect x="{lx}" y="{ly}" width="12" height="12" '
            f'fill="{colours.get(s.key, OTHER_COLOUR)}"/>'
        )
        parts.append(f'<text x="{lx + 18}" y="{ly + 11}" fill="#222">{escape(s.name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def horizontal_bars(
    chart_id: str,
    *,
    title: str,
    desc: str,
    rows: Sequence[tuple[str, int]],
    colour: str = BAR_COLOUR,
    empty_text: str = "",
) -> Markup:
    """One horizontal bar per row (name, count), the name on the left, the count at the end."""
    _check_id(chart_id)
    label_w, bar_max, row_h, pad = 130, 420, 24, 8
    width = label_w + bar_max + 60
    height = pad * 2 + max(len(rows), 1) * row_h
    largest = max((count for _, count in rows), default=0)
    parts = _open(chart_id, width, height, title, desc)
    for i, (name, count) in enumerate(rows):
        y = pad + i * row_h
        w = bar_max * count / largest if largest else 0
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" fill="#222">'
            f"{escape(name)}</text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{colour}"><title>{escape(f"{name}: {count}")}</title></rect>'
        )
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" fill="#444">{count}</text>')
    if empty_text and not largest:
        parts.append(
            f'<text x="{label_w + bar_max / 2}" y="{height / 2 + 4:.1f}" text-anchor="middle" '
            f'fill="#666">{escape(empty_text)}</text>'
        )
    parts.append(
        f'<line x1="{label_w}" y1="{pad}" x2="{label_w}" y2="{height - pad}" '
        f'stroke="{AXIS_COLOUR}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
