"""The simulated trust server: a real collector process on loopback, with this lab school enrolled."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import requests

from agent.lab import BASE_CONFIG
from agent.lab.procs import die_with_parent, free_port, stop_process

log = logging.getLogger("schoolnet.lab.collector")


class CollectorLab:
    """Starts ``schoolnet collector serve`` (SQLite file in the workdir), creates the lab's trust and site,
    generates agent keys in a fresh state dir, enrols them, and hands back the [upload] config."""

    name = "collector"

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.url: str | None = None
        self.db_url: str | None = None
        self.state_dir: Path | None = None
        self.viewer_token: str | None = None
        self._log: IO[bytes] | None = None

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

        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._log = open(workdir / "collector.log", "wb")  # closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "collector", "--db", self.db_url, "--host", "127.0.0.1", "--port", str(port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends it and anything it started
            preexec_fn=die_with_parent,
        )
        try:
            self._wait_ready()
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

    def _wait_ready(self, timeout_s: float = 15.0) -> None:
        assert self.process is not None and self.url is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"simulated collector exited with {self.process.returncode} (see collector.log)")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"simulated collector not ready within {timeout_s:g} s")

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_process(process, grace_s=5.0, group=True)  # its own session: whatever it started goes too
        if self._log is not None:
            self._log.close()
            self._log = None
