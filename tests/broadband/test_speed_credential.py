"""The http backend against a collector whose /speed serves enrolled agents only (issue 9 defect 8, agent side):
an enrolled agent sends its credential to its own collector and measures; an un-enrolled key, or a server that is
not the [upload] url's origin, gets no credential through and the 401 is an unknown with the reason."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import Config
from agent.config.broadband import broadband_probe, speed_credential
from agent.delivery.signing import init_keys
from agent.orchestrate import run_probes

pytest.importorskip("fastapi", reason="the [collector] extra is not installed")
from tests.support.collector_kit import CollectorProcess, enrolled_keys, provision

QUICK = {"backend": "http", "streams": 2, "duration_s": 1.0, "warmup_s": 0.2, "ping_count": 3, "timeout_s": 3.0,
         "runs": 1, "record_history": False}


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A collector (SQLite) with --speed-enrolled-only, and the state dir of an agent enrolled with it."""
    work = tmp_path_factory.mktemp("speedcred")
    db_url = f"sqlite:///{work / 'collector.db'}"
    site = provision(db_url, "Trust C", "URN-C1")
    server = CollectorProcess(db_url, work, extra_args=["--speed-enrolled-only"]).start()
    try:
        enrolled_keys(server.url, site.enrol_token, work / "enrolled")
        yield server.url, work / "enrolled"
    finally:
        server.stop()


def config(state_dir: Path, upload_url: str, server: str) -> Config:
    return Config.model_validate({
        "site": {"id": "URN-C1", "name": "Test school", "phase": "secondary"},
        "agent": {"state_dir": str(state_dir)},
        "upload": {"url": upload_url},
        "broadband": {**QUICK, "server": server},
    })


def measure(cfg: Config) -> tuple[bool, str]:
    records, _ = asyncio.run(run_probes([broadband_probe(cfg)], timeout_s=60, concurrency=2))
    (record,) = records
    return record.ok, record.error or ""


def test_enrolled_agent_measures_its_own_collector(strict: tuple[str, Path]) -> None:
    url, state = strict
    cfg = config(state, url, url + "/speed")
    settings = broadband_probe(cfg).bb
    assert settings.speed_credential is not None
    assert "SchoolnetKey" not in repr(settings) + str(settings.model_dump())  # never printed
    ok, error = measure(cfg)
    assert ok, error


def test_cli_broadband_test_sends_the_credential(strict: tuple[str, Path], tmp_path: Path) -> None:
    url, state = strict
    toml = tmp_path / "schoolnet.toml"
    toml.write_text(
        f'[site]\nid = "URN-C1"\nname = "Test school"\nphase = "secondary"\n[agent]\nstate_dir = "{state}"\n'
        f'[upload]\nurl = "{url}"\n[broadband]\nbackend = "http"\nserver = "{url}/speed"\nstreams = 2\n'
        'ping_count = 3\nrecord_history = false\n'
    )
    schoolnet = str(Path(sys.executable).parent / "schoolnet")
    done = subprocess.run([schoolnet, "broadband", "test", "-c", str(toml), "--duration", "1", "--format", "json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["download_mbps"] > 0
    assert "SchoolnetKey" not in done.stdout + done.stderr


def test_unenrolled_key_is_refused_as_unknown(strict: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = strict
    init_keys(tmp_path / "stranger")  # keys, never enrolled: the credential is sent and refused
    ok, error = measure(config(tmp_path / "stranger", url, url + "/speed"))
    assert not ok and "HTTP 401" in error and "credential was refused" in error
    assert "SchoolnetKey" not in error


def test_other_origin_gets_no_credential(strict: tuple[str, Path]) -> None:
    url, state = strict
    elsewhere = url.replace("127.0.0.1", "localhost") + "/speed"  # the same server, but not the [upload] origin
    assert speed_credential(elsewhere, url, state) is None
    assert speed_credential(url + "/speed", url.replace("http:", "https:"), state) is None
    assert speed_credential(url + "/speed", None, state) is None
    ok, error = measure(config(state, url, elsewhere))
    assert not ok and "HTTP 401" in error and "sent no credential" in error


def test_no_keys_no_credential(tmp_path: Path) -> None:
    assert speed_credential("http://127.0.0.1:1/speed", "http://127.0.0.1:1", tmp_path / "nokeys") is None
