"""Live collection from simulated firewalls: real SSH sessions (fakenos, a paramiko exec server) and real HTTPS
APIs on loopback, through the same parsers as an offline audit. Faults become unknown with the reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.config.firewall_devices import FirewallDevice
from probes.firewall.device import DeviceError, collect, device_tasks

pytest.importorskip("fakenos", reason="fakenos (the [lab] extra) is not installed")


@pytest.fixture(scope="module")
def firewall_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    from agent.lab.firewalls import DEMO_FIREWALLS, FirewallLab, LabFirewall

    firewalls = [
        *DEMO_FIREWALLS,
        LabFirewall("FGT-API", "fortinet", "api", "fortigate_good"),
        LabFirewall("FGT-LEAKY-API", "fortinet", "api", "fortigate_leaky"),
        LabFirewall("PF-EDGE", "pfsense", "ssh", "pfsense_good"),
        LabFirewall("FGT-WRONG", "fortinet", "ssh", "fortigate_good", wrong_credentials=True),
        LabFirewall("FGT-NORIGHTS", "fortinet", "api", "fortigate_good", token_without_rights=True),
        LabFirewall("FGT-BADTOKEN", "fortinet", "api", "fortigate_good", wrong_credentials=True),
        LabFirewall("OPN-UNTRUSTED", "opnsense", "api", "opnsense_leaky", untrusted_tls=True),
        LabFirewall("PF-WRONG", "pfsense", "ssh", "pfsense_good", wrong_credentials=True),
        LabFirewall("FGT-CUT", "fortinet", "ssh", "fortigate_good", truncated=True),
        LabFirewall("FGT-VDOMS", "fortinet", "ssh", "fortigate_vdoms"),
        LabFirewall("FGT-NEXT", "fortinet", "ssh", "fortigate_good", version="8.0.1"),
        LabFirewall("PF-CUT", "pfsense", "ssh", "pfsense_good", truncated=True),
    ]
    lab = FirewallLab(firewalls)
    fragment = lab.start(tmp_path_factory.mktemp("fwlab"))
    try:
        yield {d["name"]: d for d in fragment["firewall"]["devices"]} | {"_lab": {"lab": lab}}
    finally:
        lab.stop()


def settings(lab: dict[str, dict[str, Any]], name: str) -> Any:
    return FirewallDevice.model_validate(lab[name]).settings()


def verdicts(evidence: Any) -> dict[str, str]:
    from agent.cli.firewall_config import judge

    out: dict[str, str] = {}
    for r in judge(evidence, evidence.hostname or "t", "secondary"):
        out.setdefault(r.check, r.status.value)
    return out


def test_fortigate_over_ssh_is_well_kept(firewall_lab):
    ev = collect(settings(firewall_lab, "FGT-CORE"))
    assert ev.sources == ["ssh"] and ev.hostname == "FGT-CORE" and ev.firmware_version == "7.4.8"
    assert (ev.ha_mode, ev.ha_members, ev.ha_healthy) == ("a-p", 2, True)  # from 'get system ha status'
    assert set(verdicts(ev).values()) == {"pass"}
    assert ev.configuration and "CANARY" not in ev.model_dump_json()


def test_fortigate_api_matches_ssh(firewall_lab):
    via_api = collect(settings(firewall_lab, "FGT-API"))
    via_ssh = collect(settings(firewall_lab, "FGT-CORE"))
    assert via_api.sources == ["api"]
    assert verdicts(via_api) == verdicts(via_ssh)
    assert via_api.interfaces == via_ssh.interfaces and via_api.admin_accounts == via_ssh.admin_accounts
    assert "CANARY" not in via_api.model_dump_json()


def test_leaky_fortigate_over_api(firewall_lab):
    v = verdicts(collect(settings(firewall_lab, "FGT-LEAKY-API")))
    assert v["firewall_admin_encrypted_only"] == "warn"  # telnet on WAN: good practice, so attention at most
    for check in ("firewall_admin_not_on_wan", "firewall_admin_mfa",
                  "firewall_inbound_default_deny", "firewall_snmp_default_community_absent",
                  "firewall_firmware_supported", "firewall_admin_lockout", "firewall_ha_or_second_router"):
        assert v[check] == "fail", check


def test_opnsense_api_leaky(firewall_lab):
    ev = collect(settings(firewall_lab, "OPN-LEAKY"))
    assert ev.platform == "opnsense" and ev.firmware_version == "25.1.12"
    v = verdicts(ev)
    assert v["firewall_admin_not_on_wan"] == "fail"  # WAN rule to (self):443
    assert v["firewall_inbound_default_deny"] == "fail"  # 'Temporary - open for contractor': any -> any
    assert v["firewall_snmp_default_community_absent"] == "fail"  # net-snmp plugin on, community public
    assert v["firewall_admin_lockout"] == "fail"  # 10 attempts (score 100), 60 s: 50 guesses in 5 minutes
    assert v["firewall_firmware_supported"] == "fail"
    dumped = ev.model_dump_json()
    assert "CANARY" not in dumped and "$2y$" not in dumped


def test_pfsense_over_ssh_exec(firewall_lab):
    ev = collect(settings(firewall_lab, "PF-EDGE"))
    assert ev.platform == "pfsense" and ev.firmware_version == "2.8.1"
    v = verdicts(ev)
    assert v["firewall_ha_or_second_router"] == "pass"  # CARP + pfsync to 172.31.255.2
    assert v["firewall_central_admin_auth"] == "pass"  # webgui authmode NPS (RADIUS)
    assert v["firewall_admin_mfa"] == "unknown"  # a RADIUS server may ask for a second factor: not visible
    assert v["firewall_web_filtering_applied"] == "pass"  # pfBlockerNG DNSBL
    assert v["firewall_inbound_default_deny"] == "pass"  # one published service, limited to the trust's range
    assert v["firewall_admin_trusted_hosts"] == "pass"  # anti-lockout off, admin page from the IT office only
    assert "CANARY" not in ev.model_dump_json()


@pytest.mark.parametrize(("name", "reason", "words"), [
    ("FGT-WRONG", "auth_failed", "wrong username or password"),
    ("PF-WRONG", "auth_failed", "wrong username or password"),
    ("FGT-BADTOKEN", "auth_failed", "wrong token or key"),
    ("OPN-UNTRUSTED", "tls_untrusted", "not trusted"),
])
def test_faults_say_why(firewall_lab, name, reason, words):
    with pytest.raises(DeviceError) as caught:
        collect(settings(firewall_lab, name))
    assert caught.value.reason == reason and words in str(caught.value)
    assert "CANARY" not in str(caught.value)


def test_multi_vdom_fortigate_over_ssh(firewall_lab):
    # 'Virtual domain configuration: multiple': the HA status is read inside 'config global', then 'end'.
    ev = collect(settings(firewall_lab, "FGT-VDOMS"))
    assert ev.vdoms == ["root", "school-b"] and ev.firmware_version == "7.6.3"
    assert ev.ha_mode == "standalone"
    v = verdicts(ev)
    assert v["firewall_admin_not_on_wan"] == "fail"  # port1 (role wan) answers HTTPS
    assert v["firewall_web_filtering_applied"] == "warn"  # school-b's outbound rule has no filter
    assert {p.vdom for p in ev.outbound_policies} == {"root", "school-b"}


def test_truncated_fortigate_config_judges_what_arrived(firewall_lab):
    ev = collect(settings(firewall_lab, "FGT-CUT"))
    assert ev.config_complete is False
    assert any("truncated" in e for e in ev.collection_errors)
    v = verdicts(ev)
    assert v["firewall_admin_not_on_wan"] == "pass"  # the interfaces came before the cut
    assert v["firewall_inbound_default_deny"] == "unknown"  # the policies did not


def test_truncated_config_xml_is_unknown_with_the_reason(firewall_lab):
    with pytest.raises(DeviceError) as caught:
        collect(settings(firewall_lab, "PF-CUT"))
    assert caught.value.reason == "truncated" and "not well-formed XML" in str(caught.value)


def test_unknown_fortios_version(firewall_lab):
    ev = collect(settings(firewall_lab, "FGT-NEXT"))
    assert ev.firmware_version == "8.0.1"
    out = verdicts(ev)["firewall_firmware_supported"]
    assert out == "unknown"


def test_token_without_rights_is_unknown_with_the_reason(firewall_lab):
    ev = collect(settings(firewall_lab, "FGT-NORIGHTS"))
    v = verdicts(ev)
    assert v["firewall_admin_not_on_wan"] == "unknown"
    assert any("HTTP 403" in e for e in ev.collection_errors)


def test_pinned_fingerprint_must_match(firewall_lab):
    device = dict(firewall_lab["OPN-LEAKY"], tls={"fingerprint_sha256": "00" * 32})
    with pytest.raises(DeviceError) as caught:
        collect(FirewallDevice.model_validate(device).settings())
    assert caught.value.reason == "tls_untrusted" and "pinned" in str(caught.value)


def test_ca_file_is_trusted(firewall_lab):
    lab = firewall_lab["_lab"]["lab"]
    device = dict(firewall_lab["OPN-UNTRUSTED"], tls={"ca_file": str(lab.cert_path)})
    assert collect(FirewallDevice.model_validate(device).settings()).hostname == "opn-leaky.riverside.lab"


def test_device_tasks_for_the_probe(firewall_lab):
    devices = [FirewallDevice.model_validate(firewall_lab[n]) for n in ("FGT-CORE", "FGT-WRONG")]
    tasks = device_tasks(devices)
    assert [t.target for t in tasks] == ["FGT-CORE", "FGT-WRONG"]
    good = tasks[0].run()
    assert good[0].evidence is not None and good[0].kind == "firewall.config"
    with pytest.raises(DeviceError):
        tasks[1].run()


def test_nothing_but_allow_listed_commands(firewall_lab, tmp_path):
    from probes.firewall.allowlist import ForbiddenCommand, guard
    from probes.firewall.platforms import platform_for

    fortinet, pfsense = platform_for("fortinet"), platform_for("pfsense")
    for command in ("config system console", "set output standard", "execute reboot", "show | grep x",
                    "diagnose debug", "get system status; execute factoryreset"):
        with pytest.raises(ForbiddenCommand):
            guard(fortinet, command)
    for command in ("cat /etc/passwd", "cat /conf/config.xml; rm -rf /", "rm /conf/config.xml", "sh"):
        with pytest.raises(ForbiddenCommand):
            guard(pfsense, command)
    assert guard(fortinet, "config global") == "config global"  # a context switch, exactly these words


def test_lab_api_refuses_writes(firewall_lab):
    import requests

    device = firewall_lab["FGT-API"]
    response = requests.post(f"https://127.0.0.1:{device['port']}/api/v2/cmdb/system/global", verify=False,
                             timeout=5)
    assert response.status_code == 405
    assert json.loads(response.text)["status"] == "error"


def test_recorded_api_json_has_the_fortios_shape(firewall_lab, tmp_path):
    from agent.lab.firewalls import DATA, outputs_of, record_fortios_api

    outputs = outputs_of(DATA / "fortigate_good")
    record_fortios_api(outputs["show full-configuration"], outputs["get system status"],
                       outputs["get system ha status"], tmp_path)
    policy = json.loads((tmp_path / "cmdb__firewall__policy.json").read_text())["results"][0]
    assert policy["policyid"] == 1 and policy["srcintf"] == [{"name": "pupils", "q_origin_key": "pupils"}]
    status = json.loads((tmp_path / "monitor__system__status.json").read_text())
    assert status["version"] == "v7.4.8" and status["serial"].startswith("FG200F")
    assert len(json.loads((tmp_path / "monitor__system__ha-peer.json").read_text())["results"]) == 2
    assert Path(tmp_path / "cmdb__system__admin.json").is_file()
