"""`schoolnet demo` end to end, as a user runs it: a real process, the whole simulated network, three reports.

The browser test opens the HTML report in Debian's headless Chromium and fails on any missing asset.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from standards_map.model import load_map


def _session_processes(session_id: int) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[3]) == session_id:  # field 6 of /proc/PID/stat: session id
            found.append(f"{proc.name}: {cmdline}")
    return found


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    output = tmp_path_factory.mktemp("demo")
    process = subprocess.Popen(
        [sys.executable, "-m", "agent", "demo", "--output", str(output)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # everything the demo starts shares this session id
    )
    try:
        stdout, stderr = process.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        raise
    # Whatever the demo started must be gone shortly after it exits.
    deadline = time.monotonic() + 5
    while _session_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    leftovers = _session_processes(process.pid)
    if leftovers:
        os.killpg(process.pid, 9)
    assert not leftovers, f"demo left processes behind: {leftovers}"
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), output


def test_demo_writes_three_reports(demo_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    result, output = demo_run
    assert result.returncode in (0, 1), result.stderr
    report = json.loads((output / "report.json").read_text())
    assert report["standards_version"] == load_map().version
    assert {r["requirement"] for r in report["results"]} == {r.id for r in load_map().requirements}
    with (output / "report.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == len(report["results"])
    assert "report.html" in result.stderr
    assert (output / "report.html").stat().st_size > 10_000


def test_demo_evidence_is_judged(demo_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, output = demo_run
    report = json.loads((output / "report.json").read_text())
    statuses = {r["status"] for r in report["results"]}
    assert "manual" in statuses and "pass" in statuses  # attestations from the demo config
    assert statuses <= {"pass", "fail", "warn", "unknown", "not_applicable", "manual"}
    evaluated = load_map()
    assert len(report["requirements"]) == len(evaluated.requirements)


@pytest.mark.browser
def test_html_report_renders_in_chromium(demo_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian chromium is not installed (scripts/setup.sh --dev installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    _, output = demo_run
    requests: list[str] = []
    failures: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda request: requests.append(request.url))
            page.on("requestfailed", lambda request: failures.append(request.url))
            page.on("console", lambda message: failures.append(message.text) if message.type == "error" else None)
            page.goto((output / "report.html").as_uri())
            page.screenshot(path=str(output / "report.png"), full_page=True)
            cards = page.locator(".card").count()
            headings = page.locator("article.req h3").count()
        finally:
            browser.close()
    assert failures == []
    assert requests == [(output / "report.html").as_uri()]  # nothing else was loaded
    assert cards == 5 and headings == len(load_map().requirements)
    assert (output / "report.png").stat().st_size > 50_000
