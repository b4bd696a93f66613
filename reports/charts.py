"""Charts as inline SVG, drawn on the server: no script, no web font, no CDN, nothing fetched.

Three shapes cover what schoolnet shows (the agent's report and the collector's dashboard both use them):

- :func:`line_chart`: values over time (broadband speed per run, a trend per report) against a threshold.
- :func:`bar_chart`: one horizontal bar per item (Wi-Fi signal per room) against a threshold.
- :func:`stacked_bars`: counts per row split by status (requirements met per standard).

Each returns a :class:`Chart`: ``chart.svg`` is the markup (safe to insert as is: every text is escaped),
``chart.alt`` a plain-text alternative that says what the chart shows in words, figures included. The SVG
carries it too (``<title>`` and ``<desc>``, ``role="img"``), so a screen reader or a text-only reader gets the
same facts. Colour is never the only signal: a value that misses its threshold is drawn hatched and labelled
in words, and the threshold is a dashed line with its own label.

In a Jinja template: ``{{ chart }}`` inserts the figure (``Chart.__html__``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

# Status -> (fill, words). The words go beside every coloured mark: colour is never the only signal.
STATUS_STYLE: dict[str, tuple[str, str]] = {
    "pass": ("#1e6b34", "Met"),
    "fail": ("#b3261e", "Not met"),
    "warn": ("#8a5300", "Attention"),
    "unknown": ("#6b7178", "Not measured"),
    "manual": ("#4a6fa5", "Needs confirming"),
    "not_applicable": ("#c4c9cf", "Not applicable"),
}
INK = "#1b1d1f"
GRID = "#d5d9de"
SERIES_COLOURS = ("#1f4e8c", "#8a5300", "#5b2a86", "#1e6b34")
SERIES_DASHES = ("", "6 3", "2 3", "10 3 2 3")


@dataclass(frozen=True)
class Chart:
    """An SVG chart and its text alternative."""

    svg: str
    alt: str
    title: str

    def __html__(self) -> str:
        caption = escape(self.alt)
        return (
            f'<figure class="chart">{self.svg}<figcaption><strong>{escape(self.title)}.</strong> '
            f"{caption}</figcaption></figure>"
        )


@dataclass(frozen=True)
class Series:
    """One line of a :func:`line_chart`: (label, value) points in order; a ``None`` value leaves a gap."""

    name: str
    points: Sequence[tuple[str, float | None]]
    unit: str = ""


@dataclass(frozen=True)
class Bar:
    """One bar of a :func:`bar_chart`. ``value`` None draws no bar and says "no reading"."""

    label: str
    value: float | None
    note: str = ""


@dataclass(frozen=True)
class StackRow:
    """One row of :func:`stacked_bars`: counts by status (keys of STATUS_STYLE), drawn in that order."""

    label: str
    counts: dict[str, int] = field(default_factory=dict)


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def _svg_open(width: int, height: int, title: str, alt: str, ident: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{ident}-t {ident}-d" class="chart-svg" '
        f'style="max-width:{width}px;height:auto" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(alt)}</desc>'
        '<defs><pattern id="' + ident + '-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fde7e5"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#b3261e" stroke-width="3"/></pattern></defs>'
    )


def _ident(title: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")
    return "chart-" + (slug[:40] or "x")


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = float(10 ** math.floor(math.log10(value)))
    for step in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if value <= step * power:
            return step * power
    return 10.0 * power


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    unit: str,
    threshold: float | None = None,
    threshold_label: str = "",
    width: int = 640,
    height: int = 240,
) -> Chart:
    """Values over time against an optional threshold (drawn dashed and labelled).

    Points below the threshold are drawn as hollow red squares (not just another colour) and counted in the
    text alternative. All series share the x labels of the first one.
    """
    labels = [label for label, _ in series[0].points] if series else []
    values = [v for s in series for _, v in s.points if v is not None]
    top = _nice_max(max([*values, threshold or 0.0, 1.0]) * 1.08)
    left, right, top_pad, bottom = 52, 16, 26, 46
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return top_pad + plot_h * (1 - v / top)

    alt = _line_alt(series, unit, threshold, threshold_label)
    ident = _ident(title)
    parts = [_svg_open(width, height, title, alt, ident)]
    for k in range(5):  # horizontal grid with values
        tick = top * k / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{INK}">{_fmt(tick)}</text>')
    parts.append(f'<text x="4" y="12" fill="{INK}">{escape(unit)}</text>')
    # At most as many x labels as fit (about 7 characters' width each, plus a gap).
    longest = max((len(label) for label in labels), default=1)
    fit = max(1, int(plot_w // (longest * 7 + 12)))
    step = max(1, math.ceil(len(labels) / fit))
    for i, label in enumerate(labels):
        if i % step == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" fill="{INK}">'
                f"{escape(label)}</text>"
            )
    if threshold is not None:
        ty = y(threshold)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{INK}" '
            'stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
        parts.append(
            f'<text x="{width - right - 4}" y="{ty - 5:.1f}" text-anchor="end" fill="{INK}" font-weight="bold">'
            f"{escape(threshold_label or f'threshold {_fmt(threshold)} {unit}')}</text>"
        )
    for index, s in enumerate(series):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        dash = SERIES_DASHES[index % len(SERIES_DASHES)]
        segment: list[str] = []
        for i, (_, v) in enumerate(s.points):
            if v is None:
                if len(segment) > 1:
                    parts.append(_polyline(segment, colour, dash))
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(v):.1f}")
        if len(segment) > 1:
            parts.append(_polyline(segment, colour, dash))
        for i, (_, v) in enumerate(s.points):
            if v is None:
                continue
            if threshold is not None and v < threshold:
                parts.append(
                    f'<rect x="{x(i) - 4:.1f}" y="{y(v) - 4:.1f}" width="8" height="8" fill="#fff" '
                    f'stroke="#b3261e" stroke-width="2"><title>{escape(_point_text(labels, i, v, unit))} '
                    "(below the threshold)</title></rect>"
                )
            else:
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}">'
                    f"<title>{escape(_point_text(labels, i, v, unit))}</title></circle>"
                )
    # Legend: one entry per series (line style as well as colour), plus the below-threshold marker.
    lx = left
    ly = height - 12
    for index, s in enumerate(series):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        dash = SERIES_DASHES[index % len(SERIES_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{lx}" x2="{lx + 22}" y1="{ly - 4}" y2="{ly - 4}" stroke="{colour}" stroke-width="2.5"'
            f"{dash_attr}/>"
        )
        parts.append(f'<text x="{lx + 27}" y="{ly}" fill="{INK}">{escape(s.name)}</text>')
        lx += 36 + 7 * len(s.name)
    if threshold is not None:
        parts.append(
            f'<rect x="{lx}" y="{ly - 8}" width="8" height="8" fill="#fff" stroke="#b3261e" stroke-width="2"/>'
        )
        parts.append(f'<text x="{lx + 13}" y="{ly}" fill="{INK}">below the threshold</text>')
    parts.append("</svg>")
    return Chart(svg="".join(parts), alt=alt, title=title)


def _polyline(points: list[str], colour: str, dash: str) -> str:
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>'


def _point_text(labels: list[str], i: int, v: float, unit: str) -> str:
    label = labels[i] if i < len(labels) else str(i + 1)
    return f"{label}: {_fmt(v)} {unit}"


def _line_alt(series: Sequence[Series], unit: str, threshold: float | None, threshold_label: str) -> str:
    sentences = []
    for s in series:
        vals = [v for _, v in s.points if v is not None]
        if not vals:
            sentences.append(f"{s.name}: no readings.")
            continue
        text = (
            f"{s.name}: {len(vals)} reading{'s' if len(vals) != 1 else ''}, lowest {_fmt(min(vals))} {unit}, "
            f"highest {_fmt(max(vals))} {unit}, latest {_fmt(vals[-1])} {unit}"
        )
        if threshold is not None:
            below = sum(1 for v in vals if v < threshold)
            text += f"; {below} below {threshold_label or f'the threshold of {_fmt(threshold)} {unit}'}"
        sentences.append(text + ".")
    return " ".join(sentences) or "No readings."


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    unit: str,
    threshold: float | None = None,
    threshold_label: str = "",
    higher_is_better: bool = True,
    floor: float | None = None,
    width: int = 640,
) -> Chart:
    """One horizontal bar per item, against an optional threshold.

    ``floor`` is where bars start (e.g. -90 for dBm, where "longer" still means "better"). A bar on the wrong
    side of the threshold is hatched and labelled "below"; one with no reading says so in words.
    """
    values = [b.value for b in bars if b.value is not None]
    low = floor if floor is not None else 0.0
    high = max([*values, threshold if threshold is not None else low, low + 1])
    high = high if floor is not None else _nice_max(high * 1.05)
    if floor is not None:
        high = math.ceil((high + 3) / 10) * 10
    label_w, value_w = 170, 150
    row_h, top_pad = 26, 26
    height = top_pad + row_h * max(len(bars), 1) + 12
    plot_l, plot_r = label_w, width - value_w
    span = (high - low) or 1.0

    def x(v: float) -> float:
        return plot_l + (plot_r - plot_l) * (min(max(v, low), high) - low) / span

    def ok(v: float) -> bool:
        if threshold is None:
            return True
        return v >= threshold if higher_is_better else v <= threshold

    alt = _bar_alt(bars, unit, threshold, threshold_label, ok)
    ident = _ident(title)
    parts = [_svg_open(width, height, title, alt, ident)]
    for i, bar in enumerate(bars):
        top = top_pad + i * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{top + 16}" text-anchor="end" fill="{INK}">{escape(_clip(bar.label, 24))}'
            f"<title>{escape(bar.label)}</title></text>"
        )
        if bar.value is None:
            missing = "no reading" + (f" ({bar.note})" if bar.note else "")
            parts.append(
                f'<text x="{plot_l + 4}" y="{top + 16}" fill="{INK}" font-style="italic">{escape(missing)}</text>'
            )
            continue
        good = ok(bar.value)
        fill = "#1f4e8c" if good else f"url(#{ident}-hatch)"
        stroke = "" if good else ' stroke="#b3261e" stroke-width="1.5"'
        bar_w = max(x(bar.value) - plot_l, 2)
        parts.append(
            f'<rect x="{plot_l}" y="{top + 4}" width="{bar_w:.1f}" height="{row_h - 10}" fill="{fill}"{stroke}>'
            f"<title>{escape(bar.label)}: {_fmt(bar.value)} {escape(unit)}</title></rect>"
        )
        words = f"{_fmt(bar.value)} {unit}" + ("" if good else " (below)") + (f" {bar.note}" if bar.note else "")
        weight = "" if good else ' font-weight="bold"'
        parts.append(f'<text x="{plot_r + 6}" y="{top + 16}" fill="{INK}"{weight}>{escape(words)}</text>')
    if threshold is not None:
        tx = x(threshold)
        parts.append(
            f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{top_pad - 4}" y2="{height - 8}" stroke="{INK}" '
            'stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
        parts.append(
            f'<text x="{tx:.1f}" y="{top_pad - 9}" text-anchor="middle" fill="{INK}" font-weight="bold">'
            f"{escape(threshold_label or f'{_fmt(threshold)} {unit}')}</text>"
        )
    parts.append("</svg>")
    return Chart(svg="".join(parts), alt=alt, title=title)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _bar_alt(bars: Sequence[Bar], unit: str, threshold: float | None, threshold_label: str, ok: object) -> str:
    assert callable(ok)
    items = []
    for bar in bars:
        if bar.value is None:
            items.append(f"{bar.label}: no reading" + (f" ({bar.note})" if bar.note else ""))
        else:
            verdict = "" if threshold is None else (" (meets it)" if ok(bar.value) else " (below it)")
            items.append(f"{bar.label}: {_fmt(bar.value)} {unit}{verdict}")
    head = f"Against {threshold_label or f'{_fmt(threshold)} {unit}'}: " if threshold is not None else ""
    return head + "; ".join(items) + "." if items else "No readings."


def stacked_bars(rows: Sequence[StackRow], *, title: str, width: int = 640) -> Chart:
    """Counts per row split by status, each segment labelled with its count; a legend names every status."""
    order = [s for s in STATUS_STYLE if any(r.counts.get(s) for r in rows)]
    label_w, count_w = 190, 96  # room for "12 of 12 met" at the right
    row_h, top_pad = 28, 8
    legend_h = 24
    height = top_pad + row_h * max(len(rows), 1) + legend_h + 8
    plot_l, plot_r = label_w, width - count_w
    biggest = max([sum(r.counts.values()) for r in rows] + [1])
    alt = " ".join(
        f"{r.label}: " + (", ".join(f"{r.counts[s]} {STATUS_STYLE[s][1].lower()}" for s in order if r.counts.get(s))
                          or "nothing") + "."
        for r in rows
    )
    ident = _ident(title)
    parts = [_svg_open(width, height, title, alt, ident)]
    for i, row in enumerate(rows):
        top = top_pad + i * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{top + 17}" text-anchor="end" fill="{INK}">{escape(_clip(row.label, 26))}'
            "</text>"
        )
        x = float(plot_l)
        total = sum(row.counts.values())
        for status in order:
            count = row.counts.get(status, 0)
            if not count:
                continue
            w = (plot_r - plot_l) * count / biggest
            fill, words = STATUS_STYLE[status]
            text_fill = INK if status == "not_applicable" else "#fff"
            parts.append(
                f'<rect x="{x:.1f}" y="{top + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{fill}" '
                f'stroke="#fff" stroke-width="1"><title>{escape(row.label)}: {count} {words.lower()}</title></rect>'
            )
            if w >= 16:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{top + 18}" text-anchor="middle" fill="{text_fill}" '
                    f'font-weight="bold">{count}</text>'
                )
            x += w
        met = row.counts.get("pass", 0)
        parts.append(f'<text x="{plot_r + 6}" y="{top + 17}" fill="{INK}">{met} of {total} met</text>')
    lx, ly = plot_l, top_pad + row_h * len(rows) + 18
    for status in order:
        fill, words = STATUS_STYLE[status]
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{fill}"/>')
        parts.append(f'<text x="{lx + 16}" y="{ly}" fill="{INK}">{escape(words)}</text>')
        lx += 28 + 7 * len(words)
    parts.append("</svg>")
    return Chart(svg="".join(parts), alt=alt, title=title)
