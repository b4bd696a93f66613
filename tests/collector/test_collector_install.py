"""A trust server installs only ``schoolnet-audit[collector]``: none of the probe libraries come with it, and the
collector starts, is administered and serves a report (issue 10). Builds a fresh virtualenv with pip's own
configuration (a local index or the pip cache keeps it to about a minute)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from tests.support.collector_kit import CollectorProcess, report_bytes, signed

ROOT = Path(__file__).resolve().parents[2]
PROBE_LIBRARIES = ("scapy", "netmiko", "pysnmp", "paramiko", "speedtest", "textfsm", "ntc_templates", "dns")

pytestmark = [pytest.mark.install, pytest.mark.timeout(600)]


def _run(*command: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("SCHOOLNET_COLLECTOR_DB", None)
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, env=env, timeout=540, **kwargs)
    assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def collector_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("collector-only")
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", work / "wheel", ROOT)
    wheel = next((work / "wheel").glob("schoolnet_audit-*.whl"))
    _run(sys.executable, "-m", "venv", work / "venv")
    _run(work / "venv" / "bin" / "python", "-m", "pip", "install", "-q", f"{wheel}[collector]")
    return work / "venv"


def test_collector_only_install_has_no_probe_library(collector_venv: Path) -> None:
    code = "import importlib.util, json; print(json.dumps([m for m in %r if importlib.util.find_spec(m)]))"
    present = json.loads(_run(collector_venv / "bin" / "python", "-c", code % (PROBE_LIBRARIES,)).stdout)
    assert present == []
    # Nor any test code: the test kit is not part of the package.
    code = "import importlib.util as u; print(u.find_spec('collector.testkit'))"
    missing = _run(collector_venv / "bin" / "python", "-c", code, cwd=collector_venv)
    assert missing.stdout.strip() == "None"


def test_collector_only_install_serves_a_report(collector_venv: Path, tmp_path: Path) -> None:
    from agent.delivery.enroll import enroll
    from agent.delivery.signing import init_keys

    bin_dir = collector_venv / "bin"
    db = f"sqlite:///{tmp_path / 'collector.db'}"
    admin = [bin_dir / "schoolnet", "collector"]
    _run(*admin, "trust", "create", "Lean Trust", "--db", db)
    _run(*admin, "site", "create", "URN-L1", "--trust", "lean-trust", "--name", "Lean School", "--db", db)
    enrol_token = json.loads(_run(*admin, "token", "enrol", "URN-L1", "--db", db, "--format", "json").stdout)["token"]
    viewer = json.loads(_run(*admin, "token", "viewer", "lean-trust", "--db", db, "--format", "json").stdout)["token"]
    server = CollectorProcess(db, tmp_path, python=bin_dir / "python").start(timeout_s=60)
    try:
        assert "schoolnet collector on" in server.log_tail()
        keys = init_keys(tmp_path / "agent-state")
        enroll(server.url, enrol_token, tmp_path / "agent-state", agent_id="lean-agent")
        rid = uuid.uuid4()
        body = signed(keys, report_bytes("URN-L1", report_id=rid))
        stored = requests.post(server.url + "/api/v1/reports", data=body, timeout=10)
        assert stored.status_code == 201, stored.text
        auth = {"Authorization": f"Bearer {viewer}"}
        got = requests.get(f"{server.url}/api/v1/reports/{rid}", headers=auth, timeout=10)
        assert got.status_code == 200 and got.json()["site_id"] == "URN-L1"
    finally:
        server.stop()
