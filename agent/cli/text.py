"""Plain-text renderings for the terminal, in the report's words (Met, Not met, Attention, Not measured,
Not applicable, Needs confirming).

The scan summary is the report's first screen as text: a verdict per standard, then each requirement to act on
now, to plan for the next upgrade and to work towards by 2030, one line each with the device or room and the
reason. Per-check lines (``wifi analyze``, ``switch audit-config``) show the plain check title beside its id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from contract.report import Report
from contract.results import Result
from contract.status import STATUS_LABEL, Status
from reports.view import LIST_TITLES, build_view
from standards_map.model import StandardsMap

if TYPE_CHECKING:
    from contract.evidence.broadband import BroadbandSpeed
    from contract.site import SiteProfile

ORDER = (Status.PASS, Status.FAIL, Status.WARN, Status.MANUAL, Status.UNKNOWN, Status.NOT_APPLICABLE)


def counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[s]} {STATUS_LABEL[s].lower()}" for s in ORDER if counts.get(s))


def report_text(report: Report, standards: StandardsMap) -> str:
    view = build_view(report, standards)
    lines = [
        f"{report.site.name} ({report.site.phase.replace('_', '-')}) - audit {report.finished_at:%Y-%m-%d %H:%M} UTC",
        f"DfE requirements ({len(report.requirements)}): {counts_text(view.requirement_counts)}",
        f"Checks behind them: {counts_text(view.check_counts)}",
        "",
    ]
    for verdict in view.verdicts:
        detail = f"{verdict.met} of {verdict.total} met" + (f"; {verdict.line}" if verdict.line else "")
        lines.append(f"{verdict.words.upper():<22} {verdict.title} ({detail})")
    for key, title in LIST_TITLES.items():
        items = view.lists[key]
        if not items:
            continue
        lines.append("")
        lines.append(f"{title} ({len(items)}):")
        for item in items:
            where = f" [{item.where}]" if item.where else ""
            reason = f": {item.reason}" if item.reason else ""
            lines.append(f"  {STATUS_LABEL[item.status]:<10} {item.headline}{where}{reason} Ask {item.who}.")
    tail = []
    if view.confirm:
        tail.append(f"{len(view.confirm)} need a person to confirm them")
    if view.unmeasured:
        tail.append(f"{len(view.unmeasured)} could not be measured")
    if tail:
        lines.append("")
        lines.append("; ".join(tail) + " (see report.html).")
    return "\n".join(lines)


def result_lines(results: Iterable[Result], indent: str = "", show_target: bool = True) -> list[str]:
    """One line per result: status in words, the plain check title beside its id, where, and the finding.

    A check that counts towards several requirements is shown once, with every requirement named.
    """
    from reports.view import check_titles

    titles = check_titles()
    results = list(results)
    requirements: dict[tuple[str, str | None, str], list[str]] = {}
    for r in results:
        requirements.setdefault((r.check, r.target, r.status), []).append(r.requirement or "")
    lines: list[str] = []
    shown: set[tuple[str, str | None, str]] = set()
    for r in results:
        key = (r.check, r.target, r.status)
        if key in shown:
            continue
        shown.add(key)
        title = titles.get(r.check, "Confirmed by a named person")
        practice = f" [good practice: {r.good_practice}]" if r.good_practice else ""
        where = f" @ {r.target}" if r.target and show_target else ""
        lines.append(f"{indent}{STATUS_LABEL[r.status]:<16} {title} ({r.check}){where}{practice}")
        reqs = ", ".join(sorted({q for q in requirements[key] if q}))
        lines.append(f"{indent}{'':<16} {r.detail}" + (f" [{reqs}]" if reqs else ""))
    return lines


SPEED_CHECKS = ("broadband_download_meets_minimum", "broadband_upload_meets_minimum")


def speed_verdict(evidence: BroadbandSpeed, site: SiteProfile | None) -> str:
    """`broadband test`'s verdict: the measured line against DfE's minimum for the school's phase."""
    from datetime import UTC, datetime

    from contract.evidence import EvidenceRecord
    from contract.status import worst
    from standards_map.evaluate import evaluate
    from standards_map.model import load_map

    if site is None:
        return ("No school phase configured ([site] phase in the config), so no verdict: DfE asks primary schools "
                "for 100 Mbps download and 30 Mbps upload, secondary and all-through schools and colleges for "
                "1 Gbps both ways.")
    now = datetime.now(UTC)
    record = EvidenceRecord.of("ev-0001", "broadband", evidence.server, now, evidence)
    smap = load_map()
    mine = [r for r in evaluate(smap, [record], site, [], now) if r.check in SPEED_CHECKS]
    status = worst([r.status for r in mine])
    due = {r.id: r.due for r in smap.requirements}.get(mine[0].requirement or "", "") if mine else ""
    when = {"now": "due now", "next_upgrade": "due at the next upgrade", "by_2030": "due as soon as you can, by 2030"}
    phase = site.phase.replace("_", "-")
    lines = [f"Verdict for a {phase} school, against DfE's minimum speed: {STATUS_LABEL[status]}"
             + (f" ({when[due]})" if status is Status.FAIL and due in when else "")]
    lines.extend(f"  {STATUS_LABEL[r.status]:<13} {r.detail}" for r in mine)
    return "\n".join(lines)
