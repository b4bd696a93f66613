"""Unattended runs never fail silently (issue 9): exit code 4 naming each unmeasured target, relative output_dir
resolved against the config's folder, nightly dated report folders with `latest` and retention, last-run.json,
and secret files that group or others can read are refused. Every scan here is a real `schoolnet` subprocess
against real closed loopback ports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.config.secrets import SecretRef, read_credential
from agent.errors import ConfigError
from agent.lab.procs import free_port

SCHOOLNET = str(Path(sys.executable).parent / "schoolnet")
CANARY = "CANARY-switch-pa55word"


def write_config(folder: Path, *, password: str, extra: str = "", agent: str = "") -> Path:
    """One switch, on a loopback port nothing listens on; Wi-Fi and broadband off."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "schoolnet.toml"
    path.write_text(
        '[site]\nid = "URN9"\nname = "Unattended School"\nphase = "secondary"\n'
        f"[agent]\nstate_dir = \"{folder / 'state'}\"\n{agent}"
        "[probes]\ntarget_timeout_s = 10.0\n"
        "[switches]\nconnect_timeout_s = 2.0\nread_timeout_s = 2.0\n"
        "[[switches.devices]]\n"
        f'name = "HALL-SW7"\nhost = "127.0.0.1"\nport = {free_port()}\nplatform = "cisco_ios"\n'
        f'username = "audit"\npassword = {password}\n'
        "[wifi]\nenabled = false\n[broadband]\nenabled = false\n" + extra,
        encoding="utf-8",
    )
    return path


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SCHOOLNET_TEST_SWITCH_PASSWORD": CANARY, **(env or {})}
    return subprocess.run([SCHOOLNET, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120)


def test_scan_whose_only_switch_is_unreachable_exits_4_and_names_it(tmp_path: Path) -> None:
    config = write_config(tmp_path / "etc", password='{ env = "SCHOOLNET_TEST_SWITCH_PASSWORD" }')
    done = run("scan", "--config", str(config), "--format", "json", "--no-progress", cwd=tmp_path)
    assert done.returncode == 4, done.stderr
    report = json.loads(done.stdout)
    assert report["summary"].get("fail", 0) == 0
    assert "1 configured target(s) could not be measured" in done.stderr
    summary = done.stderr[done.stderr.index("could not be measured"):]
    named = [x.strip() for x in summary.splitlines() if x.strip().startswith("switches: HALL-SW7: ")]
    assert named and "unreachable" in named[0]  # the target and the probe's reason
    assert CANARY not in done.stdout + done.stderr
    stored = tmp_path / "etc" / "report.json"
    stored.write_text(done.stdout)
    again = run("evaluate", str(stored), cwd=tmp_path)  # re-judging the same evidence says the same
    assert again.returncode == 4 and "switches: HALL-SW7: " in again.stderr


def test_unset_secret_variable_is_named_and_exits_4(tmp_path: Path) -> None:
    config = write_config(tmp_path, password='{ env = "SCHOOLNET_TEST_UNSET_VARIABLE" }')
    done = run("scan", "--config", str(config), "--no-progress", cwd=tmp_path)
    assert done.returncode == 4, done.stderr
    assert "HALL-SW7" in done.stderr and "SCHOOLNET_TEST_UNSET_VARIABLE is not set" in done.stderr


def test_a_failed_check_still_wins_over_4(tmp_path: Path) -> None:
    from agent.scan import exit_code
    from contract.report import Report

    config = write_config(tmp_path, password='{ env = "SCHOOLNET_TEST_SWITCH_PASSWORD" }')
    done = run("scan", "--config", str(config), "--format", "json", "--no-progress", cwd=tmp_path)
    report = Report.model_validate_json(done.stdout)
    assert exit_code(report) == 4
    failed = report.model_copy(update={"summary": {**report.summary, "fail": 1}})
    assert exit_code(failed) == 1
    measured = report.model_copy(update={"evidence": [e for e in report.evidence if e.ok]})
    assert exit_code(measured) == 0


def test_relative_output_dir_is_relative_to_the_config_file(tmp_path: Path) -> None:
    config = write_config(tmp_path / "etc" / "schoolnet", password='{ env = "SCHOOLNET_TEST_SWITCH_PASSWORD" }',
                          agent='output_dir = "reports-here"\n')
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    done = run("scan", "--config", str(config), "--no-progress", cwd=elsewhere)
    assert done.returncode == 4, done.stderr
    assert (tmp_path / "etc" / "schoolnet" / "reports-here" / "report.json").is_file()
    assert not (elsewhere / "reports-here").exists()


def test_nightly_run_writes_a_dated_folder_latest_link_prunes_and_records(tmp_path: Path) -> None:
    config = write_config(tmp_path, password='{ env = "SCHOOLNET_TEST_SWITCH_PASSWORD" }',
                          agent="report_retention_days = 30\n")
    state = tmp_path / "nightly-state"
    reports = state / "reports"
    old = datetime.now(UTC) - timedelta(days=31)
    recent = datetime.now(UTC) - timedelta(days=29)
    for moment in (old, recent):
        (reports / moment.strftime("%Y-%m-%dT%H%MZ")).mkdir(parents=True)
    (reports / "notes").mkdir()  # not ours: never removed

    done = run("scan", "--config", str(config), "--nightly", "--state-dir", str(state), "--no-progress", cwd=tmp_path)
    assert done.returncode == 4, done.stderr
    folders = sorted(p.name for p in reports.iterdir())
    assert old.strftime("%Y-%m-%dT%H%MZ") not in folders
    assert recent.strftime("%Y-%m-%dT%H%MZ") in folders and "notes" in folders
    latest = reports / "latest"
    assert latest.is_symlink() and not os.readlink(latest).startswith("/")  # relative: the state dir can move
    assert (latest / "report.json").is_file() and (latest / "report.html").is_file()
    assert datetime.strptime(os.readlink(latest)[:16], "%Y-%m-%dT%H%MZ").replace(tzinfo=UTC) > recent
    record = json.loads((state / "last-run.json").read_text())
    assert record["exit_code"] == 4 and record["error"] is None
    assert record["report_dir"] == str(reports / os.readlink(latest))
    assert [(u["probe"], u["target"]) for u in record["unmeasured"]] == [("switches", "HALL-SW7")]
    assert CANARY not in (state / "last-run.json").read_text()

    again = run("scan", "--config", str(config), "--nightly", "--state-dir", str(state), "--no-progress", cwd=tmp_path)
    assert again.returncode == 4
    assert os.readlink(latest) != Path(record["report_dir"]).name  # a second run in the same minute: "-2"
    assert not (tmp_path / "schoolnet-report").exists()  # nightly never writes to output_dir


def test_nightly_run_that_cannot_start_is_recorded(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text('[site]\nid = "URN9"\nname = "x"\nphase = "nursery"\n')
    state = tmp_path / "state"
    done = run("scan", "--config", str(config), "--nightly", "--state-dir", str(state), cwd=tmp_path)
    assert done.returncode == 2
    record = json.loads((state / "last-run.json").read_text())
    assert record["exit_code"] == 2 and "phase" in record["error"] and record["report_dir"] is None


def test_secret_file_readable_by_others_is_refused_naming_the_file_not_its_content(tmp_path: Path) -> None:
    secret = tmp_path / "switch.pass"
    secret.write_text(CANARY)
    secret.chmod(0o644)
    with pytest.raises(ConfigError) as caught:
        SecretRef(file=secret).resolve()
    assert str(secret) in str(caught.value) and "0644" in str(caught.value) and CANARY not in str(caught.value)
    secret.chmod(0o640)
    with pytest.raises(ConfigError, match="group/others"):
        SecretRef(file=secret).resolve()
    secret.chmod(0o600)
    assert SecretRef(file=secret).resolve().get_secret_value() == CANARY

    secret.chmod(0o644)
    config = write_config(tmp_path / "scan", password=f'{{ file = "{secret}" }}')
    done = run("scan", "--config", str(config), "--format", "json", "--no-progress", cwd=tmp_path)
    assert done.returncode == 4, done.stderr
    assert str(secret) in done.stderr and "group/others" in done.stderr
    assert CANARY not in done.stdout + done.stderr


def test_relative_secret_file_is_relative_to_the_config_file(tmp_path: Path) -> None:
    from agent.config import load_config

    folder = tmp_path / "etc"
    config = write_config(folder, password='{ file = "secrets/switch.pass" }')
    (folder / "secrets").mkdir()
    (folder / "secrets" / "switch.pass").write_text(CANARY)
    (folder / "secrets" / "switch.pass").chmod(0o600)
    device = load_config(config).switches.devices[0]
    assert device.password is not None and device.password.file == folder / "secrets" / "switch.pass"
    assert device.password.resolve().get_secret_value() == CANARY


def test_systemd_credentials_are_read_from_credentials_directory(tmp_path: Path, monkeypatch) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "switch-ssh").write_text(CANARY + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    assert SecretRef(credential="switch-ssh").resolve().get_secret_value() == CANARY
    with pytest.raises(ConfigError, match="credential other is not in"):
        read_credential("other")
    monkeypatch.delenv("CREDENTIALS_DIRECTORY")
    with pytest.raises(ConfigError, match=r"\$CREDENTIALS_DIRECTORY is not set"):
        SecretRef(credential="switch-ssh").resolve()
    for bad in ("../etc/shadow", "a/b", ".hidden", ""):
        with pytest.raises(ValueError):
            SecretRef(credential=bad)
    with pytest.raises(ValueError, match="exactly one"):
        SecretRef(env="X", credential="y")


def test_nightly_run_stopped_by_sigterm_records_why(tmp_path: Path) -> None:
    """The schedule's time limit (timeout -> SIGTERM) or a shutdown: the run still says why in last-run.json."""
    import signal
    import socket
    import time

    with socket.socket() as silent:  # accepts the SSH connection, never says a word: the scan waits
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        config = write_config(tmp_path, password='{ env = "SCHOOLNET_TEST_SWITCH_PASSWORD" }')
        text = config.read_text()
        text = text.replace("connect_timeout_s = 2.0", "connect_timeout_s = 60.0")
        text = text.replace("target_timeout_s = 10.0", "target_timeout_s = 120.0")
        old_port = text.split("\nport = ")[1].split("\n")[0]
        config.write_text(text.replace(f"\nport = {old_port}\n", f"\nport = {silent.getsockname()[1]}\n"))
        state = tmp_path / "state"
        proc = subprocess.Popen(
            [SCHOOLNET, "scan", "--config", str(config), "--nightly", "--state-dir", str(state), "--no-progress"],
            cwd=tmp_path, env={**os.environ, "SCHOOLNET_TEST_SWITCH_PASSWORD": CANARY},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while not any((state / "reports").glob("20*")) and time.monotonic() < deadline:
                time.sleep(0.05)  # the dated folder exists once the scan is under way
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            record_path = state / "last-run.json"
            deadline = time.monotonic() + 20
            while not record_path.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            # Recorded at once, even while a probe thread still waits on the silent device.
            record = json.loads(record_path.read_text())
        finally:
            proc.kill()  # what the schedule's `timeout --kill-after` does to a run that does not unwind
            proc.communicate(timeout=30)
    assert record["exit_code"] == 3 and "stopped by SIGTERM" in record["error"]
