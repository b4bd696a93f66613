"""The simulated trust server: a real collector process on loopback, with this lab school enrolled."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from agent.lab import BASE_CONFIG
from agent.lab.procs import die_with_parent, free_port, stop_process

log = logging.getLogger("schoolnet.lab.collector")


class CollectorProcess:
    """The one collector launcher (the demo's simulated trust server, the tests, the benchmark):
    ``python -m collector`` on a loopback port in its own process group, ready when /api/v1/health answers;
    ``kill()`` is SIGKILL (a crash), ``stop()`` a clean stop of the group."""

    def __init__(
        self,
        db_url: str,
        workdir: Path,
        port: int | None = None,
        *,
        workers: int = 1,
        extra_args: list[str] | None = None,
        log_name: str | None = None,
        tie_to_parent: bool = False,
        python: str | Path = sys.executable,
    ) -> None:
        self.db_url = db_url
        self.workdir = workdir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.extra_args = extra_args or []
        self.log_path = workdir / (log_name or f"collector-{self.port}.log")
        self.tie_to_parent = tie_to_parent  # the demo: the collector dies with the process that started it
        self.python = str(python)  # another virtualenv's interpreter (the collector-only install test)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 20.0) -> CollectorProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [
                self.python,
                "-m",
                "collector",
                "--db",
                self.db_url,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                *self.extra_args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends it and the workers it started
            preexec_fn=die_with_parent if self.tie_to_parent else None,
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"collector exited {self.process.returncode}: {self.log_tail()}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"collector not ready in {timeout_s} s: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text()[-2000:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL to the whole group: a crash, nothing cleans up."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_process(process, grace_s=10.0, group=True)


class CollectorLab:
    """Starts ``schoolnet collector serve`` (SQLite file in the workdir), creates the lab's trust and site,
    generates agent keys in a fresh state dir, enrols them, and hands back the [upload] config."""

    name = "collector"

    def __init__(self) -> None:
        self.server: CollectorProcess | None = None
        self.url: str | None = None
        self.db_url: str | None = None
        self.state_dir: Path | None = None
        self.viewer_token: str | None = None

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self.server.process if self.server is not None else None

    def start(self, workdir: Path) -> dict[str, Any]:
        try:
            import fastapi  # noqa: F401

            from collector import admin
            from collector.db import make_engine, migrate, session_factory
        except ModuleNotFoundError as exc:  # the [collector] extra is not installed: demo without upload
            log.warning("no simulated collector (%s missing)", exc.name)
            return {}
        from agent.delivery.enroll import enroll
        from agent.delivery.signing import init_keys

        workdir = workdir.resolve()
        self.db_url = f"sqlite:///{workdir / 'collector.db'}"
        site = BASE_CONFIG["site"]
        engine = make_engine(self.db_url)
        migrate(engine)
        with session_factory(engine)() as session:
            trust = admin.create_trust(session, site["trust"])
            admin.create_site(session, trust.slug, site["id"], site["name"], site["phase"])
            token, _ = admin.create_enrolment_token(session, site["id"])
            self.viewer_token = admin.create_viewer_token(session, trust.slug, "demo")
        engine.dispose()

        self.server = CollectorProcess(self.db_url, workdir, log_name="collector.log", tie_to_parent=True)
        self.url = self.server.url
        try:
            self.server.start(timeout_s=15.0)
            self.state_dir = workdir / "agent-state"
            init_keys(self.state_dir)
            enroll(self.url, token, self.state_dir, agent_id="lab-agent")
        except BaseException:
            self.stop()  # the Lab only stops components whose start() returned
            raise
        return {
            "agent": {"state_dir": str(self.state_dir)},
            "upload": {"enabled": True, "url": self.url, "max_attempts": 3, "backoff_initial_s": 0.2},
        }

    def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            server.stop()
