"""Plain-text renderings for the terminal."""

from __future__ import annotations

from contract.report import Report
from reports.writers import STATUS_LABEL
from standards_map.model import StandardsMap


def report_text(report: Report, standards: StandardsMap) -> str:
    lines = [
        f"{report.site.name} ({report.site.phase.replace('_', '-')}) - audit {report.finished_at:%Y-%m-%d %H:%M} UTC",
        "Results: "
        + ", ".join(f"{STATUS_LABEL[k].lower()} {v}" for k, v in report.summary.items() if isinstance(v, int) and v),
        "",
    ]
    for std in standards.standards:
        reqs = [r for r in report.requirements if r.standard == std.id]
        statuses = [r.status.value for r in reqs]
        rag = "RED" if "fail" in statuses else (
            "AMBER" if any(s in statuses for s in ("warn", "unknown", "manual")) else "GREEN"
        )
        lines.append(f"{rag:<6} {std.title}")
        for req in reqs:
            if req.status.value in ("fail", "warn"):
                lines.append(f"       {STATUS_LABEL[req.status.value]:<16} {req.id}")
    return "\n".join(lines)
