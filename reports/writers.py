"""Write a Report as JSON (the contract), CSV (one row per result) and HTML (one printable page)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from contract.report import Report
from contract.status import Status
from reports.sections import build_tables
from standards_map.checks import registry
from standards_map.model import StandardsMap, load_map

CSV_COLUMNS = [
    "requirement",
    "standard",
    "check",
    "status",
    "target",
    "detail",
    "measured",
    "expected",
    "evidence_ref",
]

STATUS_LABEL = {
    "pass": "Met",
    "fail": "Not met",
    "warn": "Attention",
    "unknown": "Not measured",
    "not_applicable": "Not applicable",
    "manual": "Needs confirming",
}


def report_json_bytes(report: Report) -> bytes:
    return (report.model_dump_json(indent=2) + "\n").encode("utf-8")


def report_csv_text(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in report.results:
        row = result.model_dump(mode="json")
        writer.writerow({column: "" if row.get(column) is None else row[column] for column in CSV_COLUMNS})
    return buffer.getvalue()


def _rag(statuses: list[str]) -> str:
    if "fail" in statuses:
        return "red"
    if any(s in statuses for s in ("warn", "unknown", "manual")):
        return "amber"
    return "green"


def _html_context(report: Report, standards: StandardsMap) -> dict[str, Any]:
    checks = registry()
    by_requirement: dict[str, list[dict[str, Any]]] = {}
    for result in report.results:
        if result.requirement is None:
            continue
        row = result.model_dump(mode="json")
        spec = checks.get(result.check)
        row["check_summary"] = spec.summary if spec else "Confirmed by a named person (attestation)"
        by_requirement.setdefault(result.requirement, []).append(row)

    known = {req.id: req for req in standards.requirements}
    sections = []
    for std in standards.standards:
        reqs = []
        for status in report.requirements:
            if status.standard != std.id:
                continue
            req = known.get(status.id)
            reqs.append(
                {
                    "id": status.id,
                    "title": status.title,
                    "headline": status.headline,
                    "status": status.status.value,
                    "assessment": status.assessment,
                    "when_to_meet": status.when_to_meet,
                    "remediation": status.remediation,
                    "source": status.source,
                    "summary": req.summary if req else "",
                    "notes": [ref.note for ref in req.checks if ref.note] if req else [],
                    "results": by_requirement.get(status.id, []),
                }
            )
        statuses = [r["status"] for r in reqs]
        sections.append(
            {
                "id": std.id,
                "title": std.title,
                "source": std.source,
                "rag": _rag(statuses),
                "counts": Counter(statuses),
                "requirements": reqs,
            }
        )
    return {
        "report": report,
        "sections": sections,
        "tables": build_tables(report),
        "labels": STATUS_LABEL,
        "statuses": [s.value for s in Status],
        "failed_evidence": [e for e in report.evidence if not e.ok],
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
