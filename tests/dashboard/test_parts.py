"""Small parts: CSV cells that a spreadsheet would run are neutralised; charts carry a text alternative and do not
rely on colour; the bulk import parser names every bad line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytest.importorskip("fastapi")

from collector.web import admin_ops, charts
from collector.web.csv_api import rows_to_csv
from collector.web.tables import Table


def test_csv_cells_cannot_become_spreadsheet_formulas() -> None:
    table = Table("t", "t", ["a", "b", "c"], [['=HYPERLINK("http://x")', "-5", "+cmd"]])
    assert table.csv_text().splitlines()[1] == '"\'=HYPERLINK(""http://x"")",-5,\'+cmd'
    assert rows_to_csv([{"a": {"b": 1}, "c": [1, 2]}]).splitlines() == ["a.b,c", '1,"[1,2]"']


def test_chart_has_title_description_markers_and_threshold() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    svg = charts.line_chart(
        "c1",
        "Speed",
        "Download fell below 100 Mbps twice.",
        [
            charts.Series("Download", [(start + timedelta(days=d), 90.0 + d) for d in range(5)]),
            charts.Series("Upload", [(start + timedelta(days=d), 30.0) for d in range(5)]),
        ],
        unit="Mbps",
        threshold=100,
        threshold_label="minimum 100 Mbps",
    )
    assert 'role="img"' in svg and '<title id="c1-t">Speed</title>' in svg and "Download fell below" in svg
    assert "<circle" in svg and "<rect" in svg  # two series, two marker shapes (not colour alone)
    assert 'class="threshold"' in svg and "minimum 100 Mbps" in svg
    assert "style=" not in svg  # the pages' CSP allows no inline styles
    assert charts.line_chart("c2", "Empty", "none", [], unit="x").startswith('<p class="empty">')


def test_import_parser_reports_every_problem_with_its_line() -> None:
    text = (
        "URN,School,Phase,Addresses\n100001,A,primary,192.0.2.1 192.0.2.0/28\n100001,B,Secondary,\nx,C,nursery,bad!\n"
    )
    with pytest.raises(admin_ops.BulkImportError) as failure:
        admin_ops.parse_import(text)
    errors = failure.value.errors
    assert any("line 3" in e and "twice" in e for e in errors)
    assert any("line 4" in e and "URN" in e for e in errors)
    assert any("line 4" in e and "phase" in e for e in errors)
    assert any("line 4" in e and "public address" in e for e in errors)
    rows = admin_ops.parse_import("urn,name,phase,public_addresses\n100001,A,All-through,school.example.org\n")
    assert rows[0].phase == "all_through" and rows[0].addresses == ["school.example.org"]
    with pytest.raises(admin_ops.BulkImportError, match="no 'urn' column"):
        admin_ops.parse_import("name,phase\nA,primary\n")
