"""Nightly schedule under a temporary root: systemd units, cron entry, the lock, status and remove."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.delivery.schedule import install, remove, status
from agent.errors import UsageError

pytestmark = pytest.mark.skipif(shutil.which("flock") is None, reason="flock (util-linux) is not installed")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "schoolnet.toml"
    path.write_text('[site]\nid = "URN1"\nname = "School"\nphase = "primary"\n')
    return path


def test_cron_entry(tmp_path, config) -> None:
    root = tmp_path / "root"
    schedule = install("2:30", 20, config, root=root, kind="cron", schoolnet="/opt/sn/bin/schoolnet")
    entry = (root / "etc/cron.d/schoolnet-audit").read_text()
    line = [x for x in entry.splitlines() if x and not x.startswith("#") and "=" not in x.split()[0]][0]
    assert line.startswith("30 2 * * * root sleep $(shuf -i 0-1200 -n 1); ")
    assert f"flock -n {root}/run/lock/schoolnet-audit.lock /opt/sn/bin/schoolnet scan --config {config}" in line
    assert "%" not in line
    assert schedule.files == [root / "etc/cron.d/schoolnet-audit"]
    info = status(root)
    assert info == {**info, "installed": True, "kind": "cron", "at": "02:30", "jitter_min": 20, "running_now": False}
    assert remove(root) == [root / "etc/cron.d/schoolnet-audit"]
    assert status(root)["installed"] is False


def test_systemd_units(tmp_path, config) -> None:
    root = tmp_path / "root"
    install("23:05", 0, config, root=root, kind="systemd", schoolnet="/usr/bin/schoolnet")
    service = (root / "etc/systemd/system/schoolnet-audit.service").read_text()
    timer = (root / "etc/systemd/system/schoolnet-audit.timer").read_text()
    assert "Type=oneshot" in service and "ExecStart=" in service and "flock -n" in service
    assert "OnCalendar=*-*-* 23:05:00" in timer and "RandomizedDelaySec=0min" in timer
    assert "Persistent=true" in timer and "WantedBy=timers.target" in timer
    assert status(root)["kind"] == "systemd"
    assert len(remove(root)) == 2


@pytest.mark.parametrize(("at", "jitter"), [("24:00", 0), ("7", 0), ("07:60", 0), ("02:30", -1), ("02:30", 9999)])
def test_bad_times_are_usage_errors(tmp_path, config, at, jitter) -> None:
    with pytest.raises(UsageError, match="--at|--jitter"):
        install(at, jitter, config, root=tmp_path, kind="cron")


def test_two_runs_never_overlap(tmp_path, config) -> None:
    """Run the installed cron command twice at once (schoolnet replaced by a slow stand-in): one runs, one skips."""
    root = tmp_path / "root"
    marker = tmp_path / "runs.txt"
    stand_in = tmp_path / "schoolnet"
    stand_in.write_text(f"#!/bin/sh\necho run >> {marker}\nsleep 1.5\n")
    stand_in.chmod(0o755)
    install("03:00", 0, config, root=root, kind="cron", schoolnet=str(stand_in))
    entry = (root / "etc/cron.d/schoolnet-audit").read_text().splitlines()[-1]
    command = entry.split(None, 6)[6]  # after "m h dom mon dow user"
    first = subprocess.Popen(["/bin/sh", "-c", command])
    time.sleep(0.4)
    assert status(root)["running_now"] is True
    second = subprocess.run(["/bin/sh", "-c", command], timeout=10)
    first.wait(10)
    assert marker.read_text().splitlines() == ["run"], "the second run must not start while the first holds the lock"
    assert second.returncode == 1  # flock -n: lock held, so it exits 1 without running anything
    assert status(root)["running_now"] is False


def test_cli_install_status_remove(tmp_path, config) -> None:
    root = tmp_path / "root"
    run = [sys.executable, "-c", "from agent.cli import main; main()"]
    env = {**os.environ, "SCHOOLNET_SCHEDULE_ROOT": str(root)}
    done = subprocess.run(
        [
            *run,
            "schedule",
            "install",
            "--at",
            "01:15",
            "--jitter",
            "5",
            "--config",
            str(config),
            "--kind",
            "cron",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["files"] == [str(root / "etc/cron.d/schoolnet-audit")]
    shown = subprocess.run(
        [*run, "schedule", "status", "--format", "json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert json.loads(shown.stdout)["at"] == "01:15"
    bad = subprocess.run(
        [*run, "schedule", "install", "--at", "25:00", "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 2 and "--at" in bad.stderr
    gone = subprocess.run([*run, "schedule", "remove"], capture_output=True, text=True, env=env, timeout=60)
    assert gone.returncode == 0 and not (root / "etc/cron.d/schoolnet-audit").exists()
    assert not Path("/etc/cron.d/schoolnet-audit").exists(), "the real /etc is never touched"
