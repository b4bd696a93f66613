"""Small server-rendered SVG line charts (no JavaScript, no library): a trend over time with an optional threshold.

Each chart has a title and a text description for screen readers, distinguishes series by line pattern and marker
shape as well as colour, and the page puts the figures in a table next to it. Swap for reports.charts when the
agent's report grows a shared chart module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from html import escape

WIDTH = 640
HEIGHT = 220
PAD_LEFT = 52
PAD_RIGHT = 12
PAD_TOP = 14
PAD_BOTTOM = 34
MARKERS = ("circle", "square", "triangle", "diamond", "cross")


@dataclass(frozen=True)
class Series:
    label: str
    points: list[tuple[datetime, float]]


def _marker(kind: str, x: float, y: float, css: str) -> str:
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="{css}"/>'
    if kind == "square":
        return f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" class="{css}"/>'
    if kind == "triangle":
        return f'<path d="M{x:.1f} {y - 4:.1f}L{x + 4:.1f} {y + 3:.1f}L{x - 4:.1f} {y + 3:.1f}Z" class="{css}"/>'
    if kind == "diamond":
        d = f"M{x:.1f} {y - 4:.1f}L{x + 4:.1f} {y:.1f}L{x:.1f} {y + 4:.1f}L{x - 4:.1f} {y:.1f}Z"
        return f'<path d="{d}" class="{css}"/>'
    d = f"M{x - 3:.1f} {y - 3:.1f}L{x + 3:.1f} {y + 3:.1f}M{x - 3:.1f} {y + 3:.1f}L{x + 3:.1f} {y - 3:.1f}"
    return f'<path d="{d}" class="{css} cross"/>'


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    series: list[Series],
    *,
    unit: str,
    threshold: float | None = None,
    threshold_label: str | None = None,
    y_max: float | None = None,
) -> str:
    """An accessible inline SVG; ``description`` is the text alternative (what the chart shows, in words)."""
    points = [p for s in series for p in s.points]
    if not points:
        return f'<p class="empty">{escape(title)}: no figures yet.</p>'
    times = [p[0].timestamp() for p in points]
    t0, t1 = min(times), max(times)
    span_t = (t1 - t0) or 1.0
    top = _nice(
        max([p[1] for p in points] + ([threshold] if threshold is not None else []) + ([y_max] if y_max else []))
    )
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def x_of(when: datetime) -> float:
        return PAD_LEFT + (when.timestamp() - t0) / span_t * plot_w

    def y_of(value: float) -> float:
        return PAD_TOP + plot_h - value / top * plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d"'
        ' xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(description)}</desc>',
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH - PAD_RIGHT}" y2="{PAD_TOP + plot_h}"'
        ' class="axis"/>',
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{PAD_TOP + plot_h}" class="axis"/>',
    ]
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        value = top * fraction
        if top <= 4 and value != int(value):
            continue  # small counts: whole numbers only
        y = y_of(value)
        parts.append(f'<line x1="{PAD_LEFT - 4}" y1="{y:.1f}" x2="{WIDTH - PAD_RIGHT}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{_number(value)}</text>')
    parts.append(
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 8}" class="tick">{escape(_day(min(points)[0]))}</text>'
        f'<text x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 8}" class="tick" text-anchor="end">'
        f"{escape(_day(max(points)[0]))}</text>"
        f'<text x="{PAD_LEFT + plot_w / 2:.0f}" y="{HEIGHT - 8}" class="tick" text-anchor="middle">'
        f"{escape(unit)}</text>"
    )
    if threshold is not None:
        y = y_of(threshold)
        parts.append(
            f'<line x1="{PAD_LEFT}" y1="{y:.1f}" x2="{WIDTH - PAD_RIGHT}" y2="{y:.1f}" class="threshold"/>'
            f'<text x="{WIDTH - PAD_RIGHT - 4}" y="{y - 5:.1f}" class="tick" text-anchor="end">'
            f"{escape(threshold_label or f'threshold {threshold:g}')}</text>"
        )
    for index, one in enumerate(series):
        css = f"s{index % len(MARKERS)}"
        ordered = sorted(one.points)
        path = " ".join(f"{'M' if i == 0 else 'L'}{x_of(t):.1f} {y_of(v):.1f}" for i, (t, v) in enumerate(ordered))
        parts.append(f'<path d="{path}" class="line {css}"><title>{escape(one.label)}</title></path>')
        if len(ordered) <= 60:
            parts.extend(_marker(MARKERS[index % len(MARKERS)], x_of(t), y_of(v), f"mark {css}") for t, v in ordered)
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="key {f"s{i % len(MARKERS)}"}" aria-hidden="true"></span>{escape(s.label)}</li>'
        for i, s in enumerate(series)
    )
    if threshold is not None:
        legend += (
            f'<li><span class="key threshold" aria-hidden="true"></span>{escape(threshold_label or "threshold")}</li>'
        )
    return (
        f'<figure class="chart-figure"><figcaption>{escape(title)}</figcaption>{"".join(parts)}'
        f'<ul class="legend">{legend}</ul></figure>'
    )


def _number(value: float) -> str:
    return f"{value:,.1f}".rstrip("0").rstrip(".")


def _nice(value: float) -> float:
    """The smallest of 1, 2, 2.5, 4, 5 or 10 times a power of ten that is at least ``value`` (axis top)."""
    if value <= 0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 4.0, 5.0, 10.0):
        if value <= step * scale:
            return step * scale
    return 10.0 * scale


def _day(when: datetime) -> str:
    return when.strftime("%d %b %Y")
