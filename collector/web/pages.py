"""The dashboard's pages: trust overview, school, stored report, requirement, compare, upgrade plan.

Every page takes ``?format=csv`` (its table, or ``&table=NAME`` when it has several) and ``?view=print``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from collector.auth import accounts
from collector.auth.accounts import Principal
from collector.models import Site, StoredReport, utcnow
from collector.web import charts, queries, rendering
from collector.web.models import SiteAttestation
from collector.web.scope import site_filter, visible_report, visible_site
from collector.web.security import (
    REPORT_CSP,
    SESSION_COOKIE,
    page_headers,
    read_form,
    render,
    require_csrf,
    sessions_of,
    signed_in,
)
from collector.web.tables import Table, csv_response, pick
from contract.site import PHASES, Attestation
from contract.status import Status
from standards_map.model import load_map

router = APIRouter(include_in_schema=False)

STATUS_COLUMNS = [
    ("pass", "met"),
    ("warn", "attention"),
    ("fail", "not_met"),
    ("unknown", "not_measured"),
    ("manual", "needs_confirming"),
]
FILTER_STATUSES = ("fail", "warn", "unknown", "manual", "stale")
PAGE_ROWS = 250


def _tables_or_page(request: Request, tables: list[Table], filename: str, template: str, **context: Any) -> Response:
    if request.query_params.get("format") == "csv":
        table = pick(tables, request.query_params.get("table"))
        if table is None:
            raise HTTPException(404, f"no table {request.query_params.get('table')!r} on this page")
        return csv_response(table, f"{filename}-{table.name}")
    if request.query_params.get("format") not in (None, "html"):
        raise HTTPException(422, "format must be html or csv")
    return render(request, template, tables={t.name: t for t in tables}, print_view=_print(request), **context)


def _print(request: Request) -> bool:
    return request.query_params.get("view") == "print"


def _standards() -> list[tuple[str, str]]:
    return [(s.id, s.title) for s in load_map().standards]


@router.get("/")
def overview(
    request: Request,
    principal: Principal = Depends(signed_in),
    phase: str | None = Query(None, max_length=30),
    standard: str | None = Query(None, max_length=40),
    status: str | None = Query(None, max_length=20),
    sort: str = Query("name", max_length=20),
    order: str = Query("asc", max_length=4),
    page: str = Query("1", max_length=6),
) -> Response:
    if principal.site_pk is not None and request.query_params.get("format") != "csv":
        with sessions_of(request)() as session:
            site = session.get(Site, principal.site_pk)
        assert site is not None
        return Response(status_code=303, headers={"Location": f"/schools/{site.site_id}"})
    standards = _standards()
    phase = phase if phase in PHASES else None
    standard = standard if standard in dict(standards) else None
    status = status if status in FILTER_STATUSES else None
    now = utcnow()
    with sessions_of(request)() as session:
        stale_after = queries.stale_days(session, principal.trust_id)
        every = queries.latest_rows(session, principal, now, stale_after)
    rows = queries.filter_and_sort(
        every, phase=phase, standard=standard, status=status, sort=sort, descending=order == "desc"
    )
    shown = [(sid, title) for sid, title in standards if standard in (None, sid)]
    # A page shows PAGE_ROWS schools (a national collector has thousands); ?page=all shows every one, and the
    # totals, sorting, filters and the CSV always cover all of them.
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    page_number = 0 if page == "all" else min(max(int(page) if page.isdigit() else 1, 1), pages)
    shown_rows = rows if page_number == 0 else rows[(page_number - 1) * PAGE_ROWS : page_number * PAGE_ROWS]
    columns = ["site_id", "name", "phase", "last_report_at", "report_id", "days_since_report", "stale"]
    for sid, _ in shown:
        columns += [f"{sid}_status"] + [f"{sid}_{name}" for _, name in STATUS_COLUMNS]
    columns += ["unmeasured_targets", "unmeasured_results"]
    table = Table("schools", "Schools against the standards", columns)
    for r in rows:
        line: list[Any] = [
            r.site_id,
            r.name,
            r.phase,
            r.finished_at.isoformat() if r.finished_at else None,
            r.report_id,
            round(r.age_days, 1) if r.age_days is not None else None,
            "yes" if r.stale else "no",
        ]
        for sid, _ in shown:
            cell = r.cells.get(sid) or queries.Cell({})
            line += [cell.status] + [cell.n(s) for s, _ in STATUS_COLUMNS]
        line += ["; ".join(r.unmeasured_targets), r.unmeasured_results]
        table.rows.append(line)
    totals = {
        "schools": len(every),
        "stale": sum(1 for r in every if r.stale),
        "not_met": sum(1 for r in every if r.count("fail") > 0),
        "unmeasured": sum(1 for r in every if r.unmeasured_targets),
    }
    return _tables_or_page(
        request,
        [table],
        "overview",
        "overview.html.j2",
        title=f"{principal.trust_name}: schools against the DfE standards",
        rows=shown_rows,
        matched=len(rows),
        pages=pages,
        page=page_number,
        standards=shown,
        all_standards=standards,
        phases=PHASES,
        filters={"phase": phase, "standard": standard, "status": status, "sort": sort, "order": order},
        filter_statuses=FILTER_STATUSES,
        stale_after=stale_after,
        totals=totals,
        now=now,
    )


def _parse_day(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time.max, tzinfo=UTC)
    except ValueError:
        raise HTTPException(422, f"{text!r} is not a date (YYYY-MM-DD)") from None


@router.get("/schools/{site_id}")
def school(
    request: Request,
    site_id: str,
    principal: Principal = Depends(signed_in),
    days: int = Query(90, ge=7, le=3660),
) -> Response:
    standards_map = load_map()
    now = utcnow()
    since = now - timedelta(days=days)
    with sessions_of(request)() as session:
        site = visible_site(session, principal, site_id)
        entries = queries.history(session, site)
        latest = entries[0] if entries else None
        previous = entries[1] if len(entries) > 1 else None
        now_statuses = queries.requirement_statuses(session, latest.report_id) if latest else {}
        before = queries.requirement_statuses(session, previous.report_id) if previous else {}
        trend = queries.trend_by_standard(session, site, since)
        speeds = queries.speed_trend(session, site, since)
        attestations = queries.site_attestations(session, site)
        addresses = queries.public_addresses(session, site)
        stale_after = queries.stale_days(session, principal.trust_id)
        rejudged: dict[str, str] = {}
        manual: list[str] = []
        if latest is not None:
            stored = session.get(StoredReport, latest.report_id)
            report = rendering.report_of(stored.envelope) if stored else None
            if report is not None:
                extra = [_as_attestation(a) for a in attestations]
                rejudged = rendering.rejudge_with(report, standards_map, extra, now)
    changed = queries.changes(before, now_statuses)
    for change in changed:
        if change.requirement in {req.id for req in standards_map.requirements}:
            change.title = standards_map.requirement(change.requirement).headline
    known = {req.id: req for req in standards_map.requirements}
    manual = [
        req_id
        for req_id, (_, _, status) in sorted(now_statuses.items())
        if req_id in known and known[req_id].attestation is not None and status in ("manual", "warn", "fail")
    ]
    history_table = Table(
        "history",
        "Reports received",
        ["report_id", "finished_at", "standards_version", "agent_version"] + [s.value for s in Status],
        [
            [e.report_id, e.finished_at.isoformat(), e.standards_version, e.agent_version]
            + [e.summary.get(s.value, 0) for s in Status]
            for e in entries
        ],
    )
    requirement_table = Table(
        "requirements",
        "Requirements in the newest report",
        [
            "requirement",
            "standard",
            "title",
            f"status (map {latest.standards_version if latest else '-'})",
            f"status now (map {standards_map.version}, with attestations)",
        ],
        [
            [req_id, std, title, status, rejudged.get(req_id, "")]
            for req_id, (std, title, status) in sorted(now_statuses.items(), key=lambda kv: (kv[1][0], kv[0]))
        ],
    )
    changes_table = Table(
        "changes",
        "What changed since the previous report",
        ["requirement", "title", "before", "after"],
        [[c.requirement, c.title, c.before or "", c.after or ""] for c in changed],
    )
    attestation_table = Table(
        "attestations",
        "Confirmations recorded on the collector",
        [
            "requirement",
            "outcome",
            "attested_by",
            "attested_on",
            "evidence",
            "review_on",
            "notes",
            "recorded_by",
            "recorded_at",
        ],
        [
            [
                a.requirement,
                a.outcome,
                a.attested_by,
                a.attested_on.isoformat(),
                a.evidence,
                a.review_on.isoformat() if a.review_on else "",
                a.notes or "",
                a.recorded_by,
                a.recorded_at.isoformat(),
            ]
            for a in attestations
        ],
    )
    speed_series = [
        charts.Series(label, [(when, float(f[key])) for when, f in speeds if isinstance(f.get(key), int | float)])
        for key, label in (("download_mbps", "Download (Mbps)"), ("upload_mbps", "Upload (Mbps)"))
    ]
    threshold = queries.phase_threshold(standards_map, "broadband_download_meets_minimum", site.phase)
    speed_chart = charts.line_chart(
        "speed",
        f"Broadband speed over the last {days} days",
        _speed_description(speed_series, threshold, site.phase),
        [s for s in speed_series if s.points],
        unit="Mbps by date",
        threshold=threshold,
        threshold_label=f"DfE {site.phase or ''} download minimum {threshold:g} Mbps" if threshold else None,
    )
    titles = dict(_standards())
    met_series = [
        charts.Series(titles.get(std, std), [(when, float(met)) for when, met, _, _ in points])
        for std, points in sorted(trend.items())
    ]
    not_met_series = [
        charts.Series(titles.get(std, std), [(when, float(fail)) for when, _, _, fail in points])
        for std, points in sorted(trend.items())
    ]
    not_met_chart = charts.line_chart(
        "notmet",
        f"Requirements not met per standard over the last {days} days",
        _met_description(trend, titles, index=3, word="not met"),
        not_met_series,
        unit="requirements not met by date",
    )
    met_chart = charts.line_chart(
        "met",
        f"Requirements met per standard over the last {days} days",
        _met_description(trend, titles),
        met_series,
        unit="requirements met by date",
    )
    age = (now - latest.finished_at).total_seconds() / 86400 if latest else None
    return _tables_or_page(
        request,
        [history_table, requirement_table, changes_table, attestation_table],
        f"school-{site.site_id}",
        "school.html.j2",
        title=f"{site.name} ({site.site_id})",
        site=site,
        latest=latest,
        previous=previous,
        changed=changed,
        speed_chart=speed_chart,
        met_chart=met_chart,
        not_met_chart=not_met_chart,
        manual=manual,
        known=known,
        attestations=attestations,
        addresses=addresses,
        days=days,
        stale=age is None or age > stale_after,
        age_days=age,
        stale_after=stale_after,
        map_version=standards_map.version,
        today=now.date().isoformat(),
        trend=trend,
        speeds=speeds,
    )


def _speed_description(series: list[charts.Series], threshold: float | None, phase: str | None) -> str:
    parts = []
    for one in series:
        if one.points:
            values = [v for _, v in one.points]
            parts.append(
                f"{one.label}: {len(values)} measurements, lowest {min(values):g}, highest {max(values):g}, "
                f"latest {sorted(one.points)[-1][1]:g}."
            )
    if threshold is not None:
        below = sum(1 for s in series[:1] for _, v in s.points if v < threshold)
        parts.append(f"The {phase} download minimum is {threshold:g} Mbps; {below} measurements were below it.")
    return " ".join(parts) or "No broadband measurements in this period."


def _met_description(
    trend: dict[str, list[tuple[datetime, int, int, int]]], titles: dict[str, str], index: int = 1, word: str = "met"
) -> str:
    parts = []
    for std, points in sorted(trend.items()):
        first, last = points[0], points[-1]
        parts.append(
            f"{titles.get(std, std)}: {first[index]} of {first[2]} {word} at first, {last[index]} of {last[2]} now."
        )
    return " ".join(parts) or "No reports in this period."


def _as_attestation(row: SiteAttestation) -> Attestation:
    return Attestation(
        requirement=row.requirement,
        outcome="met" if row.outcome == "met" else "not_met",
        attested_by=row.attested_by,
        attested_on=row.attested_on,
        evidence=row.evidence,
        notes=row.notes,
    )


@router.get("/schools/{site_id}/reports/{report_id}")
def stored_report(
    request: Request, site_id: str, report_id: str, principal: Principal = Depends(signed_in)
) -> Response:
    with sessions_of(request)() as session:
        report_row, site = visible_report(session, principal, report_id)
        if site.site_id != site_id:
            raise HTTPException(404, "no such report")
        envelope = report_row.envelope
    report = rendering.report_of(envelope)
    if report is None:
        return render(
            request,
            "message.html.j2",
            status_code=200,
            title="Report stored in a format this collector cannot draw",
            message="This report came from an agent version whose report this collector cannot render; its "
            "results are still on the school page and in the API.",
        )
    html = rendering.report_html(report)
    banner = (
        f'<p style="font:14px sans-serif;margin:8px"><a href="/schools/{site.site_id}">Back to {site.name} on the '
        "trust dashboard</a></p>"
    )
    html = html.replace("<body>", "<body>" + banner, 1) if "<body>" in html else banner + html
    return HTMLResponse(html, headers=page_headers(REPORT_CSP))


@router.post("/schools/{site_id}/attestations")
async def record_attestation(request: Request, site_id: str, principal: Principal = Depends(signed_in)) -> Response:
    form = await read_form(request)
    require_csrf(request, form, request.cookies.get(SESSION_COOKIE))
    if not principal.can_attest:
        raise HTTPException(403, "only a trust administrator or the school's own viewer records confirmations")
    requirement = form.get("requirement", "")
    try:
        spec = load_map().requirement(requirement).attestation
    except KeyError:
        spec = None
    if spec is None:
        raise HTTPException(422, f"requirement {requirement!r} is not one a person confirms")
    try:
        attested_on = date.fromisoformat(form.get("attested_on", ""))
        review_on = date.fromisoformat(form["review_on"]) if form.get("review_on") else None
    except ValueError:
        raise HTTPException(422, "dates are written YYYY-MM-DD") from None
    outcome = form.get("outcome", "met")
    who = form.get("attested_by", "").strip()[:200]
    evidence = form.get("evidence", "").strip()[:2000]
    if outcome not in ("met", "not_met") or not who or not evidence:
        raise HTTPException(422, "say who confirms it, met or not met, and where the evidence is")
    if attested_on > utcnow().date():
        raise HTTPException(422, "the date of the confirmation cannot be in the future")
    with sessions_of(request)() as session:
        site = visible_site(session, principal, site_id)
        session.add(
            SiteAttestation(
                site_pk=site.id,
                requirement=requirement,
                outcome=outcome,
                attested_by=who,
                attested_on=attested_on,
                evidence=evidence,
                notes=form.get("notes", "").strip()[:2000] or None,
                review_on=review_on,
                recorded_by=principal.email,
                recorded_at=utcnow(),
            )
        )
        accounts.audit(
            session,
            "attestation.record",
            principal.email,
            principal.trust_id,
            f"{site.site_id} {requirement}",
            f"{outcome} by {who} on {attested_on}",
        )
        session.commit()
    return Response(status_code=303, headers={"Location": f"/schools/{site_id}#attest"})


@router.get("/requirements/{requirement_id}")
def requirement_page(
    request: Request,
    requirement_id: str,
    principal: Principal = Depends(signed_in),
    status: str | None = Query(None, max_length=20),
) -> Response:
    try:
        req = load_map().requirement(requirement_id)
    except KeyError:
        raise HTTPException(404, "no such requirement in the current standards map") from None
    with sessions_of(request)() as session:
        rows = queries.latest_rows(session, principal, utcnow(), queries.stale_days(session, principal.trust_id))
        findings = queries.requirement_across(session, rows, requirement_id)
    if status:
        findings = [f for f in findings if f.status == status]
    findings.sort(
        key=lambda f: (
            ([s.value for s in Status] + ["none"]).index(f.status)
            if f.status in [s.value for s in Status] + ["none"]
            else 99
        )
    )
    table = Table(
        "schools",
        f"{req.headline}: each school's finding",
        ["site_id", "name", "phase", "status", "report_id", "finished_at", "findings"],
        [
            [
                f.site.site_id,
                f.site.name,
                f.site.phase,
                f.status,
                f.site.report_id,
                f.site.finished_at.isoformat() if f.site.finished_at else "",
                " | ".join(f"{c}: {s}{f' ({t})' if t else ''}: {d}" for c, s, t, d in f.results),
            ]
            for f in findings
        ],
    )
    counts: dict[str, int] = defaultdict(int)
    for f in findings:
        counts[f.status] += 1
    return _tables_or_page(
        request,
        [table],
        f"requirement-{requirement_id}",
        "requirement.html.j2",
        title=f"{req.headline} ({req.id})",
        req=req,
        findings=findings,
        counts=dict(counts),
        due=queries.due_of(req),
        due_label=queries.DUE_LABEL,
        status=status,
    )


@router.get("/compare")
def compare(
    request: Request,
    principal: Principal = Depends(signed_in),
    a: str | None = Query(None, max_length=100),
    b: str | None = Query(None, max_length=100),
    at_a: str | None = Query(None, max_length=10),
    at_b: str | None = Query(None, max_length=10),
) -> Response:
    with sessions_of(request)() as session:
        choices = list(
            session.execute(
                select(Site.site_id, Site.name).where(site_filter(principal)).order_by(Site.name)
            ).all()
        )
        sides: list[dict[str, Any]] = []
        if a:
            for site_id, at in ((a, at_a), (b or a, at_b)):
                site = visible_site(session, principal, site_id)
                stored = queries.report_at(session, site, _parse_day(at))
                sides.append(
                    {
                        "site": site,
                        "report": stored,
                        "statuses": queries.requirement_statuses(session, stored.report_id) if stored else {},
                    }
                )
    rows: list[list[Any]] = []
    headlines = {req.id: req.headline for req in load_map().requirements}
    if sides:
        left, right = sides
        for req_id in sorted(set(left["statuses"]) | set(right["statuses"])):
            l_row = left["statuses"].get(req_id)
            r_row = right["statuses"].get(req_id)
            std, title = (l_row or r_row)[0], headlines.get(req_id, (l_row or r_row)[1])
            ls, rs = (l_row[2] if l_row else ""), (r_row[2] if r_row else "")
            rows.append([req_id, std, title, ls, rs, "yes" if ls != rs else "no"])

    def side_name(side: dict[str, Any]) -> str:
        when = side["report"].finished_at.date().isoformat() if side["report"] else "no report"
        return f"{side['site'].site_id} {when}"

    columns = (
        ["requirement", "standard", "title"]
        + ([side_name(sides[0]), side_name(sides[1])] if sides else ["a", "b"])
        + ["differs"]
    )
    table = Table("compare", "Side by side", columns, rows)
    return _tables_or_page(
        request,
        [table],
        "compare",
        "compare.html.j2",
        title="Compare",
        sides=sides,
        choices=choices,
        query={"a": a or "", "b": b or "", "at_a": at_a or "", "at_b": at_b or ""},
    )


@router.get("/plan")
def plan(
    request: Request,
    principal: Principal = Depends(signed_in),
    group: str = Query("due", max_length=10),
) -> Response:
    standards_map = load_map()
    with sessions_of(request)() as session:
        rows = queries.latest_rows(session, principal, utcnow(), queries.stale_days(session, principal.trust_id))
        items = queries.upgrade_plan(session, rows, standards_map)
    table = Table(
        "plan",
        "Upgrade plan",
        ["due", "when", "site_id", "school", "item", "target", "status", "requirement", "detail"],
        [
            [
                i.due,
                queries.DUE_LABEL[i.due],
                i.site.site_id,
                i.site.name,
                i.what,
                i.target or "",
                i.status,
                i.requirement,
                i.detail,
            ]
            for i in items
        ],
    )
    grouped: dict[str, dict[str, list[queries.PlanItem]]] = {}
    for item in items:
        outer, inner = (item.due, item.site.name) if group != "school" else (item.site.name, item.due)
        grouped.setdefault(outer, {}).setdefault(inner, []).append(item)
    return _tables_or_page(
        request,
        [table],
        "upgrade-plan",
        "plan.html.j2",
        title="Upgrade plan",
        grouped=grouped,
        group=group,
        due_label=queries.DUE_LABEL,
        items=items,
    )
