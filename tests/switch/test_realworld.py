"""Real device output written by others (../shared/realworld), replayed through our parsers and compared with
the ground truth shipped beside it. Skipped when the folder is absent."""

from __future__ import annotations

import bz2
import json
from pathlib import Path

import pytest
import yaml

from probes.switch import aruba_aoscx, cisco_ios, hp_procurve, juniper_junos
from probes.switch.common import speed_mbps
from probes.switch.snmp import SYS_DESCR, facts_from_walk, parse_snmprec

pytestmark = pytest.mark.realworld


def ntc(realworld: Path, rel: str) -> tuple[str, list[dict]]:
    raw = realworld / "switch" / "ntc-templates" / rel
    truth = yaml.safe_load(raw.with_suffix(".yml").read_text(encoding="utf-8"))["parsed_sample"]
    return raw.read_text(encoding="utf-8"), truth


def test_cisco_show_version(realworld):
    text, truth = ntc(realworld, "cisco_ios/show_version/cisco_ios_show_version4.raw")
    facts = cisco_ios._version(text)
    assert facts == {"hostname": truth[0]["hostname"], "firmware_version": truth[0]["version"],
                     "model": truth[0]["hardware"][0], "serial": truth[0]["serial"][0]}
    assert facts["firmware_version"] == "16.9.3" and facts["serial"] == "FCW2233FFG3"


def test_cisco_show_interfaces_status(realworld):
    text, truth = ntc(realworld, "cisco_ios/show_interfaces_status/cisco_ios_show_interfaces_status.raw")
    ports: dict[str, dict] = {}
    cisco_ios._status(text, ports)
    assert len(ports) == len({r["port"] for r in truth})
    for row in truth:
        port = ports[row["port"]]
        assert port["oper_up"] is (row["status"] == "connected"), row["port"]
        if row["status"] == "disabled":
            assert port["admin_up"] is False
        if row["status"] == "connected":
            assert port["speed_mbps"] == speed_mbps(row["speed"])


def test_cisco_show_power_inline(realworld):
    text, truth = ntc(realworld, "cisco_ios/show_power_inline/cisco_ios_show_power_inline.raw")
    ports: dict[str, dict] = {}
    cisco_ios._poe(text, ports)
    assert {name: p["poe_draw_w"] for name, p in ports.items()} == {r["interface"]: float(r["power"]) for r in truth}


def test_cisco_lldp_neighbours(realworld):
    text, truth = ntc(realworld, "cisco_ios/show_lldp_neighbors_detail/cisco_ios_show_lldp_neighbors_detail5.raw")
    neighbours = cisco_ios._lldp(text)
    assert [n.system_name for n in neighbours] == [r["neighbor_name"] or None for r in truth]
    assert [n.mgmt_ip for n in neighbours] == [r["mgmt_address"] or None for r in truth]
    ap = next(n for n in neighbours if "AP Software" in (n.description or ""))
    assert ap.is_ap  # a Cisco AP that advertises only 'B' is still an AP (its description says so)


def test_procurve_show_system(realworld):
    text, truth = ntc(realworld, "hp_procurve/show_system/hp_procurve_show_system.raw")
    assert hp_procurve._system(text) == {"hostname": truth[0]["name"], "firmware_version": "K.15.06.0017",
                                         "serial": truth[0]["serial"]}


def test_procurve_show_interfaces_brief(realworld):
    text, truth = ntc(realworld, "hp_procurve/show_interfaces_brief/show_interfaces_brief.raw")
    ports: dict[str, dict] = {}
    hp_procurve._brief(text, ports)
    assert len(ports) == len(truth)
    for row in truth:
        assert ports[row["port"]]["admin_up"] is (row["enabled"] == "Yes")
        assert ports[row["port"]]["oper_up"] is (row["status"] == "Up")


def test_aoscx_show_system(realworld):
    text, truth = ntc(realworld, "aruba_aoscx/show_system/show_system.raw")
    facts = aruba_aoscx._system(text)
    assert (facts["hostname"], facts["firmware_version"], facts["serial"]) == (
        truth[0]["hostname"], truth[0]["version"], truth[0]["serial"])
    assert facts["model"] == "JL665A 6300F"


def test_junos_show_version(realworld):
    text, truth = ntc(realworld, "juniper_junos/show_version/juniper_junos_show_version_ex.raw")
    facts = juniper_junos._version(text)
    assert (facts["hostname"], facts["model"], facts["firmware_version"]) == (
        truth[0]["hostname"], truth[0]["model"].upper(), truth[0]["junos_version"])


def test_napalm_procurve_facts(realworld):
    base = realworld / "switch" / "napalm-procurve" / "test_get_facts" / "normal"
    expected = json.loads((base / "expected_result.json").read_text(encoding="utf-8"))
    system = hp_procurve._system((base / "show_system.txt").read_text(encoding="utf-8"))
    assert system["hostname"] == expected["hostname"]
    assert system["firmware_version"] == expected["os_version"]
    assert system["serial"] == expected["serial_number"]
    descr = (base / "getMIB_sysDescr_0.txt").read_text(encoding="utf-8").split("=", 1)[1].strip()
    snmp = facts_from_walk({SYS_DESCR: descr.encode()})
    assert snmp["model"] == expected["model"]
    assert snmp["firmware_version"] == expected["os_version"]


def test_napalm_procurve_running_config(realworld):
    text = (realworld / "switch" / "napalm-procurve" / "test_get_config" / "normal" / "show_running_config.txt"
            ).read_text(encoding="utf-8")
    facts = hp_procurve.parse_running_config(text)
    assert facts["config_complete"] is True
    assert (facts["hostname"], facts["model"]) == ("HP-E2910al-48G-PoE", "J9148A")
    assert facts["firmware_version"] == "W.15.08.0012"  # from "; ... Created on release #W.15.08.0012"
    assert facts["http_mgmt_enabled"] is False  # "no web-management"
    assert facts["telnet_enabled"] is True  # AOS-S default, no "no telnet-server"
    assert facts["ntp_servers"] == 1  # "sntp server priority 1 192.168.1.2"
    assert facts["lldp_med_enabled"] is True


def test_ciscoconfparse_junos_sample(realworld):
    text = (realworld / "switch" / "ciscoconfparse" / "sample_01.junos").read_text(encoding="utf-8")
    ports: dict[str, dict] = {}
    facts = juniper_junos.parse_running_config(text, ports)
    assert facts["hostname"] == "TEST01_EX"
    # "services { telnet; web-management { http; } }" in the recorded config
    assert facts["telnet_enabled"] is True and facts["http_mgmt_enabled"] is True
    assert facts["ntp_servers"] == 1 and facts["syslog_servers"] == 0
    assert facts["vlans"] == [1, 5, 800]
    assert ports["ge-0/0/0"]["mode"] == "access" and ports["ge-0/0/0"]["vlan"] == 5
    assert ports["ge-0/0/1"]["mode"] == "trunk"


def _walk(realworld: Path, rel: str, tmp_path: Path) -> dict:
    path = realworld / "snmp" / rel
    if path.suffix == ".bz2":  # decompressed at test time into the test's own tmp dir
        target = tmp_path / path.stem
        target.write_bytes(bz2.decompress(path.read_bytes()))
        path = target
    return parse_snmprec(path.read_text(encoding="utf-8", errors="replace"))


@pytest.mark.parametrize(
    ("rel", "expected", "ethernet_ports"),
    [
        ("lextudio-snmpsim-data/network/switch/cisco-c3560.snmprec.bz2",
         {"vendor": "Cisco", "model": "WS-C3560G-48TS-E", "serial": "FOC1408Z61U", "firmware_version": "12.2(55)SE3",
          "hostname": "DUMSYS-04"}, 52),
        ("lextudio-snmpsim-data/network/switch/cisco-c3750.snmprec.bz2",
         {"vendor": "Cisco", "model": "WS-C3750G-12S-S", "serial": "FDO1622Y10H", "firmware_version": "12.2(50)SE5"},
         None),
        ("lextudio-snmpsim-data/network/switch/hpe-procurve-516733-b21.snmprec.bz2",
         {"vendor": "HPE Aruba (ProCurve)", "firmware_version": "Z.14.31"}, None),
        ("murrant-librenms-snmpsim/hp-2530.snmprec",
         {"model": "J9773A", "serial": "CN65FP42R3", "firmware_version": "YA.16.02.0008", "poe_budget_w": 195.0,
          "poe_used_w": 0.0, "poe_ports_delivering": 0}, None),
        ("murrant-librenms-snmpsim/procurve-2510g.snmprec",
         {"model": "J9279A", "serial": "CN221DE0YF", "firmware_version": "Y.11.44", "hostname": "HOSTNAME"}, None),
    ],
)
def test_snmp_recordings(realworld, tmp_path, rel, expected, ethernet_ports):
    facts = facts_from_walk(_walk(realworld, rel, tmp_path))
    assert {k: facts.get(k) for k in expected} == expected
    if ethernet_ports is not None:
        assert len(facts["ports"]) == ethernet_ports


def test_snmp_hp2530_vlans_and_poe_ports(realworld, tmp_path):
    walk = _walk(realworld, "murrant-librenms-snmpsim/hp-2530.snmprec", tmp_path)
    facts = facts_from_walk(walk)
    assert len(facts["vlans"]) == 6  # Q-BRIDGE: 6 VLANs
    detection = [k for k in walk if k[:11] == (1, 3, 6, 1, 2, 1, 105, 1, 1, 1, 6)]
    assert len(detection) == 24  # 24 pethPsePort rows, all searching


def test_snmp_procurve_2510g_lldp(realworld, tmp_path):
    facts = facts_from_walk(_walk(realworld, "murrant-librenms-snmpsim/procurve-2510g.snmprec", tmp_path))
    assert "rolfe-e7" in {n.system_name for n in facts["lldp_neighbours"]}
