"""Extra tables an area adds to the HTML report (switch inventory, Wi-Fi rooms, broadband history).

An area registers a function ``(report) -> Table | None`` in SECTION_BUILDERS; the HTML writer shows
every table returned, after the per-standard summary. Tables hold plain text and an optional status
per cell (used for colour), so the template stays generic.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contract.report import Report
    from reports.charts import Chart


@dataclass(frozen=True)
class Cell:
    text: str
    status: str | None = None  # pass / fail / warn / unknown ... colours the cell
    worded: bool = False  # the text already says in words what the colour means (else the status word is added)


@dataclass(frozen=True)
class Table:
    title: str
    intro: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    standard: str | None = None  # the standard's section it belongs in (None: after the standards)
    chart: Chart | None = None  # drawn above the table


# "module:function" paths, imported when a report is rendered.
SECTION_BUILDERS: list[str] = [
    "reports.area_switches:inventory_table",
    "reports.area_wifi:rooms_table",
    "reports.area_broadband:history_table",
    "reports.area_filtering:segments_table",
    "reports.area_firewall_config:devices_table",
]


def build_tables(report: Report) -> list[Table]:
    tables: list[Table] = []
    for path in SECTION_BUILDERS:
        module_name, _, attribute = path.partition(":")
        builder: Callable[[Report], Table | None] = getattr(importlib.import_module(module_name), attribute)
        table = builder(report)
        if table is not None:
            tables.append(table)
    return tables
