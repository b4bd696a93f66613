"""Test support shared by the collector's tests, the delivery tests and the collector benchmark (not shipped in the
package): throwaway PostgreSQL schemas, provisioning, realistic signed reports. The collector process itself is
started by the lab's one launcher, ``agent.lab.collector.CollectorProcess`` (re-exported here)."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.delivery.signing import AgentKeys, envelope_bytes, init_keys
from agent.lab.collector import CollectorProcess
from agent.lab.procs import free_port

__all__ = ["CollectorProcess", "free_port"]  # and everything defined below

PG_ADMIN_URL = os.environ.get("SCHOOLNET_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_reachable(url: str = PG_ADMIN_URL) -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        import psycopg
    except ModuleNotFoundError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            conn.execute("select 1")
    except Exception as exc:
        return f"PostgreSQL unreachable at {url}: {exc}"
    return None


class ThrowawayPostgres:
    """A private PostgreSQL cluster on a free loopback port, for when none runs on 127.0.0.1:5432 (a fresh CI box
    with the packages installed but no cluster started). Trust auth, fsync off, deleted on stop()."""

    def __init__(self) -> None:
        self.directory: Path | None = None
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/test"
        self._bin: Path | None = None

    @staticmethod
    def binaries() -> Path | None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        return found[-1].parent if found else None

    def _run(self, *args: str) -> None:
        command = list(args)
        if os.geteuid() == 0:  # initdb refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> str:
        import shutil
        import tempfile

        self._bin = self.binaries()
        if self._bin is None:
            raise RuntimeError("PostgreSQL server binaries are not installed")
        self.directory = Path(tempfile.mkdtemp(prefix="sn-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        data = self.directory / "data"
        try:
            self._run(str(self._bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
            options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off"
            self._run(
                str(self._bin / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(self.directory / "pg.log"),
                "-o",
                options,
                "-w",
                "start",
            )
            import psycopg

            with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
                conn.execute("create database test")
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        import shutil

        if self.directory is None:
            return
        if self._bin is not None and (self.directory / "data" / "postmaster.pid").exists():
            try:
                self._run(
                    str(self._bin / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop"
                )
            except (subprocess.SubprocessError, OSError):
                pass
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None


@contextmanager
def postgres_for_tests() -> Iterator[str | None]:
    """The PostgreSQL to test against: 127.0.0.1:5432 (or $SCHOOLNET_TEST_PG) when it answers, else a throwaway
    cluster when the server binaries are installed (SCHOOLNET_TEST_PG=throwaway forces one); yields None, with
    the reason in ``postgres_for_tests.reason``, when neither is possible."""
    forced = os.environ.get("SCHOOLNET_TEST_PG") == "throwaway"  # always a private cluster
    reason = "SCHOOLNET_TEST_PG=throwaway" if forced else postgres_reachable()
    if reason is None:
        yield PG_ADMIN_URL
        return
    if ThrowawayPostgres.binaries() is None or ("SCHOOLNET_TEST_PG" in os.environ and not forced):
        postgres_for_tests.reason = reason  # type: ignore[attr-defined]
        yield None
        return
    cluster = ThrowawayPostgres()
    try:
        url = cluster.start()
    except Exception as exc:
        why = f"{reason}; a throwaway cluster did not start either: {exc}"
        postgres_for_tests.reason = why  # type: ignore[attr-defined]
        yield None
        return
    try:
        yield url
    finally:
        cluster.stop()


@contextmanager
def postgres_schema(url: str = PG_ADMIN_URL) -> Iterator[str]:
    """A fresh schema, dropped afterwards; yields a SQLAlchemy URL whose search_path is that schema only."""
    import psycopg

    name = f"sn_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'create schema "{name}"')
    try:
        yield f"postgresql+psycopg://{url.split('://', 1)[1]}?options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'drop schema if exists "{name}" cascade')


@dataclass
class Provisioned:
    trust: str
    site_id: str
    enrol_token: str
    viewer_token: str


def provision(db_url: str, trust: str, site_id: str, *, phase: str = "secondary") -> Provisioned:
    """Create a trust (if new), a site, an enrolment token and a viewer token, straight in the database."""
    from sqlalchemy import select

    from collector import admin
    from collector.db import make_engine, migrate, session_factory
    from collector.models import Trust

    engine = make_engine(db_url)
    migrate(engine)
    try:
        with session_factory(engine)() as session:
            slug = admin.slugify(trust)
            if session.scalar(select(Trust).where(Trust.slug == slug)) is None:
                admin.create_trust(session, trust, slug)
            admin.create_site(session, slug, site_id, f"School {site_id}", phase)
            token, _ = admin.create_enrolment_token(session, site_id)
            viewer = admin.create_viewer_token(session, slug, f"viewer of {slug}")
    finally:
        engine.dispose()
    return Provisioned(slug, site_id, token, viewer)


def enrolled_keys(collector_url: str, token: str, state_dir: Path) -> AgentKeys:
    from agent.delivery.enroll import enroll

    keys = init_keys(state_dir)
    enroll(collector_url, token, state_dir, agent_id=f"agent-{state_dir.name}")
    return keys


def report_bytes(
    site_id: str,
    *,
    trust: str | None = None,
    report_id: uuid.UUID | None = None,
    finished_at: datetime | None = None,
    evidence_records: int = 0,
    **changes: Any,
) -> bytes:
    """A real report (the evaluator's output for the site), serialised exactly as report.json is written.

    ``evidence_records`` pads it with that many evidence entries, to reach a full school's size."""
    from contract.evidence import EvidenceRecord
    from contract.report import ReportAgent
    from contract.site import SiteProfile
    from reports.build import build_report
    from reports.writers import report_json_bytes
    from standards_map.model import load_map

    finished = finished_at or datetime.now(UTC) - timedelta(seconds=5)
    report = build_report(
        report_id=report_id or uuid.uuid4(),
        standards=load_map(),
        site=SiteProfile(id=site_id, name=f"School {site_id}", phase="secondary", trust=trust),
        agent=ReportAgent(id="test-agent", version="0.1.0"),
        evidence=[],
        attestations=[],
        probes=[],
        started_at=finished - timedelta(minutes=3),
        finished_at=finished,
        evaluated_at=finished,
    )
    if evidence_records:
        records = [
            EvidenceRecord.model_validate(
                {
                    "id": f"ev-{n:05d}",
                    "kind": "switch.interfaces",
                    "probe": "switches",
                    "target": f"sw-{n:03d}",
                    "collected_at": finished.isoformat(),
                    "ok": True,
                    "error": None,
                    "data": {
                        "hostname": f"sw-{n:03d}",
                        "interfaces": [
                            {
                                "name": f"GigabitEthernet1/0/{port}",
                                "admin_up": port % 5 != 0,
                                "oper_up": port % 3 != 0,
                                "vlan": 10 + port % 4,
                                "speed_mbps": 1000,
                                "poe": True,
                                "description": f"room {port} desk",
                            }
                            for port in range(1, 49)
                        ],
                    },
                }
            )
            for n in range(evidence_records)
        ]
        report = report.model_copy(update={"evidence": records})
    if changes:
        report = report.model_copy(update=changes)
    return report_json_bytes(report)


def signed(keys: AgentKeys, payload: bytes, payload_type: str | None = None) -> bytes:
    return envelope_bytes(keys.sign(payload) if payload_type is None else keys.sign(payload, payload_type))


def run_collector_cli(
    capsys: Any, monkeypatch: Any, db: str, *args: str, env: dict[str, str] | None = None, db_flag: bool = False
) -> subprocess.CompletedProcess[str]:
    """`schoolnet collector ARGS` in-process through main(), with the exit code the console script would give.

    The database comes from SCHOOLNET_COLLECTOR_DB, or from `--db` after the arguments with ``db_flag``.
    """
    import sys

    from agent.cli import main

    if db_flag:
        monkeypatch.delenv("SCHOOLNET_COLLECTOR_DB", raising=False)
        argv = ["schoolnet", "collector", *args, "--db", db]
    else:
        monkeypatch.setenv("SCHOOLNET_COLLECTOR_DB", db)
        argv = ["schoolnet", "collector", *args]
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", argv)
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, out, err)
