"""Writing the three report files: the renderers are in ``reports``; the agent owns the files."""

from __future__ import annotations

from pathlib import Path

from agent.files import write_atomic
from contract.report import Report
from reports.writers import report_csv_text, report_html_text, report_json_bytes


def write_reports(report: Report, output_dir: Path, formats: tuple[str, ...] = ("json", "html", "csv")) -> list[Path]:
    written = []
    if "json" in formats:
        path = output_dir / "report.json"
        write_atomic(path, report_json_bytes(report), mode=0o644)
        written.append(path)
    if "html" in formats:
        path = output_dir / "report.html"
        write_atomic(path, report_html_text(report).encode("utf-8"), mode=0o644)
        written.append(path)
    if "csv" in formats:
        path = output_dir / "report.csv"
        write_atomic(path, report_csv_text(report).encode("utf-8"), mode=0o644)
        written.append(path)
    return written
