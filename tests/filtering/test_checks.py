"""The filtering checks, judged on hand-built evidence (the lab tests judge real runs)."""

from __future__ import annotations

from datetime import timedelta

from contract.evidence.filtering import FilteringSafeSearch, SafeSearchResult, combine_runs
from probes.filtering.runs import StoredRun, audit
from standards_map.checks import registry
from standards_map.checks.filtering import (
    filtering_adult_content_blocked,
    filtering_categories_blocked,
    filtering_circumvention_blocked,
    filtering_guest_filtered,
    filtering_illegal_content_blocked,
    filtering_profiles_differ,
    filtering_safesearch_enforced,
)
from tests.filtering.helpers import NOW, run, url


def test_illegal_content_needs_both_lists_and_every_address_blocked():
    both = [url("iwf", "blocked"), url("ctiru", "blocked", how="dns-sinkhole")]
    assert filtering_illegal_content_blocked(run("student", both)).status == "pass"
    leak = filtering_illegal_content_blocked(run("student", [*both, url("iwf", "allowed", "iwf2")]))
    assert leak.status == "fail" and "iwf2.test" in leak.detail
    only_iwf = filtering_illegal_content_blocked(run("student", both[:1]))
    assert only_iwf.status == "unknown" and "ctiru" in only_iwf.detail
    none = filtering_illegal_content_blocked(run("student", [url("adult", "blocked")]))
    assert none.status == "unknown" and "never ships" in none.detail
    unsure = filtering_illegal_content_blocked(run("student", [*both, url("iwf", "unknown", "slow")]))
    assert unsure.status == "unknown"


def test_adult_and_circumvention():
    assert filtering_adult_content_blocked(run("guest", [url("adult", "allowed")])).status == "fail"
    assert filtering_adult_content_blocked(run("guest", [url("adult", "blocked")])).status == "pass"
    # one proxy entry is enough: not every circumvention category must be listed
    assert filtering_circumvention_blocked(run("student", [url("proxy", "blocked")])).status == "pass"
    assert filtering_circumvention_blocked(run("student", [url("vpn", "allowed")])).status == "fail"
    assert filtering_circumvention_blocked(run("student", [])).status == "unknown"


def test_categories_against_the_segment_expectations():
    tests = [url("social", "blocked"), url("allowed", "allowed")]
    ok = run("student", tests, expect_blocked=["social"], expect_allowed=["allowed"])
    assert filtering_categories_blocked(ok).status == "pass"
    leak = run("student", [url("social", "allowed")], expect_blocked=["social"])
    assert filtering_categories_blocked(leak).status == "fail"
    over = run("staff", [url("allowed", "blocked")], expect_allowed=["allowed"])
    assert filtering_categories_blocked(over).status == "warn"
    assert filtering_categories_blocked(run("staff", tests)).status == "unknown"  # no expectations
    untested = run("student", tests, expect_blocked=["social", "games"])
    assert filtering_categories_blocked(untested).status == "unknown"


def _safe(*enforced: bool | None) -> FilteringSafeSearch:
    engines = [SafeSearchResult(engine=e, hostnames=["x"], enforced_endpoint="y", enforced=v, detail="d")
               for e, v in zip(("google", "youtube", "bing", "duckduckgo"), enforced, strict=False)]
    return FilteringSafeSearch(segment="student", role="student", tested_at=NOW, resolvers=[], engines=engines)


def test_safe_search():
    assert filtering_safesearch_enforced(_safe(True, True, True, True)).status == "pass"
    assert filtering_safesearch_enforced(_safe(True, False, None, True)).status == "fail"
    assert filtering_safesearch_enforced(_safe(True, None, True, True)).status == "unknown"


def test_profiles_differ_and_guest_filtered():
    fixed = [url("iwf", "blocked"), url("adult", "blocked")]
    staff = run("staff", [*fixed, url("social", "allowed")])
    strict = run("student", [*fixed, url("social", "blocked")])
    blanket = run("student", [*fixed, url("social", "allowed")])
    guest_ok = run("guest", fixed)
    guest_open = run("guest", [url("iwf", "allowed"), url("adult", "allowed")])
    assert filtering_profiles_differ(combine_runs([staff, strict], 30)).status == "pass"
    same = filtering_profiles_differ(combine_runs([staff, blanket], 30))
    assert same.status == "fail" and "separate staff and student profiles" in same.detail
    inverted = filtering_profiles_differ(combine_runs([run("staff", [url("social", "blocked")]),
                                                      run("student", [url("social", "allowed")])], 30))
    assert inverted.status == "fail" and "can reach" in inverted.detail
    only_fixed = filtering_profiles_differ(combine_runs([run("staff", fixed), run("student", fixed)], 30))
    assert only_fixed.status == "unknown"
    assert filtering_profiles_differ(combine_runs([staff], 30)).status == "unknown"
    assert filtering_guest_filtered(combine_runs([staff, guest_ok], 30)).status == "pass"
    assert filtering_guest_filtered(combine_runs([staff, guest_open], 30)).status == "fail"
    assert filtering_guest_filtered(combine_runs([staff], 30)).status == "unknown"


def test_audit_keeps_the_latest_run_per_segment_within_the_window():
    old = run("student", [url("social", "allowed")], at=NOW - timedelta(days=40))
    newer = run("student", [url("social", "blocked")], at=NOW - timedelta(days=2))
    staff = run("staff", [url("social", "allowed")], at=NOW - timedelta(days=1))
    table = audit([StoredRun(test=t) for t in (old, newer, staff)], NOW, 30)
    assert [(s.segment, s.categories["social"].blocked) for s in table.segments] == [("staff", 0), ("student", 1)]
    assert len(audit([StoredRun(test=old)], NOW, 30).segments) == 0


def test_every_filtering_check_is_registered_with_its_evidence():
    checks = registry()
    kinds = {name: checks[name].kind for name in checks if name.startswith("filtering_")}
    assert kinds == {
        "filtering_illegal_content_blocked": "filtering.test", "filtering_adult_content_blocked": "filtering.test",
        "filtering_categories_blocked": "filtering.test", "filtering_safesearch_enforced": "filtering.safe_search",
        "filtering_circumvention_blocked": "filtering.test", "filtering_profiles_differ": "filtering.audit",
        "filtering_guest_filtered": "filtering.audit",
    }
