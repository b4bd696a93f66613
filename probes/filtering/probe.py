"""FilteringProbe: the test list and safe search from the network the agent is on, and the audit table.

One task. It runs the test list from here (unless ``test_here`` is off, as on a server that is on no pupil
network), keeps the run in the runs file, and returns the latest run of every segment of this audit
(``filtering.test`` and ``filtering.safe_search`` each) and their category x segment table
(``filtering.audit``). Probes collect; the checks judge.
"""

from __future__ import annotations

import asyncio

from contract.evidence.filtering import FilteringAudit, FilteringSafeSearch, FilteringTest, SafeSearchResult, UrlTest
from probes.base import Observation, ProbeTask, utcnow
from probes.filtering import runs as runs_store
from probes.filtering.resolve import NoResolver, make_resolver, resolvers_of
from probes.filtering.runs import StoredRun
from probes.filtering.safesearch import ENGINES, check_all
from probes.filtering.settings import AuditSettings, FilteringSettings
from probes.filtering.tester import run_list


def _no_dns(settings: FilteringSettings, reason: str) -> StoredRun:
    """No resolver at all: every address (and engine) is unknown, with the reason."""
    tested_at = utcnow()
    tests = [UrlTest(category=e.category, url=e.url, outcome="unknown", detail=reason, elapsed_ms=0)
             for e in settings.tests]
    test = FilteringTest(
        segment=settings.segment, role=settings.role, segment_source=settings.segment_source, ssid=settings.ssid,
        tested_at=tested_at, resolvers=[], test_list=settings.test_list, timeout_s=settings.timeout_s,
        expect_blocked=settings.expect_blocked, expect_allowed=settings.expect_allowed, tests=tests,
    )
    engines = [SafeSearchResult(engine=engine, hostnames=list(names), enforced_endpoint=" / ".join(ends),
                                enforced=None, detail=reason) for engine, (names, ends) in ENGINES.items()]
    safe = FilteringSafeSearch(segment=settings.segment, role=settings.role, tested_at=tested_at, resolvers=[],
                               engines=engines) if settings.safe_search else None
    return StoredRun(test=test, safe_search=safe)


async def measure(settings: FilteringSettings) -> StoredRun:
    """Run the test list (and safe search) now; with no resolver at all, every result is unknown with why."""
    try:
        resolver = make_resolver(settings.resolvers)
    except NoResolver as exc:
        return _no_dns(settings, str(exc))
    tested_at = utcnow()
    tests = run_list(settings, resolver)
    if settings.safe_search:
        url_tests, engines = await asyncio.gather(tests, check_all(resolver, settings.timeout_s))
    else:
        url_tests, engines = await tests, None
    servers = resolvers_of(resolver)
    test = FilteringTest(
        segment=settings.segment, role=settings.role, segment_source=settings.segment_source,
        ssid=settings.ssid, tested_at=tested_at, resolvers=servers, test_list=settings.test_list,
        timeout_s=settings.timeout_s, expect_blocked=settings.expect_blocked,
        expect_allowed=settings.expect_allowed, tests=url_tests,
    )
    safe = None
    if engines is not None:
        safe = FilteringSafeSearch(segment=settings.segment, role=settings.role, tested_at=tested_at,
                                   resolvers=servers, engines=engines)
    return StoredRun(test=test, safe_search=safe)


def record_and_combine(run: StoredRun | None, audit_settings: AuditSettings) -> tuple[list[StoredRun], FilteringAudit]:
    """Keep this run (when a runs file is set); the latest run of each segment and their combined table."""
    now = run.test.tested_at if run else utcnow()
    if audit_settings.runs_file is None:
        kept = [run] if run else []
    else:
        if run is not None:
            runs_store.append_run(audit_settings.runs_file, run)
        kept = runs_store.load_runs(audit_settings.runs_file)
    latest = runs_store.latest_per_segment(kept, now, audit_settings.window_days)
    return latest, runs_store.audit(latest, now, audit_settings.window_days)


class FilteringProbe:
    """The filtering area's probe (its factory in agent.config.filtering builds the settings)."""

    name = "filtering"

    def __init__(self, settings: FilteringSettings, audit: AuditSettings, *, enabled: bool = True,
                 test_here: bool = True) -> None:
        self.settings = settings
        self.audit = audit
        self.enabled = enabled
        self.test_here = test_here

    def _timeout_s(self) -> float:
        rounds = -(-len(self.settings.tests) // self.settings.concurrency)
        return (rounds + 1) * self.settings.timeout_s + 30

    def tasks(self) -> list[ProbeTask]:
        if not self.enabled:
            return []
        target = f"segment {self.settings.segment}" if self.test_here else "earlier runs"
        return [ProbeTask(target=target, kind=FilteringTest.kind, run=self._run, timeout_s=self._timeout_s())]

    async def _run(self) -> list[Observation]:
        here = await measure(self.settings) if self.test_here else None
        problem: Observation | None = None
        try:
            latest, combined = record_and_combine(here, self.audit)
        except (runs_store.RunsFileError, OSError) as exc:
            latest = [here] if here else []
            problem = Observation(kind=FilteringAudit.kind, target="all segments", error=str(exc))
        else:
            if not latest:
                problem = Observation(kind=FilteringTest.kind, target="earlier runs", error=(
                    f"no filtering run in the last {self.audit.window_days} days: run `schoolnet filtering test` "
                    "on each network"))
        observations: list[Observation] = []
        for run in latest:
            target = f"segment {run.test.segment}"
            observations.append(Observation(kind=run.test.kind, target=target, evidence=run.test,
                                            collected_at=run.test.tested_at))
            if run.safe_search is not None:
                observations.append(Observation(kind=FilteringSafeSearch.kind, target=target,
                                                evidence=run.safe_search, collected_at=run.test.tested_at))
        if problem is not None:
            observations.append(problem)
        elif latest:
            observations.append(Observation(kind=combined.kind, target="all segments", evidence=combined))
        return observations
