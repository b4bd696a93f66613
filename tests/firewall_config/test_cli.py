"""``schoolnet firewall audit-config``: detection, JSON shape, exit codes, and errors that name the file and line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LAB = Path(__file__).resolve().parents[2] / "agent" / "lab" / "firewall_data"
SCHOOLNET = [sys.executable, "-m", "agent"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCHOOLNET, "firewall", "audit-config", *args], capture_output=True, text=True,
                          timeout=60)


def test_json_shape_and_detection(tmp_path):
    proc = run(str(LAB / "fortigate_leaky" / "show_full-configuration.txt"), "--format", "json")
    assert proc.returncode == 1, proc.stderr  # the leaky FortiGate fails checks
    out = json.loads(proc.stdout)
    assert set(out) == {"target", "platform", "results", "evidence"}
    assert out["target"] == "FGT-LEAKY" and out["platform"] == "fortinet"
    assert {r["check"] for r in out["results"]} >= {"firewall_admin_not_on_wan", "firewall_ha_or_second_router"}
    for result in out["results"]:
        assert {"requirement", "check", "status", "detail", "target", "evidence_ref"} <= set(result)
    assert out["evidence"][0]["kind"] == "firewall.config"
    assert "AAAAAAAAAABBBBBBBBBBCCCCCCCCCC" not in proc.stdout + proc.stderr


def test_well_kept_passes():
    proc = run(str(LAB / "fortigate_good" / "show_full-configuration.txt"), "--format", "json")
    assert proc.returncode == 0, proc.stdout
    assert {r["status"] for r in json.loads(proc.stdout)["results"]} == {"pass"}


def test_truncated_fortios_judges_what_it_can(tmp_path):
    text = (LAB / "fortigate_leaky" / "show_full-configuration.txt").read_text(encoding="utf-8")
    cut = text[: text.index("config firewall policy") + 60]
    path = tmp_path / "cut.conf"
    path.write_text(cut, encoding="utf-8")
    out = json.loads(run(str(path), "--format", "json").stdout)
    verdicts = {r["check"]: r for r in out["results"]}
    assert verdicts["firewall_inbound_default_deny"]["status"] == "unknown"
    assert "cut off" in verdicts["firewall_inbound_default_deny"]["detail"]
    assert verdicts["firewall_admin_not_on_wan"]["status"] == "fail"  # the interfaces were complete
    assert out["evidence"][0]["data"]["config_complete"] is False


def test_truncated_xml_names_the_line(tmp_path):
    path = tmp_path / "config.xml"
    path.write_text('<?xml version="1.0"?>\n<opnsense>\n  <system>\n    <hostname>x</hostname>\n', encoding="utf-8")
    proc = run(str(path))
    assert proc.returncode == 2
    assert str(path) in proc.stderr and "line" in proc.stderr and "not well-formed" in proc.stderr


def test_xml_entities_are_refused(tmp_path):
    path = tmp_path / "bomb.xml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE pfsense [<!ENTITY a "aaaaaaaaaa">'
                    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<pfsense><system>&b;</system></pfsense>\n',
                    encoding="utf-8")
    proc = run(str(path))
    assert proc.returncode == 2 and "DTD" in proc.stderr


def test_platform_not_detected_or_wrong(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n", encoding="utf-8")
    proc = run(str(path))
    assert proc.returncode == 2 and "--platform" in proc.stderr
    proc = run(str(path), "--platform", "fortinet")
    assert proc.returncode == 2 and "not a FortiOS configuration" in proc.stderr and str(path) in proc.stderr
    proc = run(str(path), "--platform", "cisco_asa")
    assert proc.returncode == 2 and "unsupported firewall platform" in proc.stderr
    xml = tmp_path / "pf.xml"
    xml.write_text('<?xml version="1.0"?><pfsense><system/></pfsense>', encoding="utf-8")
    proc = run(str(xml), "--platform", "opnsense")
    assert proc.returncode == 2 and "<pfsense>" in proc.stderr
    assert run(str(tmp_path / "missing.conf")).returncode == 2
