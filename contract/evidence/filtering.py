"""Filtering evidence: what a pupil's browser met for each test address, safe search, and the audit's segments.

- ``filtering.test``: one run of the test list from one network segment (staff, student, guest...).
- ``filtering.safe_search``: the resolver's answers for the search engines against their enforced endpoints.
- ``filtering.audit``: the latest run of each segment within the audit window, as a category x segment table,
  so "student blocks more than staff" and "guest is filtered" can be judged (and shown) together.

Only pydantic here: the collector combines stored runs with :func:`combine_runs` without the probe.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contract.evidence import Evidence

UrlOutcome = Literal["blocked", "allowed", "unknown"]
# How a block showed itself to the browser.
BlockHow = Literal["dns-nxdomain", "dns-sinkhole", "reset", "block-page", "tls-intercepted"]
SegmentRole = Literal["staff", "student", "guest", "other"]
SegmentSource = Literal["flag", "ssid", "config", "default"]
Engine = Literal["google", "youtube", "bing", "duckduckgo"]

# Category names with a meaning the checks rely on. Others (gambling, violence...) are the school's own.
ILLEGAL_CATEGORIES: tuple[str, ...] = ("iwf", "ctiru")
ADULT_CATEGORIES: tuple[str, ...] = ("adult",)
CIRCUMVENTION_CATEGORIES: tuple[str, ...] = ("proxy", "vpn", "doh")
CONTROL_CATEGORY = "allowed"  # addresses teaching needs: must NOT be blocked


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class UrlTest(_Model):
    """One test address, tried as a browser would: DNS through the resolver, then HTTP(S)."""

    category: str
    url: str
    outcome: UrlOutcome
    how: BlockHow | None = Field(default=None, description="how it was blocked (outcome blocked only)")
    detail: str = Field(description="one sentence: what was seen, or why it could not be told")
    addresses: list[str] = Field(default_factory=list, description="what the resolver answered")
    http_status: int | None = None
    block_provider: str | None = Field(default=None, description="the block-page signature that matched")
    tls_issuer: str | None = Field(default=None, description="certificate issuer seen for https addresses")
    elapsed_ms: float = Field(ge=0)


class CategoryCount(_Model):
    blocked: int = 0
    allowed: int = 0
    unknown: int = 0

    @property
    def total(self) -> int:
        return self.blocked + self.allowed + self.unknown


class FilteringTest(Evidence):
    kind = "filtering.test"

    segment: str = Field(description="the network segment the run was made from")
    role: SegmentRole
    segment_source: SegmentSource = Field(description="where the segment name came from")
    ssid: str | None = Field(default=None, description="the Wi-Fi network the agent was on, when known")
    tested_at: datetime
    resolvers: list[str] = Field(description="the resolver addresses used (the system's unless configured)")
    test_list: str = Field(description="the test list file name, or 'built-in neutral defaults'")
    timeout_s: float
    expect_blocked: list[str] = Field(default_factory=list, description="categories this segment must block")
    expect_allowed: list[str] = Field(default_factory=list, description="categories this segment must allow")
    tests: list[UrlTest]

    def in_categories(self, categories: Iterable[str]) -> list[UrlTest]:
        wanted = {c.lower() for c in categories}
        return [t for t in self.tests if t.category.lower() in wanted]

    def counts(self) -> dict[str, CategoryCount]:
        out: dict[str, dict[str, int]] = {}
        for test in self.tests:
            row = out.setdefault(test.category, {"blocked": 0, "allowed": 0, "unknown": 0})
            row[test.outcome] += 1
        return {category: CategoryCount(**row) for category, row in out.items()}


class SafeSearchResult(_Model):
    engine: Engine
    hostnames: list[str] = Field(description="the engine's names that were resolved")
    enforced_endpoint: str = Field(description="the engine's published enforced endpoint(s)")
    enforced: bool | None = Field(description="true: forced to the endpoint; null: could not tell (detail says why)")
    answers: dict[str, list[str]] = Field(default_factory=dict, description="hostname -> addresses/CNAMEs answered")
    detail: str


class FilteringSafeSearch(Evidence):
    kind = "filtering.safe_search"

    segment: str
    role: SegmentRole
    tested_at: datetime
    resolvers: list[str]
    engines: list[SafeSearchResult]


class SegmentSummary(_Model):
    """The latest run from one segment: its outcome counts by category, and its blocked addresses."""

    segment: str
    role: SegmentRole
    tested_at: datetime
    categories: dict[str, CategoryCount]
    blocked: list[str] = Field(default_factory=list, description="'category,url' of every blocked test")
    allowed: list[str] = Field(default_factory=list, description="'category,url' of every allowed test")


class FilteringAudit(Evidence):
    kind = "filtering.audit"

    window_days: int = Field(description="runs this recent were combined")
    segments: list[SegmentSummary]

    def categories(self) -> list[str]:
        return sorted({category for seg in self.segments for category in seg.categories})

    def of_role(self, role: SegmentRole) -> list[SegmentSummary]:
        return [seg for seg in self.segments if seg.role == role]


def _key(test: UrlTest) -> str:
    return f"{test.category},{test.url}"


def summarise_run(run: FilteringTest) -> SegmentSummary:
    return SegmentSummary(
        segment=run.segment,
        role=run.role,
        tested_at=run.tested_at,
        categories=run.counts(),
        blocked=[_key(t) for t in run.tests if t.outcome == "blocked"],
        allowed=[_key(t) for t in run.tests if t.outcome == "allowed"],
    )


def combine_runs(runs: Iterable[FilteringTest], window_days: int) -> FilteringAudit:
    """The latest run of each segment (the caller keeps only runs of this audit's window)."""
    latest: dict[str, FilteringTest] = {}
    for run in runs:
        seen = latest.get(run.segment)
        if seen is None or run.tested_at > seen.tested_at:
            latest[run.segment] = run
    order = {"staff": 0, "student": 1, "guest": 2, "other": 3}
    chosen = sorted(latest.values(), key=lambda r: (order[r.role], r.segment))
    return FilteringAudit(window_days=window_days, segments=[summarise_run(r) for r in chosen])
