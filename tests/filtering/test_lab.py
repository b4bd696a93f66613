"""The filtering probe against a real filter in network namespaces (a real resolver per segment, block pages,
a TLS-intercepting filter, nftables resets and a black hole). Each run is ``schoolnet filtering test`` inside a
segment's namespace, resolving through that namespace's resolv.conf exactly as a pupil's browser would.

Needs root, ip and nft; skipped otherwise. Namespaces, /etc/netns entries and processes are always removed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from agent.lab.filtering import BLACKHOLE, OUTCOME_TESTS, VERDICT_TESTS, FilteringNetns, netns_available

pytestmark = [pytest.mark.netns, pytest.mark.skipif(netns_available() is not None,
                                                     reason=f"filtering lab {netns_available()}")]


class Lab:
    def __init__(self, netns: FilteringNetns, tests: Path) -> None:
        self.netns = netns
        assert netns.workdir is not None
        self.dir = netns.workdir
        self.config = self.dir / "schoolnet.toml"
        self.write_config(tests)

    def write_config(self, tests: Path, **extra: Any) -> None:
        section = {**self.netns.filtering_section(self.dir / "runs.jsonl", tests), "timeout_s": 1.5, **extra}
        self.config.write_text(tomli_w.dumps({
            "site": {"id": "LAB", "name": "Lab School", "phase": "secondary"},
            "agent": {"state_dir": str(self.dir / "state")}, "filtering": section}))

    def run(self, segment: str, *extra: str) -> tuple[int, dict[str, Any]]:
        argv = self.netns.exec_argv(segment, sys.executable, "-m", "agent", "filtering", "test", "--segment",
                                    segment, "--config", str(self.config), "--format", "json", *extra)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        assert done.returncode in (0, 1, 4), done.stderr
        return done.returncode, json.loads(done.stdout)


def _lab(profile: str, rows: tuple[tuple[str, str], ...]) -> Iterator[Lab]:
    netns = FilteringNetns(profile=profile)  # type: ignore[arg-type]
    names: list[str] = []
    try:
        netns.start()
        names = netns.namespaces()
        yield Lab(netns, netns.write_tests("tests.csv", rows))
    finally:
        netns.stop()
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert not [n for n in names if n in left], "namespaces left behind"
        assert not [n for n in names if Path("/etc/netns", n).exists()], "resolv.conf left behind"


@pytest.fixture(scope="module")
def kept() -> Iterator[Lab]:
    yield from _lab("well-kept", OUTCOME_TESTS)


@pytest.fixture(scope="module")
def leaky() -> Iterator[Lab]:
    yield from _lab("leaky", VERDICT_TESTS)


@pytest.fixture(scope="module")
def kept_runs(kept: Lab) -> dict[str, tuple[int, dict[str, Any]]]:
    return {segment: kept.run(segment) for segment in ("staff", "student", "guest")}


@pytest.fixture(scope="module")
def leaky_runs(leaky: Lab) -> dict[str, tuple[int, dict[str, Any]]]:
    return {segment: leaky.run(segment) for segment in ("staff", "student", "guest")}


def outcomes(payload: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {t["url"].split("/")[2].split(".")[0]: (t["outcome"], t["how"]) for t in payload["tests"]}


def verdicts(payload: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for result in payload["results"]:
        out.setdefault(result["check"], result["status"])
        assert out[result["check"]] == result["status"], "one check, one verdict per run"
    return out


def test_every_outcome_and_every_way_of_blocking_from_the_student_network(kept, kept_runs):
    code, payload = kept_runs["student"]
    assert payload["segment"] == "student" and payload["role"] == "student"
    assert payload["resolvers"] == [kept.netns.resolver_of("student")]  # from the namespace's resolv.conf
    assert outcomes(payload) == {
        "www": ("allowed", None),
        "iwf": ("blocked", "dns-nxdomain"),
        "ctiru": ("blocked", "dns-sinkhole"),  # 0.0.0.0
        "adult": ("blocked", "dns-sinkhole"),  # an answer in the configured block-page range
        "gambling": ("blocked", "block-page"),  # transparent filter: DNAT to its block page
        "social": ("blocked", "tls-intercepted"),
        "games": ("blocked", "dns-nxdomain"),
        "proxy": ("blocked", "reset"),
        "vpn": ("blocked", "dns-nxdomain"),
        "blackhole": ("unknown", None),
        "silent": ("unknown", None),
    }
    by_host = {t["url"].split("/")[2].split(".")[0]: t for t in payload["tests"]}
    assert by_host["social"]["tls_issuer"] == "Lab Filter Inspection CA, schoolnet lab"
    assert by_host["gambling"]["block_provider"] == "SchoolNet Lab Filter" and by_host["gambling"]["http_status"] == 403
    assert f"no answer from {BLACKHOLE}:80 within 1.5 s" in by_host["blackhole"]["detail"]
    assert f"no DNS answer from {kept.netns.resolver_of('student')} within 1.5 s" in by_host["silent"]["detail"]
    # a black-holed address costs its timeout once
    assert 1400 < by_host["blackhole"]["elapsed_ms"] < 2500
    assert code == 4  # nothing failed, but two addresses could not be told


def test_staff_is_lenient_and_safe_search_is_locked_everywhere(kept_runs):
    _, staff = kept_runs["staff"]
    got = outcomes(staff)
    assert got["social"] == ("allowed", None) and got["games"] == ("allowed", None)
    assert got["gambling"] == ("blocked", "block-page")
    for segment in ("staff", "student", "guest"):
        engines = {e["engine"]: e["enforced"] for e in kept_runs[segment][1]["safe_search"]}
        assert engines == {"google": True, "youtube": True, "bing": True, "duckduckgo": True}


def test_well_kept_verdicts_per_segment(kept_runs):
    every_segment = {
        "filtering_illegal_content_blocked": "pass", "filtering_adult_content_blocked": "pass",
        "filtering_categories_blocked": "pass", "filtering_safesearch_enforced": "pass",
        "filtering_circumvention_blocked": "pass",
    }
    assert verdicts(kept_runs["staff"][1]) == {**every_segment, "filtering_profiles_differ": "unknown",
                                               "filtering_guest_filtered": "unknown"}
    assert verdicts(kept_runs["student"][1]) == {**every_segment, "filtering_profiles_differ": "pass",
                                                 "filtering_guest_filtered": "unknown"}
    assert verdicts(kept_runs["guest"][1]) == {**every_segment, "filtering_profiles_differ": "pass",
                                               "filtering_guest_filtered": "pass"}


def test_leaky_verdicts_per_segment(leaky_runs):
    staff, student, guest = (leaky_runs[s] for s in ("staff", "student", "guest"))
    assert staff[0] == 0 and verdicts(staff[1])["filtering_categories_blocked"] == "pass"
    assert student[0] == 1 and verdicts(student[1]) == {
        "filtering_illegal_content_blocked": "pass", "filtering_adult_content_blocked": "pass",
        "filtering_categories_blocked": "fail",  # social and games are let through: a blanket profile
        "filtering_safesearch_enforced": "fail",  # Bing is not forced to strict.bing.com
        "filtering_circumvention_blocked": "pass",
        "filtering_profiles_differ": "fail", "filtering_guest_filtered": "unknown",
    }
    engines = {e["engine"]: e["enforced"] for e in student[1]["safe_search"]}
    assert engines == {"google": True, "youtube": True, "bing": False, "duckduckgo": True}
    assert guest[0] == 1 and verdicts(guest[1]) == {
        "filtering_illegal_content_blocked": "fail", "filtering_adult_content_blocked": "fail",
        "filtering_categories_blocked": "fail", "filtering_safesearch_enforced": "fail",
        "filtering_circumvention_blocked": "fail",
        "filtering_profiles_differ": "fail", "filtering_guest_filtered": "fail",
    }
    assert {t["outcome"] for t in guest[1]["tests"]} == {"allowed"}


def test_a_resolver_that_never_answers_gives_unknown_with_the_reason(kept, kept_runs, tmp_path):
    silent = tmp_path / "silent.toml"
    config = tomllib.loads(kept.config.read_text())
    config["filtering"].update(resolvers=[BLACKHOLE], runs_file=str(tmp_path / "runs.jsonl"))
    silent.write_text(tomli_w.dumps(config))
    argv = kept.netns.exec_argv("student", sys.executable, "-m", "agent", "filtering", "test", "--segment",
                                "student", "--config", str(silent), "--format", "json")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    payload = json.loads(done.stdout)
    assert done.returncode == 4, done.stderr
    assert {t["outcome"] for t in payload["tests"]} == {"unknown"}
    assert all(f"no DNS answer from {BLACKHOLE} within 1.5 s" in t["detail"] for t in payload["tests"])
    assert {e["enforced"] for e in payload["safe_search"]} == {None}
    assert verdicts(payload)["filtering_illegal_content_blocked"] == "unknown"
    assert verdicts(payload)["filtering_safesearch_enforced"] == "unknown"


def test_scan_combines_the_segments_into_one_report(kept, kept_runs, tmp_path):
    combine = tmp_path / "combine.toml"
    combine.write_text(kept.config.read_text().replace("[filtering]", "[filtering]\ntest_here = false", 1))
    done = subprocess.run([sys.executable, "-m", "agent", "scan", "--config", str(combine), "--only", "filtering",
                           "--output", str(tmp_path / "out"), "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    report = json.loads(done.stdout)
    kinds = sorted((e["kind"], e["target"]) for e in report["evidence"])
    assert kinds == sorted([("filtering.audit", "all segments"),
                            *((k, f"segment {s}") for s in ("staff", "student", "guest")
                              for k in ("filtering.test", "filtering.safe_search"))])
    audit = next(e["data"] for e in report["evidence"] if e["kind"] == "filtering.audit")
    table = {s["segment"]: {c: n["blocked"] for c, n in s["categories"].items()} for s in audit["segments"]}
    assert table["student"]["social"] == 1 and table["staff"]["social"] == 0 and table["guest"]["adult"] == 1
    status = {r["requirement"]: r["status"] for r in report["results"] if r["check"] == "filtering_profiles_differ"}
    assert status == {"dfe.filtering.blocks-harmful-content": "pass"}


def test_scan_tests_from_the_network_it_is_on(kept, tmp_path):
    """`schoolnet scan` on a student machine: the filtering area runs the list from there, like filtering test."""
    config = tomllib.loads(kept.config.read_text())
    config["filtering"].update(runs_file=str(tmp_path / "runs.jsonl"), segment="student", tests_file=str(
        kept.netns.write_tests("verdict.csv", VERDICT_TESTS)))
    path = tmp_path / "scan.toml"
    path.write_text(tomli_w.dumps(config))
    argv = kept.netns.exec_argv("student", sys.executable, "-m", "agent", "scan", "--config", str(path), "--only",
                                "filtering", "--output", str(tmp_path / "out"), "--format", "json")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    report = json.loads(done.stdout)
    run = next(e for e in report["evidence"] if e["kind"] == "filtering.test")
    assert run["target"] == "segment student" and run["data"]["segment_source"] == "config"
    assert {t["how"] for t in run["data"]["tests"] if t["outcome"] == "blocked"} == {
        "dns-nxdomain", "dns-sinkhole", "block-page", "tls-intercepted", "reset"}
    status = {(r["requirement"], r["check"]): r["status"] for r in report["results"]
              if r["check"].startswith("filtering_")}
    assert status[("dfe.filtering.blocks-harmful-content", "filtering_categories_blocked")] == "pass"
    assert status[("dfe.broadband.security-safeguarding", "filtering_illegal_content_blocked")] == "pass"
    assert status[("dfe.filtering.unmanaged-devices-separated", "filtering_guest_filtered")] == "unknown"
    assert (tmp_path / "runs.jsonl").read_text().count("\n") == 1  # kept for the audit


def test_no_resolver_at_all_gives_unknown_with_the_reason(kept, tmp_path):
    """A network namespace whose resolv.conf names no server: every address is unknown, and says why."""
    config = tomllib.loads(kept.config.read_text())
    config["filtering"].update(runs_file=str(tmp_path / "runs.jsonl"))
    path = tmp_path / "c.toml"
    path.write_text(tomli_w.dumps(config))
    etc = Path("/etc/netns") / kept.netns.lab.ns("student") / "resolv.conf"  # type: ignore[union-attr]
    saved = etc.read_text()
    try:
        etc.write_text("# no nameserver here\n")
        code, payload = kept.run("student", "--config", str(path))
    finally:
        etc.write_text(saved)
    assert code == 4
    reason = "no DNS resolver is configured on this machine (/etc/resolv.conf)"
    assert {t["detail"] for t in payload["tests"]} == {reason}
    assert {e["enforced"] for e in payload["safe_search"]} == {None}
