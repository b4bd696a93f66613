"""The dashboard in headless Debian Chromium (never a downloaded browser): each role signs in through the form,
opens every page, checks figures against the stored rows, downloads CSV, prints to PDF, is kept out of other
trusts and schools, moves by keyboard, and axe-core (from the npm registry) finds no serious accessibility issue."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from collector.db import make_engine, session_factory
from collector.models import RequirementRow, Site, StoredReport

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is in the [dev] extra")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).resolve().parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGES = {
    "trust_admin": [
        "/",
        "/?view=print",
        "/schools/100102",
        "/plan",
        "/compare?a=100101&b=100102",
        "/requirements/dfe.broadband.minimum-speed",
        "/admin",
        "/audit",
        "/account",
        "/docs",
    ],
    "trust_viewer": ["/", "/schools/100103", "/plan?group=school", "/compare?a=100102", "/audit"],
    "school_viewer": ["/schools/100101", "/plan", "/compare?a=100101", "/account"],
}


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def _sign_in(browser, trusts, trust: str, role: str, width: int = 1280):
    # bypass_csp only so that axe can be injected; the pages' own CSP is checked in test_pages.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    page.goto(trusts.url + "/")
    assert "/login" in page.url
    email, password = getattr(trusts, trust).accounts[role]
    page.fill("#email", email)
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:500]
    return context, page


def _axe(page) -> list[dict]:
    if not AXE.exists():
        return []
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )


@pytest.mark.parametrize("role", list(PAGES))
def test_each_role_opens_its_pages_without_serious_accessibility_issues(browser, trusts, role) -> None:
    context, page = _sign_in(browser, trusts, "a", role)
    problems = []
    try:
        for path in PAGES[role]:
            answer = page.goto(trusts.url + path)
            assert answer is not None and answer.status == 200, (path, answer and answer.status)
            if path == "/docs":
                page.wait_for_selector(".swagger-ui .info", timeout=15_000)  # rendered from local files only
                continue
            assert page.locator("h1").count() == 1, path
            serious = [v for v in _axe(page) if v["impact"] in ("serious", "critical")]
            problems.extend((path, v) for v in serious)
    finally:
        context.close()
    assert not problems, problems


def test_axe_is_installed_for_the_accessibility_check() -> None:
    if not AXE.exists():
        pytest.skip("run `npm ci --prefix tests/dashboard/browser` (scripts/setup.sh --dev does) for axe-core")
    assert AXE.stat().st_size > 100_000


def test_overview_figures_csv_and_print(browser, trusts, tmp_path) -> None:
    context, page = _sign_in(browser, trusts, "a", "trust_admin")
    try:
        page.goto(trusts.url + "/?sort=urn")
        rows = page.locator("table.matrix tbody tr")
        shown = {}
        for i in range(rows.count()):
            cells = rows.nth(i).locator("th, td")
            shown[cells.nth(1).inner_text().strip()] = int(cells.nth(cells.count() - 2).inner_text())
        engine = make_engine(trusts.db_url)
        try:
            with session_factory(engine)() as session:
                for site_id, not_met in shown.items():
                    site = session.scalar(select(Site).where(Site.site_id == site_id))
                    newest = session.scalars(
                        select(StoredReport.report_id)
                        .where(StoredReport.site_pk == site.id)
                        .order_by(StoredReport.finished_at.desc())
                    ).first()
                    stored = session.scalars(
                        select(RequirementRow.status).where(RequirementRow.report_id == newest)
                    ).all()
                    assert not_met == stored.count("fail"), site_id
        finally:
            engine.dispose()
        assert set(shown) == {"100101", "100102", "100103"}
        with page.expect_download() as download:
            page.click("text=Download this table as CSV")
        saved = tmp_path / "overview.csv"
        download.value.save_as(saved)
        table = list(csv.DictReader(io.StringIO(saved.read_text())))
        assert {r["site_id"] for r in table} == set(shown)
        for path in ("/", "/schools/100101"):
            page.goto(trusts.url + path + ("?view=print" if path == "/" else ""))
            page.emulate_media(media="print")
            pdf = page.pdf(format="A4", landscape=True, print_background=True)
            assert pdf[:4] == b"%PDF" and len(pdf) > 10_000
            assert not page.locator("header.top nav").is_visible()  # the print stylesheet hides navigation
            page.emulate_media(media="screen")
    finally:
        context.close()


def test_isolation_in_the_browser(browser, trusts) -> None:
    context, page = _sign_in(browser, trusts, "b", "trust_admin")
    try:
        for path in ("/schools/100101", "/compare?a=100102"):
            answer = page.goto(trusts.url + path)
            assert answer.status == 404 and "Not found" in page.inner_text("h1")
        page.goto(trusts.url + "/")
        assert "Other Trust Primary" in page.content() and "Hill Primary" not in page.content()
    finally:
        context.close()
    context, page = _sign_in(browser, trusts, "a", "school_viewer")
    try:
        assert page.url.endswith("/schools/100101")
        assert page.goto(trusts.url + "/schools/100102").status == 404
        assert page.locator("nav a", has_text="Overview").count() == 0
    finally:
        context.close()


def test_keyboard_reaches_the_content_with_visible_focus(browser, trusts) -> None:
    context, page = _sign_in(browser, trusts, "a", "trust_admin", width=390)
    try:
        page.goto(trusts.url + "/")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("", "none")
        page.keyboard.press("Enter")
        for _ in range(3):
            page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.tagName")
        assert focused in ("A", "SELECT", "BUTTON", "INPUT")
        for path in (
            "/",
            "/schools/100101",
            "/schools/100102",
            "/account",
            "/plan",
            "/compare?a=100101&b=100103",
            "/requirements/dfe.switching.uplink-capacity",
            "/audit",
        ):
            page.goto(trusts.url + path)
            # no sideways scroll at 390 px (wide tables scroll inside their own keyboard-focusable region)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1, path
    finally:
        context.close()
