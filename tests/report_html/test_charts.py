"""reports.charts: inline SVG with a text alternative, nothing fetched, never colour alone."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from reports.charts import Bar, Series, StackRow, bar_chart, line_chart, stacked_bars

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def _no_external(root: ET.Element) -> None:
    for element in root.iter():
        assert element.tag not in (f"{SVG}script", f"{SVG}foreignObject", f"{SVG}image")
        for name, value in element.attrib.items():
            assert "http" not in value or name == "xmlns", (element.tag, name, value)


def test_line_chart_has_a_text_alternative_and_marks_points_below_the_threshold() -> None:
    chart = line_chart(
        [Series("Download", [("Mon", 950.0), ("Tue", 400.0), ("Wed", None), ("Thu", 1100.0)])],
        title="Broadband speed over time",
        unit="Mbps",
        threshold=1000.0,
        threshold_label="DfE minimum for a secondary school: 1000 Mbps",
    )
    root = _parse(chart.svg)
    _no_external(root)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Broadband speed over time"
    desc = root.find(f"{SVG}desc").text
    assert "3 readings" in desc and "lowest 400 Mbps" in desc and "2 below DfE minimum" in desc
    # Below the threshold is a different shape (hollow square), not only a different colour.
    assert len(root.findall(f".//{SVG}rect[@fill='#fff']")) >= 2
    assert "stroke-dasharray" in chart.svg  # the threshold line is dashed and labelled
    assert "DfE minimum for a secondary school" in chart.svg
    html = chart.__html__()
    assert html.startswith("<figure") and "<figcaption>" in html and desc in html


def test_bar_chart_says_below_in_words_and_handles_missing_readings() -> None:
    chart = bar_chart(
        [Bar("Hall", -55.0), Bar("Library", -74.0), Bar("Music <room>", None, "not surveyed")],
        title="Wi-Fi signal by room",
        unit="dBm",
        threshold=-67.0,
        threshold_label="coverage level -67 dBm",
        floor=-95.0,
    )
    root = _parse(chart.svg)
    _no_external(root)
    assert "Library: -74 dBm (below it)" in chart.alt and "Hall: -55 dBm (meets it)" in chart.alt
    assert "Music <room>: no reading (not surveyed)" in chart.alt
    assert "(below)" in chart.svg and "&lt;room&gt;" in chart.svg  # words on the bar; text escaped
    assert "hatch" in chart.svg


def test_stacked_bars_label_every_status_in_words() -> None:
    chart = stacked_bars(
        [StackRow("Broadband internet", {"pass": 1, "fail": 2, "manual": 1}), StackRow("Cyber security", {})],
        title="Requirements met per standard",
    )
    root = _parse(chart.svg)
    _no_external(root)
    assert "Broadband internet: 1 met, 2 not met, 1 needs confirming." in chart.alt
    assert "Cyber security: nothing." in chart.alt
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Met" in texts and "Not met" in texts and "Needs confirming" in texts  # legend in words
    assert "1 of 4 met" in texts
