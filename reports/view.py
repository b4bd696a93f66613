"""What the HTML report shows, worked out from a Report: the first screen and each standard's section.

The first screen answers "what do we do?": a verdict per standard, then what to do now, what to plan for the
next upgrade and what to work towards by 2030 (DfE's timing, ``due``), each item one sentence naming the
device or room and who to ask. Counts are of requirements; check counts come lower down. Checks DfE does not
ask for are kept apart as good practice.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from contract.report import Report
from contract.results import RequirementStatus, Result
from contract.status import STATUS_LABEL, Status
from reports.charts import Chart, StackRow, stacked_bars
from reports.sections import Table, build_tables
from standards_map.checks import registry
from standards_map.evaluate import priority
from standards_map.model import Requirement, StandardsMap

ATTESTATION_TITLE = "Confirmed by a named person (attestation)"
LIST_TITLES = {
    "act_now": "Act now",
    "plan": "Plan for your next upgrade",
    "by_2030": "Working towards 2030",
}
LIST_INTROS = {
    "act_now": "Not met (or needing attention) and DfE expects it already.",
    "plan": "Not met yet; DfE expects it when the equipment or contract is next upgraded or replaced.",
    "by_2030": "DfE asks for it as soon as you can, and by 2030 at the latest.",
}
# Verdict per standard: (css class, words). Red means not met and due now; colour always comes with words.
VERDICTS = {
    "act_now_fail": ("red", "Act now"),
    "act_now_warn": ("amber", "Attention now"),
    "plan": ("blue", "Plan: next upgrade"),
    "by_2030": ("blue", "Plan: by 2030"),
    "confirm": ("grey", "Needs confirming"),
    "unmeasured": ("grey", "Not measured"),
    "": ("green", "Met"),
}
_ASK = re.compile(
    r"\b[Aa]sk ((?:your |the )?[\w -]+?)(?= (?:to|for|which|whether|what|if|in writing)\b|:)"
)
MAX_TARGETS = 3


@dataclass
class ActionItem:
    requirement: str
    headline: str
    status: str
    where: str
    reason: str
    who: str
    good_practice_only: bool = False


@dataclass
class StandardVerdict:
    id: str
    title: str
    css: str
    words: str
    met: int
    total: int
    counts: dict[str, int]
    line: str


@dataclass
class RequirementView:
    status: RequirementStatus
    req: Requirement | None
    summary: str
    rows: list[dict[str, Any]]
    not_applicable_rows: list[dict[str, Any]]
    practice_rows: list[dict[str, Any]]
    notes: list[str]
    priority: str
    who: str


@dataclass
class StandardView:
    verdict: StandardVerdict
    source: str
    requirements: list[RequirementView]
    not_applicable: list[RequirementView]
    tables: list[Table] = field(default_factory=list)


@dataclass
class ReportView:
    verdicts: list[StandardVerdict]
    lists: dict[str, list[ActionItem]]
    confirm: list[RequirementStatus]
    unmeasured: list[RequirementStatus]
    requirement_counts: dict[str, int]
    check_counts: dict[str, int]
    standards: list[StandardView]
    practice: list[dict[str, Any]]
    chart: Chart
    other_tables: list[Table]


def who_to_ask(req: Requirement | None, fallback: str) -> str:
    """Who to ask, from the remediation text ("Ask IT support to ..."), else the standard's responsible role."""
    if req is not None:
        match = _ASK.search(" ".join(req.remediation.split()))
        if match:
            return match.group(1).strip()
    return fallback


def _where(results: list[Result]) -> str:
    targets: list[str] = []
    for r in results:
        if r.target and r.target not in targets:
            targets.append(r.target)
    if not targets:
        return ""
    shown = ", ".join(targets[:MAX_TARGETS])
    return shown + (f" and {len(targets) - MAX_TARGETS} more" if len(targets) > MAX_TARGETS else "")


_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z(\"'])")
_NOT_AN_END = re.compile(r"(?:\b[A-Z]|\be\.g|\bi\.e|\betc|\bMr|\bMrs|\bMs|\bDr|\bSt|\bNo)$")


def first_sentence(text: str) -> str:
    """The first sentence of a check's detail (not cut at "e.g." or an initial such as "R. Ahmed")."""
    text = " ".join(text.split())
    for match in _SENTENCE_END.finditer(text):
        if not _NOT_AN_END.search(text[: match.start()]):
            return text[: match.end()]
    return text


def _row(result: Result, titles: dict[str, str]) -> dict[str, Any]:
    row = result.model_dump(mode="json")
    row["title"] = titles.get(result.check, ATTESTATION_TITLE)
    row["label"] = STATUS_LABEL[result.status]
    return row


def check_title(summary: str) -> str:
    """A check's plain title from its docstring's first line ("Pass when X" reads as "X")."""
    title = re.sub(r"^(Pass|Passes) when ", "", summary.strip())
    title = re.sub(r"\s*\(data/[\w./]+\)", "", title)  # where the data lives is for developers
    return title[:1].upper() + title[1:]


def check_titles() -> dict[str, str]:
    return {check_id: check_title(spec.summary) for check_id, spec in registry().items()}


def _standard_verdict(std_id: str, title: str, reqs: list[RequirementStatus]) -> StandardVerdict:
    statuses = [r.status for r in reqs]
    counts = Counter(s.value for s in statuses)
    priorities = [priority(r.status, r.due) for r in reqs]
    if any(p == "act_now" and r.status is Status.FAIL for p, r in zip(priorities, reqs, strict=True)):
        key = "act_now_fail"
    elif "act_now" in priorities:
        key = "act_now_warn"
    else:
        key = next((k for k in ("plan", "by_2030", "confirm", "unmeasured") if k in priorities), "")
    css, words = VERDICTS[key]
    applicable = [r for r in reqs if r.status is not Status.NOT_APPLICABLE]
    met = sum(1 for r in applicable if r.status is Status.PASS)
    bits = []
    for p, label in (("act_now", "to act on now"), ("plan", "at the next upgrade"), ("by_2030", "by 2030"),
                     ("confirm", "to confirm"), ("unmeasured", "not measured")):
        n = priorities.count(p)
        if n:
            bits.append(f"{n} {label}")
    return StandardVerdict(
        id=std_id, title=title, css=css, words=words, met=met, total=len(applicable), counts=dict(counts),
        line=", ".join(bits),
    )


def build_view(report: Report, standards: StandardsMap) -> ReportView:
    titles = check_titles()
    known = {req.id: req for req in standards.requirements}
    results_by_req: dict[str, list[Result]] = {}
    for result in report.results:
        if result.requirement:
            results_by_req.setdefault(result.requirement, []).append(result)
    asks = {std.id: std.ask for std in standards.standards}

    lists: dict[str, list[ActionItem]] = {key: [] for key in LIST_TITLES}
    confirm: list[RequirementStatus] = []
    unmeasured: list[RequirementStatus] = []
    std_views: list[StandardView] = []
    verdicts: list[StandardVerdict] = []
    tables = build_tables(report)

    for std in standards.standards:
        # A report written before the map carried DfE's timing gets it from the current map.
        reqs = [
            r if r.due is not None else r.model_copy(update={"due": known[r.id].due if r.id in known else "now"})
            for r in report.requirements
            if r.standard == std.id
        ]
        verdict = _standard_verdict(std.id, std.title, reqs)
        verdicts.append(verdict)
        views: list[RequirementView] = []
        not_applicable: list[RequirementView] = []
        for status in reqs:
            req = known.get(status.id)
            mine = results_by_req.get(status.id, [])
            who = who_to_ask(req, asks.get(std.id, "IT support"))
            prio = priority(status.status, status.due)
            dfe = [r for r in mine if not r.good_practice]
            practice = [r for r in mine if r.good_practice]
            if prio in LIST_TITLES:
                # The reason shown is the worst DfE finding (not met before attention); good practice only when
                # it alone makes the requirement need attention.
                short = [r for r in dfe if r.status is Status.FAIL] or [r for r in dfe if r.status is Status.WARN] or [
                    r for r in practice if r.status in (Status.FAIL, Status.WARN)
                ]
                first = short[0] if short else None
                reason = first_sentence(first.detail) if first else ""
                if first is not None and first.good_practice:
                    reason = f"Good practice ({first.good_practice}): {reason}"
                lists[prio].append(ActionItem(
                    requirement=status.id, headline=status.headline, status=status.status.value,
                    where=_where(short), reason=reason, who=who,
                    good_practice_only=bool(short) and all(r.good_practice for r in short),
                ))
            elif prio == "confirm":
                confirm.append(status)
            elif prio == "unmeasured":
                unmeasured.append(status)
            view = RequirementView(
                status=status,
                req=req,
                summary=req.summary if req else "",
                rows=[_row(r, titles) for r in dfe if r.status is not Status.NOT_APPLICABLE],
                not_applicable_rows=[_row(r, titles) for r in dfe if r.status is Status.NOT_APPLICABLE],
                practice_rows=[_row(r, titles) for r in practice],
                notes=[ref.note for ref in req.checks if ref.note] if req else [],
                priority=prio,
                who=who,
            )
            (not_applicable if status.status is Status.NOT_APPLICABLE else views).append(view)
        std_views.append(StandardView(
            verdict=verdict, source=std.source, requirements=views, not_applicable=not_applicable,
            tables=[t for t in tables if t.standard == std.id],
        ))

    practice_rows = [
        _row(r, titles) | {"source": r.good_practice, "url": _practice_url(known, r)}
        for r in report.results
        if r.good_practice and r.status is not Status.NOT_APPLICABLE
    ]
    order = {s.value: i for i, s in enumerate((Status.FAIL, Status.WARN, Status.UNKNOWN, Status.MANUAL,
                                                Status.PASS, Status.NOT_APPLICABLE))}
    practice_rows.sort(key=lambda row: (order[row["status"]], row["check"]))
    chart = stacked_bars(
        [StackRow(v.title, {k: n for k, n in v.counts.items()}) for v in verdicts],
        title="Requirements met per standard",
    )
    summary_counts = report.summary.get("requirements")
    requirement_counts = dict(summary_counts) if isinstance(summary_counts, dict) else dict(
        Counter(r.status.value for r in report.requirements)
    )
    check_counts = {k: v for k, v in report.summary.items() if isinstance(v, int)}
    return ReportView(
        verdicts=verdicts,
        lists=lists,
        confirm=confirm,
        unmeasured=unmeasured,
        requirement_counts=requirement_counts,
        check_counts=check_counts,
        standards=std_views,
        practice=practice_rows,
        chart=chart,
        other_tables=[t for t in tables if t.standard is None],
    )


def _practice_url(known: dict[str, Requirement], result: Result) -> str | None:
    req = known.get(result.requirement or "")
    if req is None:
        return None
    for ref in req.checks:
        if ref.check == result.check and ref.good_practice is not None:
            return ref.good_practice.url
    return None
