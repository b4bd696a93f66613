"""Canary secrets: seeded into device output and the lab's own credentials, none reaches the report, the logs
or stdout of a real `schoolnet scan` (logging at debug level)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import tomli_w

CANARY = re.compile(r"CANARY\w*")


def test_no_canary_reaches_report_logs_or_stdout(switch_lab, tmp_path: Path):
    lab, fragment = switch_lab
    # The lab's SSH password, SNMP communities and v3 keys are canaries too; so are the secrets in the configs.
    assert "CANARY" in lab.password
    config = {
        "site": {"id": "T-1", "name": "Canary school", "phase": "secondary"},
        "probes": {"target_timeout_s": 60, "concurrency": 16},
        "switches": fragment["switches"],
    }
    path = tmp_path / "schoolnet.toml"
    path.write_text(tomli_w.dumps(config), encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "schoolnet"), "-v", "scan", "--config", str(path), "--only", "switches",
         "--output", str(out), "--format", "json", "--no-progress"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    report = (out / "report.json").read_text(encoding="utf-8")
    assert '"running_config"' in report and "<removed>" in report  # the configs were stored, scrubbed
    places = {
        "stdout": proc.stdout,
        "stderr (logs)": proc.stderr,
        **{f.name: f.read_text(encoding="utf-8", errors="replace") for f in out.iterdir() if f.is_file()},
    }
    leaks = {where: sorted(set(CANARY.findall(text))) for where, text in places.items() if CANARY.search(text)}
    assert leaks == {}


def test_no_canary_in_debug_logs_of_an_in_process_scan(switch_lab, tmp_path: Path, caplog, capfd):
    import asyncio
    import logging

    from agent.config import Config
    from agent.config.switches import switch_probe
    from agent.orchestrate import run_probes

    _lab, fragment = switch_lab
    caplog.set_level(logging.DEBUG)
    for name in ("schoolnet", "paramiko", "pysnmp", "fakenos"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    config = Config.model_validate({"site": {"id": "T", "name": "T", "phase": "secondary"},
                                    "switches": fragment["switches"]})
    records, _ = asyncio.run(run_probes([switch_probe(config)], timeout_s=60, concurrency=16))
    captured = capfd.readouterr()
    dumped = "".join(r.model_dump_json() for r in records)
    assert "CANARY" in "".join(Path(p).read_text() for p in Path(fragment["switches"]["devices"][0]["password"]
                                                                     ["file"]).parent.iterdir())
    for where, text in (("logs", caplog.text), ("stdout", captured.out), ("stderr", captured.err),
                        ("evidence", dumped)):
        assert not CANARY.search(text), (where, sorted(set(CANARY.findall(text))))
