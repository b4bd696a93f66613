"""Collector ingest benchmark: ``.venv/bin/python -m benchmarks.collector [--reports N] [--clients C] [--quick]``.

Signed reports of a full school's size (~200 KB of report.json; ~270 KB as a DSSE envelope), from many enrolled
schools, POSTed by concurrent clients over real HTTP to ``schoolnet collector serve`` (uvicorn, N workers) backed
by SQLite (file) and by the real PostgreSQL on 127.0.0.1:5432 (a throwaway schema). Every upload is verified
(Ed25519 against the site's enrolled key), validated, checked for replay and stored (envelope + normalised
results). Reported: reports/s and p50/p95 latency, side by side with the peer: the same uvicorn/FastAPI stack
that only reads the body and answers 201 (the HTTP ceiling on this machine). Client and server share the CPUs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

from agent.delivery.signing import AgentKeys
from agent.lab.procs import stop_process
from tests.support.collector_kit import (
    CollectorProcess,
    enrolled_keys,
    free_port,
    postgres_reachable,
    postgres_schema,
    provision,
    report_bytes,
    signed,
)

CLIENT_CPU_S: list[float] = []  # the uploading clients' own CPU, per _fire call
EVIDENCE_RECORDS = 10  # ~190 KB report.json: a secondary school with a few dozen switches


@dataclass
class Figures:
    name: str
    reports: int
    seconds: float
    latencies_s: list[float]
    errors: int
    body_kb: float
    server_cpu_s: float = 0.0  # the server's process group, plus PostgreSQL's backends when used
    client_cpu_s: float = 0.0  # the benchmark's own uploading threads

    def row(self) -> str:
        lat = sorted(self.latencies_s)
        p50 = statistics.median(lat) * 1000
        p95 = lat[max(0, int(len(lat) * 0.95) - 1)] * 1000
        cpu_ms = self.server_cpu_s / self.reports * 1000
        capacity = 2 / (self.server_cpu_s / self.reports) if self.server_cpu_s else float("nan")
        client_ms = self.client_cpu_s / self.reports * 1000
        return (
            f"{self.name:<34} {self.reports:>7} {self.reports / self.seconds:>10.0f} {p50:>9.1f} {p95:>9.1f}"
            f" {self.errors:>7} {self.body_kb:>8.0f} {cpu_ms:>9.2f} {capacity:>10.0f} {client_ms:>10.2f}"
        )


def _cpu_seconds(session_id: int | None, names: tuple[str, ...] = ()) -> float:
    """utime+stime of every process in a session (the server and its workers) or with one of ``names``."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        # fields[3] is the session id; utime/stime are fields 14/15 of the full line (11/12 here)
        if (session_id is not None and int(fields[3]) == session_id) or comm in names:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _bodies(server_url: str, db_url: str, workdir: Path, sites: int, reports: int) -> list[bytes]:
    """Enrol ``sites`` schools and sign ``reports`` distinct reports spread over them."""
    keys: list[tuple[str, AgentKeys, bytes]] = []
    for n in range(sites):
        site = provision(db_url, f"Bench Trust {n % 5}", f"URN-{n:06d}")
        agent_keys = enrolled_keys(server_url, site.enrol_token, workdir / f"state-{n}")
        template = report_bytes(site.site_id, report_id=uuid.UUID(int=0), evidence_records=EVIDENCE_RECORDS)
        keys.append((site.site_id, agent_keys, template))
    zero = str(uuid.UUID(int=0)).encode()
    bodies = []
    for i in range(reports):
        _, agent_keys, template = keys[i % sites]
        payload = template.replace(zero, str(uuid.uuid4()).encode(), 1)
        bodies.append(signed(agent_keys, payload))
    return bodies


def _fire(url: str, bodies: list[bytes], clients: int, expect: int) -> tuple[float, list[float], int]:
    local = threading.local()
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def one(body: bytes) -> None:
        nonlocal errors
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        started = time.perf_counter()
        response = session.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=60)
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if response.status_code != expect:
                errors += 1

    started, cpu_started = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, bodies))
    CLIENT_CPU_S[:] = [time.process_time() - cpu_started]
    return time.perf_counter() - started, latencies, errors


def run_backend(
    name: str, db_url: str, workdir: Path, *, reports: int, clients: int, sites: int, workers: int
) -> Figures:
    server = CollectorProcess(db_url, workdir / name, workers=workers).start()
    try:
        bodies = _bodies(server.url, db_url, workdir / name, sites, reports + 20)
        warm, bodies = bodies[:20], bodies[20:]
        _fire(server.url + "/api/v1/reports", warm, clients, 201)  # connections, caches, JIT-free warm-up
        assert server.process is not None
        names = ("postgres",) if name == "postgresql" else ()
        app_before, db_before = _cpu_seconds(server.process.pid), _cpu_seconds(None, names)
        seconds, latencies, errors = _fire(server.url + "/api/v1/reports", bodies, clients, 201)
        app_cpu, db_cpu = _cpu_seconds(server.process.pid) - app_before, _cpu_seconds(None, names) - db_before
        if names:
            print(
                f"  {name}: collector {app_cpu / len(bodies) * 1000:.2f} ms CPU/report, "
                f"PostgreSQL server {db_cpu / len(bodies) * 1000:.2f} ms CPU/report",
                flush=True,
            )
        cpu = app_cpu + db_cpu
        size_kb = sum(len(b) for b in bodies) / len(bodies) / 1024
        return Figures(
            f"collector + {name} ({workers} workers)",
            len(bodies),
            seconds,
            latencies,
            errors,
            size_kb,
            cpu,
            CLIENT_CPU_S[0],
        )
    finally:
        server.stop()


PEER_APP = textwrap.dedent("""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse
    app = FastAPI()
    @app.post("/api/v1/reports")
    async def sink(request: Request):
        body = await request.body()
        return JSONResponse({"status": "discarded", "bytes": len(body)}, status_code=201)
""")


def run_peer(workdir: Path, bodies: list[bytes], *, clients: int, workers: int) -> Figures:
    """The HTTP ceiling: uvicorn + FastAPI reading the same bodies and discarding them."""
    (workdir / "peer_sink.py").write_text(PEER_APP)
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "peer_sink:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v1/reports"
        for _ in range(200):
            try:
                requests.post(url, data=b"{}", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.05)
        _fire(url, bodies[:20], clients, 201)
        cpu_before = _cpu_seconds(process.pid)
        seconds, latencies, errors = _fire(url, bodies, clients, 201)
        cpu = _cpu_seconds(process.pid) - cpu_before
        size_kb = sum(len(b) for b in bodies) / len(bodies) / 1024
        return Figures(
            f"peer: uvicorn sink ({workers} workers)",
            len(bodies),
            seconds,
            latencies,
            errors,
            size_kb,
            cpu,
            CLIENT_CPU_S[0],
        )
    finally:
        stop_process(process, grace_s=10.0, group=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1000, help="reports per backend")
    parser.add_argument("--clients", type=int, default=16, help="concurrent uploading clients")
    parser.add_argument("--sites", type=int, default=40, help="enrolled schools the reports come from")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="uvicorn worker processes")
    parser.add_argument("--quick", action="store_true", help="200 reports, 8 clients, 10 sites")
    parser.add_argument(
        "--only",
        choices=["sqlite", "postgresql", "peer"],
        action="append",
        help="run only these (repeatable); default: all three",
    )
    args = parser.parse_args()
    if args.quick:
        args.reports, args.clients, args.sites = 200, 8, 10
    print(
        f"{os.cpu_count()} CPUs; {args.reports} reports per backend from {args.sites} schools, "
        f"{args.clients} concurrent clients",
        flush=True,
    )
    rows: list[Figures] = []
    only = set(args.only or ["sqlite", "postgresql", "peer"])
    with tempfile.TemporaryDirectory(prefix="sn-bench-collector-") as tmp:
        work = Path(tmp)
        if "sqlite" in only:
            sqlite = run_backend(
                "sqlite",
                f"sqlite:///{work / 'bench.db'}",
                work,
                reports=args.reports,
                clients=args.clients,
                sites=args.sites,
                workers=args.workers,
            )
            rows.append(sqlite)
            print(sqlite.row(), flush=True)
        reason = postgres_reachable() if "postgresql" in only else "not asked for"
        if reason:
            print(f"PostgreSQL skipped: {reason}")
        else:
            with postgres_schema() as pg_url:
                pg = run_backend(
                    "postgresql",
                    pg_url,
                    work,
                    reports=args.reports,
                    clients=args.clients,
                    sites=args.sites,
                    workers=args.workers,
                )
                rows.append(pg)
                print(pg.row(), flush=True)
        if "peer" not in only:
            sample = []
        else:
            sample = [signed(enrolled_keys_stub(), report_bytes("URN-PEER", evidence_records=EVIDENCE_RECORDS))] * 1
        if sample:
            rows.append(run_peer(work, sample * args.reports, clients=args.clients, workers=args.workers))
    print()
    print(
        f"{'':<34} {'reports':>7} {'reports/s':>10} {'p50 ms':>9} {'p95 ms':>9} {'errors':>7} {'body KB':>8}"
        f" {'CPU ms/r':>9} {'2-core r/s':>10} {'client ms':>10}"
    )
    for row in rows:
        print(row.row())
    load = os.getloadavg()
    print(
        f"\nCPU ms/r: server CPU per report (uvicorn workers; plus every postgres process for PostgreSQL).\n"
        f"2-core r/s: 2 CPU-seconds / CPU per report = what 2 dedicated cores sustain, client elsewhere.\n"
        "client ms: CPU the benchmark's own uploading clients used per report, on the same 2 cores.\n"
        f"Load average now {load[0]:.1f} (other work on this machine lowers the measured reports/s).\n"
        "target: >= 300 reports/s on 2 cores (22,000 schools in under 2 minutes)"
    )


def enrolled_keys_stub() -> AgentKeys:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    return AgentKeys(private, private.public_key())


if __name__ == "__main__":
    main()
