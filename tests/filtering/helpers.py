"""Evidence builders for the pure check tests."""

from __future__ import annotations

from datetime import UTC, datetime

from contract.evidence.filtering import FilteringTest, UrlTest

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def url(category: str, outcome: str, host: str | None = None, how: str | None = None) -> UrlTest:
    how = how or ("dns-nxdomain" if outcome == "blocked" else None)
    return UrlTest(category=category, url=f"http://{host or category}.test/", outcome=outcome, how=how,
                   detail="seen", elapsed_ms=1.0)


def run(segment: str, tests: list[UrlTest], role: str | None = None, at: datetime = NOW,
        expect_blocked: list[str] | None = None, expect_allowed: list[str] | None = None) -> FilteringTest:
    return FilteringTest(segment=segment, role=role or segment, segment_source="flag", tested_at=at,
                         resolvers=["10.0.0.1"], test_list="t.csv", timeout_s=2, tests=tests,
                         expect_blocked=expect_blocked or [], expect_allowed=expect_allowed or [])
