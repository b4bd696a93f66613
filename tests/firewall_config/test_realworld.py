"""Real firewall backups written by others (../shared/realworld/firewall, Oxidized's test data), replayed offline.

Each test states the verdict a careful auditor reaches by reading the file, with the configuration line that
decides it, and then checks that schoolnet reached the same one. Nothing from those files is copied into the
project; the tests skip when the folder is absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agent.cli.firewall_config import judge
from probes.firewall.offline import evidence_from_text

pytestmark = pytest.mark.realworld

BCRYPT = re.compile(r"\$2[aby]\$\d{2}\$")


def audit(realworld: Path, rel: str) -> tuple[str, object, dict[str, str]]:
    text = (realworld / "firewall" / rel).read_text(encoding="utf-8")
    platform, evidence = evidence_from_text(text, None, rel)
    results = judge(evidence, evidence.hostname or rel, "secondary")
    verdicts: dict[str, str] = {}
    for r in results:
        verdicts.setdefault(r.check, r.status.value)
    return text, evidence, verdicts


def every_file(realworld: Path) -> list[Path]:
    return sorted(p for p in (realworld / "firewall").rglob("*") if p.is_file())


def test_every_file_is_replayed(realworld):
    # The folder holds exactly the four files the verdict tests below cover; a new one needs its own test.
    names = {p.name for p in every_file(realworld)}
    assert names == {"FortiGate-3001F_7.4.8_HA.oxidized.conf", "FortiGate-501E_vdomHAdown.oxidized.conf",
                     "nano_24.7.oxidized.config.xml", "CE_2.7.2.oxidized.config.xml"}


def test_fortigate_3001f_ha_pair(realworld):
    text, ev, v = audit(realworld, "fortigate/FortiGate-3001F_7.4.8_HA.oxidized.conf")
    assert ev.platform == "fortinet" and ev.hostname == "Firewall-1" and ev.model == "FortiGate-3001F"
    # "# Version: FortiGate-3001F v7.4.8,build2795,250523 (GA.M)": FortiOS 7.4, supported until 2027-11-11.
    assert "v7.4.8" in text and ev.firmware_version == "7.4.8"
    assert v["firewall_firmware_supported"] == "pass"
    # "# Current HA mode: a-p, primary", "# number of member: 2", "# HA Health Status: OK": a working HA pair.
    assert "# number of member: 2" in text and "# HA Health Status: OK" in text
    assert (ev.ha_mode, ev.ha_members, ev.ha_healthy) == ("a-p", 2, True)
    assert v["firewall_ha_or_second_router"] == "pass"
    # "config system global" sets no admin-lockout-*: FortiOS's defaults (3 tries, 60 s lockout) allow
    # 3 x 5 = 15 guesses in 5 minutes, more than DfE's 10.
    assert "admin-lockout" not in text and "config system global" in text
    assert v["firewall_admin_lockout"] == "fail"
    # The backup holds only 'config system global': interfaces, admins, policies, SNMP and logging are not in it,
    # so a careful auditor cannot judge them (and must not call them absent).
    assert "config system interface" not in text and "config system admin" not in text
    for check in ("firewall_admin_not_on_wan", "firewall_admin_encrypted_only", "firewall_admin_trusted_hosts",
                  "firewall_admin_mfa", "firewall_central_admin_auth", "firewall_inbound_default_deny",
                  "firewall_snmp_default_community_absent", "firewall_remote_logging_configured",
                  "firewall_web_filtering_applied"):
        assert v[check] == "unknown", check


def test_fortigate_501e_vdoms_ha_down(realworld):
    text, ev, v = audit(realworld, "fortigate/FortiGate-501E_vdomHAdown.oxidized.conf")
    assert ev.hostname == "OXI-FW121" and ev.firmware_version == "7.4.8"
    # "config vdom / edit root / edit xxxx / edit yyyy": three VDOMs.
    assert ev.vdoms == ["root", "xxxx", "yyyy"]
    # "# Current HA mode: a-p, primary" but "# number of member: 1" and a blank "# HA Health Status:":
    # the HA partner is missing, so nothing would take over.
    assert "# number of member: 1" in text
    assert (ev.ha_mode, ev.ha_members, ev.ha_healthy) == ("a-p", 1, False)
    assert v["firewall_ha_or_second_router"] == "fail"
    # port1 'set alias "WAN"' has 'set allowaccess ping' only; HTTPS and SSH are on "mgmt" ('set dedicated-to
    # management'): no admin service on the internet-facing side, and none in clear text.
    assert 'set alias "WAN"' in text and "set allowaccess ping https ssh" in text
    wan = [i for i in ev.interfaces if i.internet_facing]
    assert [i.name for i in wan] == ["port1"] and wan[0].admin_services == []
    mgmt = next(i for i in ev.interfaces if i.name == "mgmt")
    assert mgmt.role == "mgmt" and mgmt.admin_services == ["https", "ssh"]
    assert v["firewall_admin_not_on_wan"] == "pass"
    assert v["firewall_admin_encrypted_only"] == "pass"
    assert v["firewall_firmware_supported"] == "pass"
    assert v["firewall_admin_lockout"] == "fail"  # defaults again: 15 guesses in 5 minutes
    # No 'config system admin' and no 'config firewall policy' anywhere: admins and rules cannot be judged.
    assert "config system admin" not in text and "config firewall policy" not in text
    for check in ("firewall_admin_mfa", "firewall_admin_trusted_hosts", "firewall_central_admin_auth",
                  "firewall_inbound_default_deny", "firewall_web_filtering_applied"):
        assert v[check] == "unknown", check


def test_opnsense_24_7(realworld):
    text, ev, v = audit(realworld, "opnsense/nano_24.7.oxidized.config.xml")
    assert ev.platform == "opnsense" and ev.hostname == "OPNsense.localdomain"
    # "<!-- OPNsense 24.7 -->": the 24.7 series stopped getting updates when 25.1 came out (January 2025).
    assert "<!-- OPNsense 24.7 -->" in text
    assert v["firewall_firmware_supported"] == "fail"
    # <filter> has two rules, both '<interface>lan</interface>': nothing is passed on WAN, which OPNsense
    # blocks by default, so inbound is default-deny and the GUI/SSH are not reachable from the internet.
    assert text.count("<interface>lan</interface>") == 2 and "<interface>wan</interface>" not in text
    assert v["firewall_inbound_default_deny"] == "pass"
    assert v["firewall_admin_not_on_wan"] == "pass"
    # '<webgui><protocol>https</protocol>', no <disablehttpredirect>: HTTPS, HTTP only redirects.
    assert v["firewall_admin_encrypted_only"] == "pass"
    # Two admins (root, and oxidized through <member>2000</member> of 'admins'), no <authserver>, empty
    # <otp_seed/>: passwords alone, though OPNsense offers TOTP.
    assert sorted(a.name for a in ev.admin_accounts) == ["oxidized", "root"]
    assert v["firewall_admin_mfa"] == "fail"
    assert v["firewall_central_admin_auth"] == "warn"  # good practice (DfE does not name central AAA)
    # No <noantilockout>: any LAN host may open the admin page (good practice: warn).
    assert v["firewall_admin_trusted_hosts"] == "warn"
    # '<snmpd><rocommunity>public</rocommunity>' but no net-snmp plugin: no agent runs, the default is stored.
    assert "<rocommunity>public</rocommunity>" in text
    assert v["firewall_snmp_default_community_absent"] == "warn"
    # '<Syslog>...<destinations/>' and an empty <syslog/>: logs stay on the box.
    assert v["firewall_remote_logging_configured"] == "fail"
    # No sshguard settings: 3 failed logins (score 30 at 10 each) block for 120 s, so at most 9 guesses in 5 min.
    assert "sshguard" not in text
    assert v["firewall_admin_lockout"] == "pass"
    # '<dnsbl><enabled>0</enabled>': no DNS blocklist, no proxy: the firewall filters nothing (filtering may be
    # upstream, so this is a warning for FM-3, not a failure).
    assert v["firewall_web_filtering_applied"] == "warn"
    # '<hasync>' with '<pfsyncenabled>0</pfsyncenabled>' and no CARP virtual IP: a single router.
    assert v["firewall_ha_or_second_router"] == "fail"


def test_pfsense_ce_2_7_2(realworld):
    text, ev, v = audit(realworld, "pfsense/CE_2.7.2.oxidized.config.xml")
    assert ev.platform == "pfsense" and ev.hostname == "pfSense.home.arpa"
    # "<!-- PFsense 2.7.2-RELEASE -->" (the <version>23.3</version> element is the config format, not the
    # release): 2.7 stopped getting fixes when 2.8.0 shipped.
    assert ev.firmware_version == "2.7.2"
    assert v["firewall_firmware_supported"] == "fail"
    # WAN has '<blockpriv>on</blockpriv>', '<blockbogons>on</blockbogons>' and no pass rule; no port forward.
    assert "<blockbogons>on</blockbogons>" in text
    assert v["firewall_inbound_default_deny"] == "pass"
    assert v["firewall_admin_not_on_wan"] == "pass"
    # '<ssh><enable>enabled</enable>' (SSH, encrypted) and '<webgui><protocol>https</protocol>'.
    assert v["firewall_admin_encrypted_only"] == "pass"
    # '<snmpd><rocommunity>public</rocommunity>' without '<enable/>': the SNMP daemon is off, the default stored.
    assert v["firewall_snmp_default_community_absent"] == "warn"
    # One admin with a '<bcrypt-hash>' and no <authserver>: local password only, no MFA, no central login.
    assert [a.name for a in ev.admin_accounts] == ["admin"]
    assert v["firewall_admin_mfa"] == "fail"
    assert v["firewall_central_admin_auth"] == "warn"  # good practice (DfE does not name central AAA)
    assert v["firewall_admin_trusted_hosts"] == "warn"
    # '<syslog><filterdescriptions>1</filterdescriptions></syslog>': no remote syslog server.
    assert v["firewall_remote_logging_configured"] == "fail"
    assert v["firewall_admin_lockout"] == "pass"  # sshguard defaults, as for OPNsense
    assert v["firewall_web_filtering_applied"] == "warn"
    assert v["firewall_ha_or_second_router"] == "fail"


def _secrets_in(text: str) -> list[str]:
    """Every secret value a careful reader finds in the file: hashes, private keys, communities, ENC values."""
    found = BCRYPT.findall(text) and re.findall(r"\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}", text)
    found = list(found or [])
    found += re.findall(r"<prv>([^<]{40,})</prv>", text)
    found += re.findall(r"\bENC (\S{8,})", text)
    found += ["AAAAAAAAAABBBBBBBBBBCCCCCCCCCC"]
    return found


def test_no_secret_survives(realworld):
    for path in every_file(realworld):
        text = path.read_text(encoding="utf-8")
        platform, evidence = evidence_from_text(text, None, path.name)
        dumped = evidence.model_dump_json()
        results = json.dumps([r.model_dump(mode="json") for r in judge(evidence, "t", "secondary")])
        for secret in _secrets_in(text):
            assert secret not in dumped and secret not in results, (path.name, secret[:12])
        assert not BCRYPT.search(dumped), path.name
        assert "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t" not in dumped  # base64 of '-----BEGIN PRIVATE KEY-----'
        if evidence.configuration and path.suffix == ".xml":
            # The community is a secret too, even when it is the default: only the finding says it was 'public'.
            assert "<rocommunity>public</rocommunity>" not in evidence.configuration
