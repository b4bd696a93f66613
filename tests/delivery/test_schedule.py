"""Nightly schedule under a temporary root (never the real /etc): the dedicated user (created by the real useradd
into the temporary root's /etc/passwd), systemd units with only CAP_NET_RAW + CAP_NET_ADMIN and credentials, the
cron entry run for real through setpriv and flock, status with the last run, and remove."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.delivery.nightly import LastRun, write_last_run
from agent.delivery.schedule import Paths, install, lookup_user, remove, status
from agent.errors import UsageError

pytestmark = pytest.mark.skipif(shutil.which("flock") is None, reason="flock (util-linux) is not installed")
needs_root_tools = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("setpriv"),
    reason="needs root, useradd and setpriv",
)


def make_root(folder: Path) -> Path:
    """A temporary system root with the account files useradd --prefix edits (copies of nothing real)."""
    etc = folder / "etc"
    etc.mkdir(parents=True)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (etc / "group").write_text("root:x:0:\n")
    for name, line in (("shadow", "root:*:19000:0:99999:7:::\n"), ("gshadow", "root:*::\n")):
        (etc / name).write_text(line)
        (etc / name).chmod(0o600)
    return folder


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Path]:
    """A folder others may traverse (pytest's tmp_path is 0700 root), for what the service user must reach."""
    folder = Path(tempfile.mkdtemp(prefix="sndl-schedule-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def config(world: Path) -> Path:
    path = world / "schoolnet.toml"
    path.write_text(
        '[site]\nid = "URN1"\nname = "School"\nphase = "primary"\n'
        f'[agent]\nstate_dir = "{world / "var/lib/schoolnet"}"\n'
        "[[switches.devices]]\n"
        'name = "CORE"\nhost = "127.0.0.1"\nplatform = "cisco_ios"\nusername = "audit"\n'
        'password = { credential = "switch-ssh" }\n'
        '[switches.devices.snmp]\nversion = "v2c"\ncommunity = { env = "SCHOOLNET_COMMUNITY" }\n'
    )
    path.chmod(0o644)
    return path


@needs_root_tools
def test_systemd_units_run_as_a_dedicated_user_with_two_capabilities_and_credentials(world, config) -> None:
    root = make_root(world / "root")
    schedule = install("23:05", 0, config, root=root, kind="systemd", schoolnet="/usr/bin/schoolnet")
    account = lookup_user(Paths(root), "schoolnet")
    assert account is not None and account.uid != 0
    assert "schoolnet" not in Path("/etc/passwd").read_text().split(":")  # the real system is untouched
    service = (root / "etc/systemd/system/schoolnet-audit.service").read_text()
    timer = (root / "etc/systemd/system/schoolnet-audit.timer").read_text()
    assert "User=schoolnet\n" in service and "Group=schoolnet\n" in service
    assert "AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN\n" in service
    assert "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN\n" in service and "NoNewPrivileges=yes" in service
    assert f"LoadCredential=switch-ssh:{root}/etc/schoolnet/credentials/switch-ssh\n" in service
    assert f"EnvironmentFile={root}/etc/schoolnet/schoolnet.env\n" in service
    state = world / "var/lib/schoolnet"
    assert f"--nightly --state-dir {state}" in service and "flock -n" in service
    assert "SuccessExitStatus=1\n" in service  # 4 stays a failure: `systemctl --failed` shows it
    assert "OnCalendar=*-*-* 23:05:00" in timer and "Persistent=true" in timer
    env_file = root / "etc/schoolnet/schoolnet.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600 and "# SCHOOLNET_COMMUNITY=" in env_file.read_text()
    assert stat.S_IMODE((root / "etc/schoolnet/credentials").stat().st_mode) == 0o700
    assert (state.stat().st_uid, stat.S_IMODE(state.stat().st_mode)) == (account.uid, 0o700)
    assert any("switch-ssh" in n for n in schedule.notes) and any("SCHOOLNET_COMMUNITY" in n for n in schedule.notes)
    info = status(root)
    assert info == {**info, "kind": "systemd", "user": "schoolnet", "state_dir": str(state), "last_run": None}
    assert len(remove(root)) == 2
    assert lookup_user(Paths(root), "schoolnet") == account  # remove keeps the user and its state


@needs_root_tools
def test_systemd_analyze_accepts_the_service(world, config) -> None:
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    root = make_root(world / "root")
    install("02:00", 10, config, root=root, kind="systemd", schoolnet=shutil.which("true") or "/bin/true")
    unit = root / "etc/systemd/system/schoolnet-audit.service"
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True,
                          timeout=60)
    problems = [line for line in done.stderr.splitlines() if str(unit) in line]  # "file:line: Failed to parse ..."
    assert not problems, done.stderr


@needs_root_tools
def test_cron_job_runs_as_the_user_with_only_two_capabilities_and_never_overlaps(world, config) -> None:
    """Run the installed cron command for real, twice at once, with schoolnet replaced by a slow stand-in that
    records who it runs as: one run, as the dedicated user, with only CAP_NET_RAW + CAP_NET_ADMIN; one skip."""
    root = make_root(world / "root")
    marker = world / "runs.txt"
    marker.touch()
    marker.chmod(0o666)
    stand_in = world / "schoolnet"
    stand_in.write_text(
        f"#!/bin/sh\necho run >> {marker}\ngrep -E '^(Uid|CapEff|CapAmb|CapBnd)' /proc/self/status >> {marker}\n"
        f'echo "community=$SCHOOLNET_COMMUNITY creds=$CREDENTIALS_DIRECTORY" >> {marker}\nsleep 1.5\n'
    )
    stand_in.chmod(0o755)
    install("03:00", 0, config, root=root, kind="cron", schoolnet=str(stand_in))
    (root / "etc/schoolnet/schoolnet.env").write_text("SCHOOLNET_COMMUNITY=from-env-file\n")
    account = lookup_user(Paths(root), "schoolnet")
    assert account is not None
    entry = (root / "etc/cron.d/schoolnet-audit").read_text().splitlines()[-1]
    assert entry.startswith("0 3 * * * root umask 077; set -a; . ")
    command = entry.split(None, 6)[6]  # after "m h dom mon dow user"
    first = subprocess.Popen(["/bin/sh", "-c", command])
    try:
        deadline = time.monotonic() + 5
        while "run" not in marker.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert status(root)["running_now"] is True
        second = subprocess.run(["/bin/sh", "-c", command], timeout=10)
    finally:
        first.wait(10)
    lines = marker.read_text().splitlines()
    assert lines.count("run") == 1, "the second run must not start while the first holds the lock"
    assert second.returncode == 1  # flock -n: lock held, so it exits 1 without running anything
    fields = dict(line.split(":\t", 1) for line in lines if ":\t" in line)
    assert fields["Uid"].split()[0] == str(account.uid)
    assert {fields[k].strip() for k in ("CapEff", "CapAmb", "CapBnd")} == {"0000000000003000"}  # NET_ADMIN|NET_RAW
    assert f"community=from-env-file creds={root}/etc/schoolnet/credentials" in lines
    assert status(root)["running_now"] is False
    log = root / "var/log/schoolnet-audit.log"
    assert not log.exists() or stat.S_IMODE(log.stat().st_mode) & 0o077 == 0  # umask 077


def test_root_and_home_state_dirs_are_refused(tmp_path, world) -> None:
    base = '[site]\nid = "URN1"\nname = "School"\nphase = "primary"\n'
    home = world / "home.toml"
    home.write_text(base + '[agent]\nstate_dir = "/root/.local/state/schoolnet"\n')
    with pytest.raises(UsageError, match="inside a home directory"):
        install("02:00", 0, home, root=tmp_path, kind="cron", schoolnet="/bin/true")
    system = world / "system.toml"
    system.write_text(base + '[agent]\nstate_dir = "/var/lib"\n')
    with pytest.raises(UsageError, match="system folder"):
        install("02:00", 0, system, root=tmp_path, kind="cron", schoolnet="/bin/true")
    system.write_text(base + '[agent]\nstate_dir = "/etc/schoolnet/state"\n')  # refused before anything is made
    with pytest.raises(UsageError, match="read-only"):
        install("02:00", 0, system, root=tmp_path, kind="cron", schoolnet="/bin/true")
    assert not Path("/etc/schoolnet/state").exists()
    with pytest.raises(UsageError, match="never root"):
        install("02:00", 0, system, root=tmp_path, kind="cron", user="root", schoolnet="/bin/true")


@needs_root_tools
def test_a_readable_env_file_is_refused(world, config) -> None:
    root = make_root(world / "root")
    env_file = root / "etc/schoolnet/schoolnet.env"
    env_file.parent.mkdir(parents=True)
    env_file.write_text("SCHOOLNET_COMMUNITY=x\n")
    env_file.chmod(0o644)
    with pytest.raises(UsageError, match="schoolnet.env is accessible by group/others"):
        install("02:00", 0, config, root=root, kind="systemd", schoolnet="/bin/true")


@pytest.mark.parametrize(("at", "jitter"), [("24:00", 0), ("7", 0), ("07:60", 0), ("02:30", -1), ("02:30", 9999)])
def test_bad_times_are_usage_errors(tmp_path, config, at, jitter) -> None:
    with pytest.raises(UsageError, match="--at|--jitter"):
        install(at, jitter, config, root=tmp_path, kind="cron")


@needs_root_tools
def test_cli_install_status_with_last_run_and_remove(world, config) -> None:
    root = make_root(world / "root")
    run = [sys.executable, "-c", "from agent.cli import main; main()"]
    env = {**os.environ, "SCHOOLNET_SCHEDULE_ROOT": str(root)}
    done = subprocess.run(
        [*run, "schedule", "install", "--at", "01:15", "--jitter", "5", "--config", str(config), "--kind", "cron",
         "--format", "json"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    installed = json.loads(done.stdout)
    assert installed["files"][0] == str(root / "etc/cron.d/schoolnet-audit") and installed["user"] == "schoolnet"
    shown = subprocess.run([*run, "schedule", "status"], capture_output=True, text=True, env=env, timeout=60)
    assert "01:15" in shown.stdout and "as user schoolnet" in shown.stdout and "none recorded yet" in shown.stdout
    write_last_run(world / "var/lib/schoolnet", LastRun(
        started_at="2026-12-02T02:00:04Z", finished_at="2026-12-02T02:03:10Z", exit_code=4,
        report_dir=str(world / "var/lib/schoolnet/reports/2026-12-02T0200Z"),
        unmeasured=[{"probe": "switches", "target": "HALL-SW7", "reason": "SSH to 10.0.0.7:22 is unreachable"}],
    ))
    shown = subprocess.run([*run, "schedule", "status"], capture_output=True, text=True, env=env, timeout=60)
    assert "last run: 2026-12-02T02:00:04Z -> exit 4 (nothing failed, but a configured target could not be " \
        "measured)" in shown.stdout
    assert "switches: HALL-SW7: SSH to 10.0.0.7:22 is unreachable" in shown.stdout
    as_json = json.loads(subprocess.run([*run, "schedule", "status", "--format", "json"], capture_output=True,
                                        text=True, env=env, timeout=60).stdout)
    assert as_json["last_run"]["exit_code"] == 4 and as_json["last_run"]["unmeasured"][0]["target"] == "HALL-SW7"
    bad = subprocess.run([*run, "schedule", "install", "--at", "25:00", "--config", str(config)],
                         capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "--at" in bad.stderr
    gone = subprocess.run([*run, "schedule", "remove"], capture_output=True, text=True, env=env, timeout=60)
    assert gone.returncode == 0 and not (root / "etc/cron.d/schoolnet-audit").exists()
    assert not Path("/etc/cron.d/schoolnet-audit").exists(), "the real /etc is never touched"
