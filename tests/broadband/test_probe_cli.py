"""The probe through the orchestrator, the history it keeps, the CLI commands, and the lab component."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.cli.broadband import describe
from agent.config import Config
from agent.config.broadband import broadband_probe
from agent.lab.broadband import BroadbandLab
from agent.lab.procs import stop_process, wait_tcp
from agent.orchestrate import run_probes
from contract.evidence.broadband import BroadbandSpeed
from probes.broadband.common import ServerUnreachable
from probes.broadband.probe import measure_speed
from reports.area_broadband import history_table
from tests.conftest import free_port

QUICK = {"backend": "http", "streams": 2, "duration_s": 1.2, "warmup_s": 0.2, "ping_count": 3, "timeout_s": 3.0}
SCHOOLNET = [str(Path(sys.executable).parent / "schoolnet")]  # the installed console script


def config(tmp_path: Path, **broadband) -> Config:
    return Config.model_validate({
        "site": {"id": "T1", "name": "Test school", "phase": "secondary"},
        "agent": {"state_dir": str(tmp_path / "state")},
        "broadband": {**QUICK, **broadband},
    })


def test_probe_runs_median_and_history(tmp_path, speed_url):
    cfg = config(tmp_path, server=speed_url, runs=2, duration_s=1.0, connection_type="fttp")
    probe = broadband_probe(cfg)
    assert [t.kind for t in probe.tasks()] == ["broadband.speed"]
    records, runs = asyncio.run(run_probes([probe], timeout_s=60, concurrency=4))
    (record,) = records
    assert record.ok and record.kind == "broadband.speed"
    data = record.data or {}
    assert len(data["runs"]) == 2 and all(r["error"] is None for r in data["runs"])
    downs = sorted(r["download_mbps"] for r in data["runs"])
    assert data["download_mbps"] == pytest.approx(sum(downs) / 2)  # median of two runs
    assert data["interface"] == "lo" and data["connection_type"] == "fttp"
    assert len(data["history"]) == 1 and data["history_median_download_mbps"] == pytest.approx(data["download_mbps"])
    stored = (tmp_path / "state" / "broadband" / "history.jsonl").read_text().splitlines()
    assert len(stored) == 1


def test_history_accumulates_and_names_the_slowest_time(tmp_path, speed_url):
    from contract.evidence.broadband import HistoryPoint
    from probes.broadband import history

    now = datetime.now(UTC)
    store = tmp_path / "hist" / "history.jsonl"
    for days, hour, mbps in ((3, 2, 950.0), (2, 11, 410.0), (1, 16, 800.0), (30, 11, 1.0)):
        history.append(store, HistoryPoint(started_at=now - timedelta(days=days), local_hour=hour,
                                           download_mbps=mbps, upload_mbps=mbps), max_runs=50)
    bb = config(tmp_path, server=speed_url, history_dir=str(tmp_path / "hist")).broadband
    evidence = measure_speed(bb, runs=1, state_dir=None)
    assert len(evidence.history) == 4  # the 30-day-old run is outside the recent window
    assert evidence.slowest_time_of_day == "09:00-12:00"


def test_unreachable_server_is_an_unknown_with_reason(tmp_path, dead_url):
    probe = broadband_probe(config(tmp_path, server=dead_url, runs=3))
    records, _ = asyncio.run(run_probes([probe], timeout_s=60, concurrency=4))
    (record,) = records
    assert not record.ok and "cannot reach the speed server" in (record.error or "")
    with pytest.raises(ServerUnreachable):
        measure_speed(probe.bb)


def test_http_backend_needs_a_server(tmp_path):
    records, _ = asyncio.run(run_probes([broadband_probe(config(tmp_path))], timeout_s=10, concurrency=1))
    assert not records[0].ok and "needs a server URL" in (records[0].error or "")


def test_declared_links_task(tmp_path, speed_url):
    cfg = config(tmp_path, server=speed_url, wan_links=[
        {"name": "Leased", "type": "leased_line", "failover_tested_on": "2026-09-01"},
        {"name": "4G", "type": "4g"},
    ])
    probe = broadband_probe(cfg)
    declared = [t for t in probe.tasks() if t.kind == "broadband.links"]
    observations = declared[0].run()
    evidence = observations[0].evidence
    assert evidence.source == "declared" and [link.type for link in evidence.links] == ["leased_line", "4g"]
    assert str(evidence.failover_tested_on) == "2026-09-01"


def test_disabled_probe_has_no_tasks(tmp_path):
    assert broadband_probe(config(tmp_path, enabled=False)).tasks() == []


def test_cli_test_json_and_text(speed_url):
    args = [*SCHOOLNET, "broadband", "test", "--backend", "http", "--server", speed_url, "--duration", "1"]
    done = subprocess.run([*args, "--format", "json"], capture_output=True, text=True, timeout=60, cwd="/")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["download_mbps"] > 0 and data["upload_mbps"] > 0 and data["backend"] == "http"
    # The text format is one human line made from the same evidence.
    line = describe(BroadbandSpeed.model_validate(data))
    assert line.startswith("Download ") and "\n" not in line and "median of 1 run" in line


def test_cli_unreachable_exits_4(dead_url):
    """The command ran; its one target could not be measured: 4 (the contract), with the reason."""
    done = subprocess.run([*SCHOOLNET, "broadband", "test", "--backend", "http", "--server", dead_url],
                          capture_output=True, text=True, timeout=60, cwd="/")
    assert done.returncode == 4 and done.stdout == "" and "could not be measured: cannot reach" in done.stderr


def test_speed_server_command():
    port = free_port()
    proc = subprocess.Popen([*SCHOOLNET, "speed-server", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert not wait_tcp(port, 10)  # no port left closed
        import requests

        assert requests.get(f"http://127.0.0.1:{port}/ping", timeout=5).text == "pong\n"
    finally:
        stop_process(proc)


def test_lab_component_starts_measures_and_stops(tmp_path):
    lab = BroadbandLab(line_mbps=120.0)
    started = time.monotonic()
    try:
        fragment = lab.start(tmp_path)
        assert time.monotonic() - started < 5
        section = fragment["broadband"]
        cfg = Config.model_validate({"site": {"id": "L", "name": "Lab", "phase": "secondary"},
                                     "broadband": {**section, "runs": 1, "duration_s": 2.0}})
        probe = broadband_probe(cfg)
        records, _ = asyncio.run(run_probes([probe], timeout_s=60, concurrency=4))
        by_kind = {r.kind: r for r in records}
        speed = by_kind["broadband.speed"].data or {}
        assert 60 < speed["download_mbps"] < 180  # shaped to 120 Mbit/s (wide band: busy CI)
        assert len(speed["history"]) > 10  # the seeded week plus this run
        if "router" in section:
            links = by_kind["broadband.links"].data or {}
            assert [(link["name"], link["oper_up"]) for link in links["links"]] == [
                ("Gi0/0", True), ("Gi0/1", True), ("Ce0", False)]
            assert "lab-router" not in json.dumps([r.model_dump(mode="json") for r in records])  # no secret
        server, snmpsim = lab.server, lab.snmpsim
    finally:
        lab.stop()
    assert server is not None and server.poll() is not None
    assert snmpsim is None or snmpsim.poll() is not None
    lab.stop()  # twice is harmless


def test_history_table_in_a_report(tmp_path, speed_url):
    from contract.report import ReportAgent
    from reports.build import build_report
    from standards_map.model import load_map

    cfg = config(tmp_path, server=speed_url, runs=1)
    from agent.lab.broadband import seed_history

    seed_history(tmp_path / "state" / "broadband", datetime.now(UTC).astimezone())
    records, _ = asyncio.run(run_probes([broadband_probe(cfg)], timeout_s=60, concurrency=4))
    now = datetime.now(UTC)
    report = build_report(
        report_id=__import__("uuid").uuid4(), standards=load_map(), site=cfg.site_profile(),
        agent=ReportAgent(id="a", version="0"), evidence=records, attestations=[], probes=[],
        started_at=now, finished_at=now, evaluated_at=now,
    )
    table = history_table(report)
    assert table is not None and "Slowest time of day: 09:00-12:00" in table.intro
    assert "simulated" in table.intro
    assert [row[0].text for row in table.rows if row[0].status == "warn"] == ["09:00-12:00 (slowest)"]


def test_task_target_has_no_credentials(tmp_path):
    probe = broadband_probe(config(tmp_path, server="https://agent:canary-s3cret@speed.trust.example/speed"))
    assert [t.target for t in probe.tasks()] == ["https://speed.trust.example/speed"]
