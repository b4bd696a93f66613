"""End to end: real SSH sessions to fakenos and real SNMP to snmpsim, for every platform and every fault."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from agent.config import Config
from agent.config.switches import switch_probe
from agent.lab.procs import free_port
from agent.orchestrate import run_probes
from contract.evidence import EvidenceRecord


def _closed_port() -> int:
    return free_port()  # bound and released: nothing listens there


def lab_config(fragment: dict[str, Any], tmp: Path) -> Config:
    """The lab's switches plus two unreachable devices: a closed SSH port, an SNMP agent that stays silent."""
    secret = tmp / "wrong-community"
    secret.write_text("not-the-community", encoding="utf-8")
    secret.chmod(0o600)  # a secret file others can read is refused
    devices = [
        *fragment["switches"]["devices"],
        {"name": "UNREACH-SW9", "host": "127.0.0.1", "port": _closed_port(), "platform": "cisco_ios",
         "username": "admin", "password": {"file": str(secret)}},
        {"name": "SNMPDEAD-SW10", "host": "127.0.0.1", "platform": "hp_procurve",
         "snmp": {"version": "v2c", "port": fragment["switches"]["ups"][0]["snmp"]["port"],
                  "community": {"file": str(secret)}, "timeout_s": 0.5, "retries": 0}},
    ]
    switches = {**fragment["switches"], "devices": devices}
    return Config.model_validate({"site": {"id": "T", "name": "Test school", "phase": "secondary"},
                                  "probes": {"target_timeout_s": 60, "concurrency": 16}, "switches": switches})


@pytest.fixture(scope="module")
def scanned(switch_lab, tmp_path_factory) -> tuple[Config, dict[str, EvidenceRecord]]:
    _lab, fragment = switch_lab
    config = lab_config(fragment, tmp_path_factory.mktemp("cfg"))
    records, _runs = asyncio.run(run_probes([switch_probe(config)], timeout_s=60, concurrency=16))
    return config, {r.target: r for r in records}


@pytest.mark.parametrize(
    ("name", "platform", "sources", "hostname"),
    [
        ("CORE-SW1", "cisco_ios", ["snmp", "ssh"], "CORE-SW1"),
        ("EDGE-SW2", "cisco_ios", ["snmp", "ssh"], "EDGE-SW2"),
        ("PROCURVE-SW3", "hp_procurve", ["ssh"], "PROCURVE-SW3"),
        ("CX-SW4", "aruba_aoscx", ["snmp", "ssh"], "CX-SW4"),
        ("EX-SW5", "juniper_junos", ["snmp", "ssh"], "EX-SW5"),
    ],
)
def test_every_platform_over_ssh_and_snmp(scanned, name, platform, sources, hostname):
    _config, records = scanned
    record = records[name]
    assert record.ok, record.error
    device = record.model()
    assert device.platform == platform
    assert device.sources == sources
    assert device.hostname == hostname
    assert device.firmware_version and device.model and device.collection_errors == []
    assert device.running_config and "<removed>" in device.running_config


def test_snmp_adds_live_facts(scanned):
    _config, records = scanned
    core = records["CORE-SW1"].model()
    assert core.power_supplies_total == 2 and core.power_supplies_ok == 2  # ENTITY-MIB + ENTITY-STATE-MIB (v3)
    assert core.on_ups is True and core.ups_status == "normal"  # UPS-MIB upsOutputSource
    assert core.poe_budget_w == 740.0
    cx = records["CX-SW4"].model()  # CX's SSH commands give no link state: SNMP fills it in
    assert {p.name: p.oper_up for p in cx.ports}["1/1/49"] is True
    assert {p.name: p.speed_mbps for p in cx.ports}["1/1/49"] == 10000


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("HANG-SW6", "'show running-config' gave no prompt back within 2 s (device hung)"),
        ("WRONGPW-SW8", "was refused: wrong username or password"),
        ("UNREACH-SW9", "is unreachable"),
        ("SNMPDEAD-SW10", "did not answer: No SNMP response received before timeout"),
    ],
)
def test_faults_are_unknown_with_a_precise_reason(scanned, name, reason):
    _config, records = scanned
    record = records[name]
    assert not record.ok
    assert record.kind == "switch.device"
    assert reason in (record.error or ""), record.error


def test_garbage_output_leaves_every_config_fact_unknown_with_the_reason(scanned):
    from standards_map.checks.switching import switch_telnet_disabled

    _config, records = scanned
    device = records["GARBAGE-SW7"].model()
    assert device.telnet_enabled is None and device.firmware_version is None
    outcome = switch_telnet_disabled(device)
    assert outcome.status == "unknown"
    assert "not an IOS configuration" in outcome.detail


def test_inventory_lists_configured_and_unlisted_switches(scanned):
    _config, records = scanned
    inventory = records["switch inventory"].model()
    answered = {d.name: d.answered for d in inventory.devices}
    assert answered["CORE-SW1"] and answered["EX-SW5"] and not answered["WRONGPW-SW8"]
    core = next(d for d in inventory.devices if d.name == "CORE-SW1")
    assert (core.vendor, core.model, core.serial) == ("Cisco", "C9300-24UX", "FOC2345X1AB")
    assert [u.name for u in inventory.unlisted] == ["LAB-SW9"]  # behind an access port of the core
    rogue = inventory.unlisted[0]
    assert (rogue.seen_by, rogue.via, rogue.mgmt_ip) == ("CORE-SW1", "lldp+snmp", "127.0.0.9")  # and it answered


def test_lab_stop_leaves_no_process(tmp_path):
    from agent.lab.switches import LabSwitch, SwitchLab

    lab = SwitchLab([LabSwitch("ONE-SW", "cisco_ios", "edge_bad", snmp="v2c")])
    lab.start(tmp_path)
    pids = [lab.fakenos.pid, lab.agent.proc.pid]
    lab.stop()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_inventory_merges_lldp_and_discovery():
    from contract.evidence.switch import LldpNeighbour, SwitchDevice, UnlistedDevice
    from probes.switch.probe import inventory
    from probes.switch.settings import Switch

    target = Switch(name="CORE", host="10.0.0.1", platform="cisco_ios")
    core = SwitchDevice(platform="cisco_ios", hostname="core-1", lldp_neighbours=[
        LldpNeighbour(local_port="Gi1", system_name="ROGUE", capabilities=["bridge"]),
        LldpNeighbour(local_port="Gi2", system_name="AP-1", capabilities=["bridge", "wlan-ap"]),
        LldpNeighbour(local_port="Gi3", system_name="PHONE", capabilities=["telephone"]),
    ])
    found = [UnlistedDevice(name="ROGUE", mgmt_ip="10.0.0.66", seen_by="discovery", via="snmp"),
             UnlistedDevice(name="CORE-1", mgmt_ip="10.0.1.1", seen_by="discovery", via="snmp"),
             UnlistedDevice(name="HIDDEN", mgmt_ip="10.0.0.77", seen_by="discovery", via="snmp")]
    inv = inventory([target], {"CORE": (core, None)}, found)
    assert [(u.name, u.via, u.mgmt_ip) for u in inv.unlisted] == [
        ("HIDDEN", "snmp", "10.0.0.77"), ("ROGUE", "lldp+snmp", "10.0.0.66")]


def test_simulators_die_with_their_parent(tmp_path):
    """A demo killed without cleanup must not leave fakenos or snmpsim running."""
    import subprocess
    import sys
    import time

    script = (
        "import os, sys; from pathlib import Path\n"
        "from agent.lab.switches import LabSwitch, SwitchLab\n"
        "lab = SwitchLab([LabSwitch('ONE', 'cisco_ios', 'edge_bad', snmp='v2c')])\n"
        f"lab.start(Path({str(tmp_path)!r}))\n"
        "print(lab.fakenos.pid, lab.agent.proc.pid, flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in pids if _alive(p)]
        time.sleep(0.1)
    assert alive == []


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper that is not ours counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" not in status.read_text()
    except OSError:
        return False
