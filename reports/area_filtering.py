"""The HTML report's filtering table: category x segment, from the latest run on each network of the audit.

A technician runs ``schoolnet filtering test`` on each network (staff, student, guest); the table shows, per
test category, how many addresses each segment blocked, so "students are filtered more than staff" and "the
guest network is filtered" can be read at a glance. A cell is red when a category the segment must block
let something through (IWF, CTIRU and adult content must be blocked everywhere), amber when a category it
must allow was blocked. The collector builds the same table from the runs uploaded for one school.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from contract.evidence.filtering import (
    ADULT_CATEGORIES,
    ILLEGAL_CATEGORIES,
    CategoryCount,
    FilteringTest,
    combine_runs,
)
from reports.sections import Cell, Table

if TYPE_CHECKING:
    from contract.report import Report

ALWAYS_BLOCKED = (*ILLEGAL_CATEGORIES, *ADULT_CATEGORIES)
COLUMNS_FIRST = ["Category"]
LABELS = {
    "iwf": "Child abuse (IWF list)", "ctiru": "Terrorist content (CTIRU list)", "adult": "Adult content",
    "proxy": "Proxies", "vpn": "VPNs", "doh": "DNS over HTTPS", "allowed": "Sites teaching needs",
}


def _cell(count: CategoryCount | None, must_block: bool, must_allow: bool) -> Cell:
    if count is None or count.total == 0:
        return Cell("not tested")
    shown = f"{count.allowed} of {count.total} reachable" if must_allow else f"{count.blocked} of {count.total} blocked"
    parts = [shown]
    if count.unknown:
        parts.append(f"{count.unknown} not told")
    text = ", ".join(parts)
    if must_block and count.allowed:
        return Cell(text, "fail")
    if must_allow and count.blocked:
        return Cell(text, "warn")
    if count.unknown:
        return Cell(text, "unknown")
    if must_block:
        return Cell(text, "pass")
    return Cell(text)


def segments_table_of(runs: Iterable[FilteringTest], window_days: int = 30) -> Table:
    """Category x segment from runs (the latest per segment is used)."""
    chosen = list(runs)
    audit = combine_runs(chosen, window_days)
    by_segment = {run.segment: run for run in sorted(chosen, key=lambda r: r.tested_at)}
    columns = [*COLUMNS_FIRST, *(
        f"{s.segment}{'' if s.segment == s.role else f' ({s.role})'}, tested {s.tested_at:%d %b %Y}"
        for s in audit.segments)]
    order = {c: i for i, c in enumerate((*ALWAYS_BLOCKED, "proxy", "vpn", "doh"))}
    categories = sorted(audit.categories(), key=lambda c: (order.get(c, 99), c))
    rows = []
    for category in categories:
        row = [Cell(LABELS.get(category, category.replace("_", " ").capitalize()))]
        for summary in audit.segments:
            run = by_segment[summary.segment]
            must_block = category in ALWAYS_BLOCKED or category in run.expect_blocked
            row.append(_cell(summary.categories.get(category), must_block, category in run.expect_allowed))
        rows.append(row)
    intro_colours = (" Green: blocked as required; red: a category that network must block got through (child abuse, "
                     "terrorist and adult content must be blocked everywhere); amber: a site teaching needs was "
                     "blocked.")
    roles = {s.role for s in audit.segments}
    missing = [r for r in ("staff", "student", "guest") if r not in roles]
    intro = (f"The latest filtering test from each network in the last {window_days} days "
             f"({len(audit.segments)} segment{'s' if len(audit.segments) != 1 else ''}).")
    if missing:
        intro += f" Not yet tested from: {', '.join(missing)} (run `schoolnet filtering test` there)."
    intro += intro_colours
    return Table(title="Filtering by network segment", intro=intro, columns=columns, rows=rows)


def segments_table(report: Report) -> Table | None:
    """The report's table: the runs in its filtering.test evidence; None when there are none."""
    runs = []
    window = 30
    for record in report.evidence:
        model = record.model() if record.ok else None
        if isinstance(model, FilteringTest):
            runs.append(model)
        elif model is not None and record.kind == "filtering.audit":
            window = int(getattr(model, "window_days", window))
    return segments_table_of(runs, window) if runs else None
