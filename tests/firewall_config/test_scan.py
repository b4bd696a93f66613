"""`schoolnet scan --only firewall` against the simulated firewalls: the device tasks run inside the firewall
probe, a firewall that refuses the login is unknown with the reason, and no lab secret reaches any output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("fakenos", reason="fakenos (the [lab] extra) is not installed")


def test_scan_reads_the_configured_firewalls(tmp_path: Path) -> None:
    from agent.lab import Lab
    from agent.lab.firewalls import DEMO_FIREWALLS, FirewallLab, LabFirewall

    firewalls = [*DEMO_FIREWALLS, LabFirewall("FGT-WRONG", "fortinet", "ssh", "fortigate_good", wrong_credentials=True)]
    out = tmp_path / "out"
    with Lab(tmp_path / "lab", components=[FirewallLab(firewalls)]) as lab:
        lab.config["agent"] = {"state_dir": str(tmp_path / "state"), "output_dir": str(out)}
        config = lab.write_config(tmp_path / "schoolnet.toml")
        proc = subprocess.run([sys.executable, "-m", "agent", "-v", "scan", "--config", str(config), "--only",
                               "firewall", "--output", str(out), "--no-progress"], capture_output=True, text=True,
                              timeout=300)
    assert proc.returncode == 1, proc.stderr[-2000:]  # the leaky OPNsense fails checks
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    seen = {e["target"]: e for e in report["evidence"] if e["kind"] == "firewall.config"}
    assert seen["FGT-CORE"]["ok"] and seen["OPN-LEAKY"]["ok"]
    assert not seen["FGT-WRONG"]["ok"] and "wrong username or password" in seen["FGT-WRONG"]["error"]
    by = {(r["check"], r["target"]): r["status"] for r in report["results"]}
    assert by[("firewall_admin_not_on_wan", "FGT-CORE")] == "pass"
    assert by[("firewall_admin_not_on_wan", "OPN-LEAKY")] == "fail"
    assert by[("firewall_admin_not_on_wan", "FGT-WRONG")] == "unknown"
    everything = proc.stdout + proc.stderr + "".join(
        (out / name).read_text(encoding="utf-8") for name in ("report.json", "report.html", "report.csv"))
    assert "CANARY" not in everything


def test_config_example_documents_firewall_devices() -> None:
    import re
    import tomllib

    from agent.config import Config

    example = re.compile(r"^# (\[\[?[a-z_.0-9]+\]\]?\s*(#.*)?$|[a-z_0-9]+ = )")
    text = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text(encoding="utf-8")
    config = Config.model_validate(tomllib.loads("\n".join(
        line[2:] if example.match(line) else line for line in text.splitlines())))
    devices = {d.name: d for d in config.firewall.devices}
    assert {d.platform for d in devices.values()} == {"fortinet", "opnsense"}
    assert devices["FGT-EDGE"].tls.fingerprint_sha256 and devices["OPN-1"].tls.ca_file
