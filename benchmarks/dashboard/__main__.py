"""Dashboard benchmark: ``.venv/bin/python -m benchmarks.dashboard [--schools 50] [--nights 365] [--large 2000]``.

On the real PostgreSQL (127.0.0.1:5432, a throwaway schema per scenario), through a real collector process
(uvicorn, over HTTP, signed in as a trust administrator):

1. 50 schools x 365 nightly reports (18,250 reports, ~3 million result rows): the trust overview and the school
   page, p50/p95 over repeated requests (targets: p95 < 300 ms each). The school page is timed warm: the first view
   of a school reads its trend figures out of up to a year of stored envelopes once (timed and reported apart).
2. 2,000 schools (a national or large-trust deployment), three nightly reports each: the trust overview
   (target < 1 s), its first page (250 schools) and every school on one page (``?page=all``).

Reports go in through the collector's real ingest function (signature verification, validation, the same SQL) with
``now`` set to each night's arrival time, signed by each school's own Ed25519 key, enrolled with the real enrol
function. The evidence is the demo lab's broadband, Wi-Fi and switch records (a lighter report than a big
secondary's, since the pages read the result rows, not the envelopes), judged by the real evaluator per variant.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.delivery.signing import AgentKeys, envelope_bytes, raw_public_bytes
from agent.lab.trust_seed import SimulatedSchool, load_base, nightly_reports
from collector import admin
from collector.auth import accounts
from collector.db import make_engine, migrate, session_factory
from collector.ingest import IngestSettings, ingest
from contract.report import Report
from reports.writers import report_json_bytes
from tests.support.collector_kit import PG_ADMIN_URL, CollectorProcess, postgres_reachable, postgres_schema

FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "dashboard" / "lab-evidence.json"
PHASES = ("primary", "secondary", "all_through", "primary", "secondary")
VARIANTS = 6  # distinct judged reports per school; nights cycle through them with new ids and times
PASSWORD = "benchmark password 1"


def _variants(school: SimulatedSchool, evidence, profile, now: datetime) -> list[Report]:
    return list(nightly_reports(school, evidence, profile, nights=VARIANTS, now=now, trust="Benchmark Trust"))


def seed(db_url: str, schools: int, nights: int, label: str) -> tuple[list[str], float]:
    """Create the trust, its schools and keys, and ingest every night's signed report. Returns site ids, seconds."""
    evidence, profile = load_base(FIXTURE)
    engine = make_engine(db_url)
    migrate(engine)
    sessions = session_factory(engine)
    settings = IngestSettings()
    now = datetime.now(UTC)
    today = now.date()
    started = time.monotonic()
    site_ids = [f"{700000 + n}" for n in range(schools)]
    with sessions() as session:
        trust = admin.create_trust(session, "Benchmark Trust", "benchmark-trust")
        accounts.create_account(
            session, trust=trust, email="admin@benchmark.example", name="Admin", role="trust_admin", password=PASSWORD
        )
        keys: dict[str, AgentKeys] = {}
        for n, site_id in enumerate(site_ids):
            admin.create_site(session, trust.slug, site_id, f"School {n:04d}", PHASES[n % len(PHASES)])
            token, _ = admin.create_enrolment_token(session, site_id)
            private = Ed25519PrivateKey.generate()
            admin.enrol(session, token, raw_public_bytes(private.public_key()), f"bench-{site_id}")
            keys[site_id] = AgentKeys(private, private.public_key())
    # Variants judged once per phase (the evaluator is the slow part), re-dated per school and night.
    by_phase = {
        phase: _variants(
            SimulatedSchool("0", "x", phase, 900.0 if phase != "primary" else 110.0), evidence, profile, now
        )
        for phase in set(PHASES)
    }
    stored = 0
    rng = random.Random(1)
    for n, site_id in enumerate(site_ids):
        phase = PHASES[n % len(PHASES)]
        for night in range(nights):
            day = today - timedelta(days=nights - night)
            finished = datetime.combine(day, dtime(2, 0), tzinfo=UTC)
            base = by_phase[phase][rng.randrange(VARIANTS)]
            report = base.model_copy(
                update={
                    "report_id": uuid.UUID(int=rng.getrandbits(128), version=4),
                    "site": base.site.model_copy(update={"id": site_id, "name": f"School {n:04d}"}),
                    "site_profile": base.site_profile.model_copy(update={"id": site_id}),
                    "started_at": finished - timedelta(minutes=4),
                    "finished_at": finished,
                    "evaluated_at": finished,
                }
            )
            body = envelope_bytes(keys[site_id].sign(report_json_bytes(report)))
            outcome = ingest(sessions, body, settings, now=finished + timedelta(minutes=1))
            if outcome.status_code != 201:
                raise SystemExit(f"ingest refused a benchmark report: {outcome.code} {outcome.detail}")
            stored += 1
        if (n + 1) % max(1, schools // 10) == 0:
            print(
                f"  {label}: {n + 1}/{schools} schools, {stored} reports, {time.monotonic() - started:.0f} s",
                file=sys.stderr,
            )
    if engine.dialect.name == "postgresql":
        # What autovacuum would have done by the morning after (autocommit: statistics from a rolled-back
        # transaction are discarded).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return site_ids, time.monotonic() - started


class Browser:
    """A signed-in client (the cookie is Secure; requests does not send those over http, so it is set by hand)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        page = self.http.get(url + "/login", timeout=30)
        signin = page.cookies.get("sn_signin") or re.search(r"sn_signin=([^;]+)", page.headers["set-cookie"]).group(1)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        answer = self.http.post(
            url + "/login",
            data={"csrf": csrf, "email": "admin@benchmark.example", "password": PASSWORD, "next": "/"},
            headers={"Cookie": f"sn_signin={signin}"},
            allow_redirects=False,
            timeout=30,
        )
        self.session = re.search(r"sn_session=([^;]+)", answer.headers["set-cookie"]).group(1)

    def get(self, path: str) -> float:
        started = time.perf_counter()
        answer = self.http.get(
            self.url + path, headers={"Cookie": f"sn_session={self.session}"}, allow_redirects=False, timeout=60
        )
        elapsed = time.perf_counter() - started
        if answer.status_code != 200:
            raise SystemExit(f"GET {path}: HTTP {answer.status_code}")
        return elapsed


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def _line(name: str, values: list[float], target_ms: float) -> str:
    p50, p95 = statistics.median(values) * 1000, _p95(values) * 1000
    verdict = "OK" if p95 < target_ms else "OVER TARGET"
    figures = f"n={len(values):<4} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
    return f"{name:<44} {figures}  (target p95 < {target_ms:.0f} ms: {verdict})"


def run(schools: int, nights: int, large: int, large_nights: int, repeats: int) -> int:
    reason = postgres_reachable(PG_ADMIN_URL)
    if reason:
        print(f"needs PostgreSQL: {reason}", file=sys.stderr)
        return 3
    lines = []
    with tempfile.TemporaryDirectory(prefix="sn-dash-bench-") as work:
        with postgres_schema(PG_ADMIN_URL) as db_url:
            site_ids, seconds = seed(db_url, schools, nights, "trust")
            lines.append(
                f"seeded {schools} schools x {nights} nights = {schools * nights} reports in {seconds:.0f} s "
                f"({schools * nights / seconds:.0f} reports/s through ingest)"
            )
            server = CollectorProcess(db_url, Path(work) / "a").start()
            try:
                browser = Browser(server.url)
                browser.get("/")  # connection pools warm
                overview = [browser.get("/") for _ in range(repeats)]
                # First view of each school: its year of trend figures is read out of the envelopes once.
                cold = [browser.get(f"/schools/{site_id}?days=365") for site_id in site_ids]
                school = [browser.get(f"/schools/{random.choice(site_ids)}?days=365") for _ in range(repeats)]
                school90 = [browser.get(f"/schools/{random.choice(site_ids)}") for _ in range(repeats)]
                requirement = [browser.get("/requirements/dfe.broadband.minimum-speed") for _ in range(repeats)]
                plan = [browser.get("/plan") for _ in range(max(5, repeats // 4))]
            finally:
                server.stop()
            lines += [
                _line(f"overview, {schools} schools x {nights} reports", overview, 300),
                _line("school page, 365 days of trends (warm)", school, 300),
                _line("school page, 90 days (warm)", school90, 300),
                f"{'school page, first view (reads 365 envelopes)':<44} n={len(cold):<4} "
                f"p50 {statistics.median(cold) * 1000:7.1f} ms  max {max(cold) * 1000:7.1f} ms  (once per school)",
                _line("requirement page across the trust", requirement, 300),
                _line("upgrade plan", plan, 1000),
            ]
        with postgres_schema(PG_ADMIN_URL) as db_url:
            _, seconds = seed(db_url, large, large_nights, "large")
            lines.append(
                f"seeded {large} schools x {large_nights} nights = {large * large_nights} reports in {seconds:.0f} s"
            )
            server = CollectorProcess(db_url, Path(work) / "b").start()
            try:
                browser = Browser(server.url)
                browser.get("/")
                first = browser.get("/")  # the first view after the night's uploads sums their rollups
                overview = [browser.get("/") for _ in range(max(10, repeats // 2))]
                every = [browser.get("/?page=all") for _ in range(10)]
                csv_export = [browser.get("/?format=csv") for _ in range(5)]
            finally:
                server.stop()
            lines += [
                f"{'overview, first view after the uploads':<44} {first * 1000:7.1f} ms (sums {large} new rollups)",
                _line(f"overview, {large} schools (first 250 shown)", overview, 1000),
                _line(f"overview, {large} schools all on one page", every, 1000),
                _line(f"overview as CSV, {large} schools", csv_export, 1000),
            ]
    print("\n".join(lines))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=50)
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--large-nights", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="5 schools x 30 nights and 200 schools (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.schools, args.nights, args.large, args.large_nights, args.repeats = 5, 30, 200, 2, 20
    sys.exit(run(args.schools, args.nights, args.large, args.large_nights, args.repeats))


if __name__ == "__main__":
    main()
