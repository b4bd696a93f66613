"""Every table a page shows is a ``Table``: the page renders it, ``?format=csv`` downloads the same rows."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import Response

# Cells a spreadsheet would run as formulas (CSV injection): prefixed with a quote, as OWASP advises.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    name: str  # the ?table= key when a page has several
    caption: str
    columns: list[str]  # CSV header and <th> text
    rows: list[list[Any]] = field(default_factory=list)
    # optional per-row link targets for the first cell (same length as rows), and per-cell status classes
    links: list[str | None] = field(default_factory=list)

    def csv_text(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_cell(value) for value in row])
        return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_response(table: Table, filename: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in filename)[:100] or "table"
    return Response(
        table.csv_text(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe}.csv"'},
    )


def pick(tables: list[Table], name: str | None) -> Table | None:
    if not tables:
        return None
    if name is None:
        return tables[0]
    return next((t for t in tables if t.name == name), None)
