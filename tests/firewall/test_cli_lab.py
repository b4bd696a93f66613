"""The commands, run as a user runs them (real processes), from inside the lab's namespaces."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomli_w

from agent.lab.netns import NetnsLab

pytestmark = pytest.mark.netns
SCHOOLNET = str(Path(sys.executable).parent / "schoolnet")


def write_config(lab: NetnsLab, path: Path, segment: str, **firewall: object) -> Path:
    section = {"enabled": True, **lab.config_for(segment), **firewall}
    path.write_text(tomli_w.dumps({"site": {"id": "LAB-1", "name": "Lab school", "phase": "secondary"},
                                   "firewall": section}))
    return path


def schoolnet(*args: str, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    # The scan joins the lab's namespaces itself, so it still reads the host's resolv.conf, whose server the lab
    # cannot reach: keep an unresolvable name's lookup short.
    env = {**os.environ, "RES_OPTIONS": "timeout:1 attempts:1"}
    return subprocess.run([*(prefix or []), SCHOOLNET, *args], capture_output=True, text=True, timeout=120, env=env)


def test_scan_json_has_the_contract_shape(leaky: NetnsLab, tmp_path: Path) -> None:
    config = write_config(leaky, tmp_path / "c.toml", "student")
    done = schoolnet("firewall", "scan", "--config", str(config), "--format", "json")
    assert done.returncode == 1, done.stderr  # admin reachable from the student network
    out = json.loads(done.stdout)
    assert out["segment"] == "student"
    host = out["hosts"][0]
    assert host["address"] == "10.80.20.1"
    port = next(p for p in host["ports"] if p["port"] == 22)
    assert {k: port[k] for k in ("port", "protocol", "state", "service")} == {
        "port": 22, "protocol": "tcp", "state": "open", "service": "ssh"}
    assert port["banner"].startswith("SSH-2.0-")
    failing = {r["check"] for r in out["results"] if r["status"] == "fail"}
    assert failing == {"firewall_admin_not_exposed"}
    assert all({"requirement", "check", "status", "detail", "target", "evidence_ref"} <= set(r) for r in out["results"])


def test_scan_refuses_unconfigured_targets_and_long_port_lists(well_kept: NetnsLab, tmp_path: Path) -> None:
    config = write_config(well_kept, tmp_path / "c.toml", "staff")
    refused = schoolnet("firewall", "scan", "--config", str(config), "--target", "10.80.10.99")
    assert refused.returncode == 2 and "refusing to scan 10.80.10.99" in refused.stderr
    assert "default gateway (10.80.10.1)" in refused.stderr
    too_many = schoolnet("firewall", "scan", "--config", str(config), "--ports", "1-5000")
    assert too_many.returncode == 2 and "more than 2000 ports" in too_many.stderr
    dry = schoolnet("firewall", "scan", "--config", str(config), "--target", "10.80.10.1", "--dry-run",
                    "--rate", "5")
    assert dry.returncode == 0 and "nothing was sent" in dry.stdout and "at most 5 per second" in dry.stdout


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_scan_area_without_raw_sockets_is_unknown_never_fail(well_kept: NetnsLab, tmp_path: Path) -> None:
    """``schoolnet scan --only firewall`` with CAP_NET_RAW dropped, a SYN scan demanded and an unresolvable target:
    unknown with the reasons, never fail; exit 4 (ran, a configured target could not be measured)."""
    config = write_config(well_kept, tmp_path / "c.toml", "staff", method="syn", targets=["no-such-host.invalid"])
    out_dir = tmp_path / "out"
    done = schoolnet("scan", "--config", str(config), "--only", "firewall", "--output", str(out_dir),
                     "--no-progress", prefix=["setpriv", "--bounding-set", "-net_raw", "--inh-caps", "-net_raw"])
    report = json.loads((out_dir / "report.json").read_text())
    results = [r for r in report["results"] if r["check"] == "firewall_admin_not_exposed"]
    assert results and {r["status"] for r in results} == {"unknown"}, results
    assert any("CAP_NET_RAW" in r["detail"] for r in results)
    assert done.returncode in (0, 4), done.stderr  # 4 once unattended-run exit codes land (issue 9); never 1


def test_scan_area_with_raw_sockets_judges_each_host(leaky: NetnsLab, tmp_path: Path) -> None:
    config = write_config(leaky, tmp_path / "c.toml", "student", targets=["no-such-host.invalid"])
    out_dir = tmp_path / "out"
    done = schoolnet("scan", "--config", str(config), "--only", "firewall", "--output", str(out_dir),
                     "--no-progress")
    report = json.loads((out_dir / "report.json").read_text())
    by_target = {(r["check"], r["target"]): r["status"] for r in report["results"] if r["check"].startswith("firewall")}
    assert by_target[("firewall_admin_not_exposed", "10.80.20.1")] == "fail"
    assert by_target[("firewall_admin_not_exposed", "no-such-host.invalid")] == "unknown"
    assert by_target[("firewall_egress_vpn_blocked", "203.0.113.10 from student")] == "fail"
    assert done.returncode == 1


def test_echo_server_command_and_egress_command(leaky: NetnsLab, tmp_path: Path) -> None:
    key = tmp_path / "echo.key"
    key.write_text("0123456789abcdef0123456789abcdef\n")
    leaky.add_internet_host("203.0.113.20")
    server = leaky.popen("inet", [SCHOOLNET, "echo-server", "--host", "203.0.113.20", "--ports", "443,1194",
                                  "--key-file", str(key)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        assert server.stderr is not None
        line = server.stderr.readline().decode()
        assert "echo server on 203.0.113.20" in line and time.monotonic() < deadline
        done = schoolnet("firewall", "egress", "--echo-server", "203.0.113.20", "--key-file", str(key),
                         "--netns", leaky.ns("student"), "--segment", "student", "--format", "json")
        out = json.loads(done.stdout)
        probes = {p["name"]: p["outcome"] for p in out["probes"]}
        assert probes["https-control"] == "allowed" and probes["openvpn-tcp"] == "allowed"
        assert probes["openvpn-udp"] == "allowed"
        assert probes["pptp"] == "blocked"  # nothing listens there: refused, and the control route worked
        assert out["segment"] == "student" and done.returncode == 1
        assert {"name", "protocol", "port", "outcome", "detail"} <= set(out["probes"][0])
    finally:
        server.terminate()
        server.wait(timeout=5)
