"""The dashboard over real HTTP: sign-in per role, every page, figures against the stored rows, CSV, isolation
between trusts and between schools, CSRF, lockout, attestations, bulk administration, API CSV, offline /docs."""

from __future__ import annotations

import csv
import io
import re

import pytest
import requests
from sqlalchemy import select

from collector.db import make_engine, session_factory
from collector.models import RequirementRow, Site, StoredReport

PAGES = [
    "/",
    "/plan",
    "/compare",
    "/compare?a=100101&b=100102",
    "/schools/100101",
    "/schools/100102?days=30",
    "/requirements/dfe.broadband.minimum-speed",
    "/account",
    "/audit",
    "/admin",
]


def _csv(response: requests.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_signed_out_visitors_go_to_the_sign_in_page(trusts) -> None:
    client = trusts.client(role=None)
    first = client.get("/")
    assert first.status_code == 303 and first.headers["location"].startswith("/login")
    page = client.get("/login")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    cookie = page.raw.headers.getlist("set-cookie")[0].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    for path in PAGES[1:] + ["/?format=csv"]:
        assert client.get(path).status_code == 303, path


def test_every_page_opens_for_a_trust_admin(trusts) -> None:
    client = trusts.client()
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert "cdn" not in page.text.lower() and "https://unpkg" not in page.text
        assert re.search(r"<h1>[^<]+</h1>", page.text), path
    printable = client.get("/?view=print")
    assert "print-view" in printable.text and "print.js" in printable.text


def test_overview_figures_match_the_stored_rows(trusts) -> None:
    rows = _csv(trusts.client().get("/?format=csv"))
    assert {r["site_id"] for r in rows} == {"100101", "100102", "100103"}
    engine = make_engine(trusts.db_url)
    try:
        with session_factory(engine)() as session:
            for row in rows:
                site = session.scalar(select(Site).where(Site.site_id == row["site_id"]))
                newest = session.scalars(
                    select(StoredReport)
                    .where(StoredReport.site_pk == site.id)
                    .order_by(StoredReport.finished_at.desc())
                ).first()
                assert row["report_id"] == newest.report_id
                statuses = session.execute(
                    select(RequirementRow.standard, RequirementRow.status).where(
                        RequirementRow.report_id == newest.report_id
                    )
                ).all()
                for standard in ("broadband", "switching", "wireless", "cyber", "filtering"):
                    for status, column in (("pass", "met"), ("fail", "not_met"), ("unknown", "not_measured")):
                        expected = sum(1 for s, st in statuses if s == standard and st == status)
                        assert int(row[f"{standard}_{column}"]) == expected, (row["site_id"], standard, status)
    finally:
        engine.dispose()
    stale = {r["site_id"]: r["stale"] for r in rows}
    assert stale == {"100101": "no", "100102": "no", "100103": "yes"}  # 100103 went quiet 9 days ago
    riverside = next(r for r in rows if r["site_id"] == "100102")
    assert int(riverside["unmeasured_results"]) > 0 and riverside["unmeasured_targets"]  # its Wi-Fi probe fails


def test_overview_filters_and_sorts(trusts) -> None:
    client = trusts.client()
    primary = _csv(client.get("/?phase=primary&format=csv"))
    assert [r["site_id"] for r in primary] == ["100101"]
    stale = _csv(client.get("/?status=stale&format=csv"))
    assert [r["site_id"] for r in stale] == ["100103"]
    only_broadband = _csv(client.get("/?standard=broadband&format=csv"))
    assert "broadband_status" in only_broadband[0] and "wireless_status" not in only_broadband[0]
    by_urn_desc = _csv(client.get("/?sort=urn&order=desc&format=csv"))
    assert [r["site_id"] for r in by_urn_desc] == ["100103", "100102", "100101"]


def test_school_viewer_sees_only_their_school(trusts) -> None:
    head = trusts.client(role="school_viewer")
    assert head.get("/").headers["location"] == "/schools/100101"
    assert head.get("/schools/100101").status_code == 200
    for path in ("/schools/100102", "/schools/100102?format=csv", "/compare?a=100102", "/admin", "/audit"):
        assert head.get(path).status_code in (403, 404), path
    assert [r["site_id"] for r in _csv(head.get("/?format=csv"))] == ["100101"]
    finding_sites = {r["site_id"] for r in _csv(head.get("/requirements/dfe.broadband.minimum-speed?format=csv"))}
    assert finding_sites == {"100101"}
    assert {r["site_id"] for r in _csv(head.get("/plan?format=csv"))} <= {"100101"}


def test_trusts_are_isolated_on_every_page_and_export(trusts) -> None:
    other = trusts.client("b")
    assert [r["site_id"] for r in _csv(other.get("/?format=csv"))] == ["200201"]
    for path in (
        "/schools/100101",
        "/schools/100101?format=csv&table=history",
        "/compare?a=100101",
        "/compare?a=200201&b=100101",
    ):
        assert other.get(path).status_code == 404, path
    mine = trusts.client()
    report_id = _csv(mine.get("/?format=csv"))[0]["report_id"]
    site_id = _csv(mine.get("/?format=csv"))[0]["site_id"]
    assert mine.get(f"/schools/{site_id}/reports/{report_id}").status_code == 200
    assert other.get(f"/schools/{site_id}/reports/{report_id}").status_code == 404
    assert other.get(f"/schools/200201/reports/{report_id}").status_code == 404
    assert {r["site_id"] for r in _csv(other.get("/requirements/dfe.broadband.minimum-speed?format=csv"))} == {"200201"}
    assert {r["site_id"] for r in _csv(other.get("/plan?format=csv"))} <= {"200201"}
    assert all("it-lead@example" not in r["actor"] for r in _csv(other.get("/audit?format=csv")))


def test_stored_report_renders_as_the_agents_html_report(trusts) -> None:
    client = trusts.client()
    row = _csv(client.get("/?format=csv"))[0]
    page = client.get(f"/schools/{row['site_id']}/reports/{row['report_id']}")
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no script at all
    assert row["report_id"] in page.text or row["site_id"] in page.text


def test_school_page_history_changes_and_trend_charts(trusts) -> None:
    client = trusts.client()
    history = _csv(client.get("/schools/100101?format=csv&table=history"))
    assert len(history) == 12
    assert history[0]["finished_at"] > history[-1]["finished_at"]
    page = client.get("/schools/100101?days=30").text
    assert page.count("<svg") == 3 and 'role="img"' in page and "<desc" in page
    assert "DfE primary download minimum 100 Mbps" in page
    changes = _csv(client.get("/schools/100101?format=csv&table=changes"))
    assert all(r["before"] != r["after"] for r in changes)


def test_forms_need_the_csrf_token_and_the_same_origin(trusts) -> None:
    client = trusts.client()
    body = {"csv": "urn,name,phase\n300001,Forged School,primary\n"}
    assert client.post("/admin/import", body).status_code == 403
    token = client.csrf("/admin")
    forged = client.post("/admin/import", {**body, "csrf": token}, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
    assert client.post("/admin/import", {**body, "csrf": "0" * 64}).status_code == 403


def test_bulk_import_reports_every_bad_line_then_imports(trusts) -> None:
    client = trusts.client()
    token = client.csrf("/admin")
    bad = (
        "urn,name,phase,public_addresses\n12,No URN,primary,\n300002,Bad Phase,nursery,\n"
        "300003,Bad Address,primary,not an ip\n"
    )
    answer = client.post("/admin/import", {"csv": bad, "csrf": token})
    assert answer.status_code == 422
    for line in ("line 2", "line 3", "line 4"):
        assert line in answer.text
    good = (
        "urn,name,phase,public_addresses\n300010,Brook Primary,primary,203.0.113.5;203.0.113.6\n"
        "300011,Lake College,college,\n"
    )
    assert client.post("/admin/import", {"csv": good, "csrf": token}).status_code == 303
    sites = _csv(client.get("/admin?format=csv&table=sites"))
    brook = next(s for s in sites if s["site_id"] == "300010")
    assert brook["public_addresses"] == "2" and brook["enrolled"] == "no"
    tokens = _csv(
        client.post(
            "/admin/tokens",
            {"csrf": token, "site_ids": "300010 300011", "ttl_hours": "24", "only_unenrolled": "yes", "as": "csv"},
        )
    )
    assert [t["site_id"] for t in tokens] == ["300010", "300011"] and all(
        t["token"].startswith("snen_") for t in tokens
    )
    sheet = client.post("/admin/tokens", {"csrf": token, "site_ids": "300010", "ttl_hours": "24", "as": "sheet"})
    assert "schoolnet enroll" in sheet.text and "snen_" in sheet.text
    actions = {r["action"] for r in _csv(client.get("/audit?format=csv"))}
    assert {"sites.import", "tokens.enrol_bulk", "signin.ok"} <= actions
    # the other trust cannot take over these URNs
    other = trusts.client("b")
    clash = other.post("/admin/import", {"csv": good, "csrf": other.csrf("/admin")})
    assert clash.status_code == 422 and "another trust" in clash.text


def test_attestation_is_recorded_and_rejudged(trusts) -> None:
    head = trusts.client(role="school_viewer")
    before = {r["requirement"]: r for r in _csv(head.get("/schools/100101?format=csv&table=requirements"))}
    manual = [k for k, r in before.items() if r[next(c for c in r if c.startswith("status now"))] == "manual"]
    assert manual, "the simulated school has requirements that need confirming"
    target = manual[0]
    token = head.csrf("/schools/100101")
    answer = head.post(
        "/schools/100101/attestations",
        {
            "csrf": token,
            "requirement": target,
            "outcome": "met",
            "attested_by": "A. Head, head teacher",
            "attested_on": "2026-11-30",
            "evidence": "Governors' minutes, November",
            "review_on": "",
        },
    )
    assert answer.status_code == 303, answer.text[:300]
    after = {r["requirement"]: r for r in _csv(head.get("/schools/100101?format=csv&table=requirements"))}
    now_column = next(c for c in after[target] if c.startswith("status now"))
    assert after[target][now_column] in ("pass", "warn")
    as_reported = next(c for c in after[target] if c.startswith("status (map"))
    assert after[target][as_reported] == "manual"  # the stored judgement is kept as it was
    recorded = _csv(head.get("/schools/100101?format=csv&table=attestations"))
    assert recorded[0]["attested_by"] == "A. Head, head teacher" and recorded[0]["recorded_by"].startswith("head.")
    viewer = trusts.client(role="trust_viewer")
    refused = viewer.post(
        "/schools/100101/attestations", {"csrf": viewer.csrf("/schools/100101"), "requirement": target}
    )
    assert refused.status_code == 403


def test_lockout_after_ten_wrong_passwords(trusts) -> None:
    client = trusts.client(role=None)
    email, password = trusts.b.accounts["trust_viewer"]
    answers = [client.sign_in(email, f"wrong password {i}").status_code for i in range(10)]
    assert answers == [401] * 10
    locked = client.sign_in(email, password)
    assert locked.status_code == 429 and "Too many attempts" in locked.text


def test_api_lists_answer_csv_and_tokens_still_work(trusts) -> None:
    from collector import admin

    engine = make_engine(trusts.db_url)
    try:
        with session_factory(engine)() as session:
            token = admin.create_viewer_token(session, trusts.a.trust_slug, "script")
    finally:
        engine.dispose()
    auth = {"Authorization": f"Bearer {token}"}
    sites = requests.get(trusts.url + "/api/v1/sites?format=csv", headers=auth, timeout=10)
    assert sites.headers["content-type"].startswith("text/csv")
    assert {r["site_id"] for r in csv.DictReader(io.StringIO(sites.text))} >= {"100101", "100102", "100103"}
    history = requests.get(trusts.url + "/api/v1/sites/100101/history?format=csv", headers=auth, timeout=10)
    assert "summary.pass" in history.text.splitlines()[0]
    assert requests.get(trusts.url + "/api/v1/sites", headers=auth, timeout=10).json()[0]["site_id"]
    assert requests.get(trusts.url + "/api/v1/sites?format=csv", timeout=10).status_code == 401


def test_docs_work_offline(trusts) -> None:
    page = requests.get(trusts.url + "/docs", timeout=10)
    assert page.status_code == 200
    assert not re.search(r"cdn\.jsdelivr\.net|unpkg\.com|cdnjs", page.text)
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        assert requests.get(trusts.url + asset, timeout=10).status_code == 200, asset


@pytest.mark.parametrize("path", ["/login?next=//evil.example/x", "/login?next=https://evil.example/"])
def test_sign_in_never_redirects_off_site(trusts, path) -> None:
    client = trusts.client(role=None)
    page = client.get(path)
    assert 'name="next" value="/"' in page.text


def test_admin_creates_then_disables_an_account(trusts) -> None:
    admin_client = trusts.client()
    token = admin_client.csrf("/admin")
    made = admin_client.post(
        "/admin/accounts",
        {
            "csrf": token,
            "email": "bursar@northstar.example",
            "name": "Bursar",
            "role": "trust_viewer",
            "site_id": "",
            "password": "a bursar's passphrase",
        },
    )
    assert made.status_code == 303, made.text[:300]
    bursar = trusts.client(role=None)
    assert bursar.sign_in("bursar@northstar.example", "a bursar's passphrase").status_code == 303
    assert bursar.get("/").status_code == 200
    off = admin_client.post("/admin/accounts/disable", {"csrf": token, "email": "bursar@northstar.example"})
    assert off.status_code == 303
    assert bursar.get("/").status_code == 303  # signed out at once
    assert bursar.sign_in("bursar@northstar.example", "a bursar's passphrase").status_code == 401
    other = trusts.client("b")
    foreign = other.post("/admin/accounts/disable", {"csrf": other.csrf("/admin"), "email": "it-lead@x.example"})
    assert foreign.status_code == 404


def test_two_step_sign_in_with_totp(trusts) -> None:
    import time

    from collector.auth import totp

    admin_client = trusts.client()
    admin_client.post(
        "/admin/accounts",
        {
            "csrf": admin_client.csrf("/admin"),
            "email": "head2@northstar.example",
            "name": "Head",
            "role": "school_viewer",
            "site_id": "100102",
            "password": "a head teacher's passphrase",
        },
    )
    head = trusts.client(role=None)
    assert head.sign_in("head2@northstar.example", "a head teacher's passphrase").status_code == 303
    page = head.get("/account").text
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page).group(1)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    wrong = head.post("/account", {"csrf": token, "action": "totp_on", "secret": secret, "code": "000000"})
    assert wrong.status_code == 400
    on = head.post(
        "/account", {"csrf": token, "action": "totp_on", "secret": secret, "code": totp.code_at(secret, time.time())}
    )
    assert on.status_code == 303
    head.post("/logout", {"csrf": token})
    first = head.sign_in("head2@northstar.example", "a head teacher's passphrase")
    assert first.status_code == 303 and first.headers["location"].startswith("/login/code")
    assert head.get("/schools/100102").status_code == 303  # password alone opens nothing
    code_token = head.csrf("/login/code")
    bad = head.post("/login/code", {"csrf": code_token, "code": "123456", "next": "/"})
    assert bad.status_code == 401
    code = totp.code_at(secret, time.time() + 30)  # the next step: the enabling code's step is spent
    good = head.post("/login/code", {"csrf": code_token, "code": code, "next": "/"})
    assert good.status_code == 303
    assert head.get("/schools/100102").status_code == 200
    # the same code cannot sign in a second browser
    thief = trusts.client(role=None)
    thief.sign_in("head2@northstar.example", "a head teacher's passphrase")
    replay = thief.post("/login/code", {"csrf": thief.csrf("/login/code"), "code": code, "next": "/"})
    assert replay.status_code == 401
