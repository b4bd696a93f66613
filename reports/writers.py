"""Write a Report as JSON (the contract), CSV (one row per result) and HTML (one printable page)."""

from __future__ import annotations

import csv
import io
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from contract.report import Report
from contract.status import STATUS_LABEL as _STATUS_LABEL
from reports.glossary import Glossary
from reports.view import LIST_INTROS, LIST_TITLES, build_view
from standards_map.model import StandardsMap, load_map

# Contract: one row per result, with the site and report on every row so a trust can join its schools' files.
CSV_COLUMNS = [
    "site_id",
    "site_name",
    "report_id",
    "finished_at",
    "requirement",
    "standard",
    "check",
    "status",
    "status_label",
    "target",
    "detail",
    "measured",
    "expected",
    "evidence_ref",
    "good_practice",
]
STATUS_LABEL = _STATUS_LABEL  # re-exported: the vocabulary lives in contract.status


def report_json_bytes(report: Report) -> bytes:
    return (report.model_dump_json(indent=2) + "\n").encode("utf-8")


def report_csv_text(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    fixed = {
        "site_id": report.site.id,
        "site_name": report.site.name,
        "report_id": str(report.report_id),
        "finished_at": report.finished_at.isoformat(),
    }
    for result in report.results:
        row = {**result.model_dump(mode="json"), **fixed, "status_label": _STATUS_LABEL[result.status]}
        writer.writerow({column: "" if row.get(column) is None else row[column] for column in CSV_COLUMNS})
    return buffer.getvalue()


def _html_context(report: Report, standards: StandardsMap) -> dict[str, Any]:
    glossary = Glossary()
    return {
        "report": report,
        "view": build_view(report, standards),
        "labels": _STATUS_LABEL,
        "list_titles": LIST_TITLES,
        "list_intros": LIST_INTROS,
        "explain": glossary.explain,
        "glossary": glossary,
        "evidence": [_evidence_view(record) for record in report.evidence],
    }


# Evidence fields too long or too raw for the page (they stay in report.json).
_EVIDENCE_SKIP = {"running_config", "runs", "history", "networks", "ports", "lldp_neighbours", "probes", "kind"}


def _evidence_view(record: Any) -> dict[str, Any]:
    """One evidence record as a short list of readable facts (the whole record stays in report.json)."""
    facts: list[tuple[str, str]] = []
    data = record.data or {}
    for key, value in data.items():
        if value is None or value == [] or value == {}:
            continue
        name = key.replace("_", " ")
        if key in _EVIDENCE_SKIP or isinstance(value, dict):
            if isinstance(value, list):
                facts.append((name, f"{len(value)} item{'s' if len(value) != 1 else ''} (in report.json)"))
            continue
        if isinstance(value, list):
            shown = ", ".join(str(v) for v in value[:6]) + (f" and {len(value) - 6} more" if len(value) > 6 else "")
            facts.append((name, shown))
        elif isinstance(value, bool):
            facts.append((name, "yes" if value else "no"))
        else:
            text = str(value)
            facts.append((name, text if len(text) <= 160 else text[:157] + "..."))
    return {
        "id": record.id,
        "kind": record.kind,
        "probe": record.probe,
        "target": record.target,
        "collected_at": record.collected_at,
        "ok": record.ok,
        "error": record.error,
        "facts": facts[:18],
    }


def report_html_text(report: Report, standards: StandardsMap | None = None) -> str:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("report.html.j2")
    return template.render(**_html_context(report, standards or load_map()))
