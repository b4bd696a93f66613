"""`schoolnet switch audit-config FILE --platform P`: contract JSON on stdout, exit codes 0/1/2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "agent" / "lab" / "switch_data"
SCHOOLNET = str(Path(sys.executable).parent / "schoolnet")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCHOOLNET, "switch", "audit-config", *args], capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.mark.parametrize(
    ("platform", "case", "config", "target", "rc"),
    [
        ("cisco_ios", "edge_bad", "show_running-config.txt", "EDGE-SW2", 1),
        ("hp_procurve", "edge_mixed", "show_running-config.txt", "PROCURVE-SW3", 1),
        ("juniper_junos", "edge_ex", "show_configuration.txt", "EX-SW5", 1),
    ],
)
def test_json_shape_and_exit_code(platform, case, config, target, rc):
    proc = run(str(DATA / platform / case / config), "--platform", platform, "--format", "json")
    assert proc.returncode == rc, proc.stderr
    out = json.loads(proc.stdout)  # stdout holds the JSON and nothing else
    assert out["target"] == target and out["platform"] == platform
    assert out["results"]
    for result in out["results"]:
        assert {"requirement", "check", "status", "detail", "target", "evidence_ref"} <= set(result)
        assert result["check"].startswith("switch_") and result["target"] == target
    # The sanitised evidence judged comes with the results: the facts and the configuration, secrets removed.
    [evidence] = out["evidence"]
    assert evidence["kind"] == "switch.device" and evidence["ok"] and evidence["target"] == target
    assert {r["evidence_ref"] for r in out["results"]} == {evidence["id"]}
    assert evidence["data"]["platform"] == platform and evidence["data"]["sources"] == ["config-file"]
    assert "<removed>" in evidence["data"]["running_config"] and evidence["data"]["mgmt_ip"] is None
    by_check = {(r["requirement"], r["check"]): r["status"] for r in out["results"]}
    assert by_check[("dfe.switching.secure-management", "switch_snmp_default_community_absent")] in ("pass", "fail")
    assert "CANARY" not in proc.stdout + proc.stderr


def test_a_clean_core_config_has_no_failure_from_config_alone():
    proc = run(str(DATA / "cisco_ios" / "core_good" / "show_running-config.txt"), "--platform", "cisco_ios",
               "--role", "core", "--format", "json")
    statuses = {r["check"]: r["status"] for r in json.loads(proc.stdout)["results"]}
    assert proc.returncode == 0, [c for c, s in statuses.items() if s == "fail"]
    assert statuses["switch_telnet_disabled"] == "pass"
    assert statuses["switch_core_on_ups"] == "unknown"  # a config file cannot show the UPS


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--platform", "nokia_sros"], "unsupported platform 'nokia_sros'"),
        (["--platform", "cisco_ios"], "cannot be parsed as a cisco_ios configuration"),
        (["--platform", "juniper_junos"], "cannot be parsed as a juniper_junos configuration"),
    ],
)
def test_unsupported_platform_or_unparseable_file_is_exit_2(tmp_path, args, message):
    junk = tmp_path / "notes.txt"
    junk.write_text("Shopping list:\n- milk\n- eggs\n", encoding="utf-8")
    proc = run(str(junk), *args)
    assert proc.returncode == 2
    assert message in proc.stderr and proc.stdout == ""


def test_missing_and_binary_files_are_exit_2(tmp_path):
    assert run(str(tmp_path / "nope.cfg"), "--platform", "cisco_ios").returncode == 2
    binary = tmp_path / "backup.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    proc = run(str(binary), "--platform", "cisco_ios")
    assert proc.returncode == 2 and "not a text file" in proc.stderr
