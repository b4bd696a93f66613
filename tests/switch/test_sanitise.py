"""The one sanitiser: every secret seeded (as CANARY...) into the recorded outputs is removed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from probes.switch.sanitise import REMOVED, sanitise

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "agent" / "lab" / "switch_data"
CANARY = re.compile(r"CANARY\w+")
CONFIGS = sorted(p for p in DATA.glob("*/*/show_*config*.txt"))


def test_fixtures_do_seed_canaries():
    seeded = [c for p in CONFIGS for c in CANARY.findall(p.read_text(encoding="utf-8"))]
    assert len(seeded) >= 15  # enable/user/line passwords, communities, v3 keys, RADIUS keys, Junos secrets


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_no_canary_survives(path: Path):
    platform = path.parent.parent.name
    text = path.read_text(encoding="utf-8")
    clean = sanitise(text, platform)
    assert not CANARY.findall(clean), CANARY.findall(clean)
    assert REMOVED in clean
    # Keywords stay, so a reader still sees that a secret is set.
    assert clean.count("\n") == text.count("\n")


@pytest.mark.parametrize(
    ("platform", "line", "secret"),
    [
        ("cisco_ios", "enable secret 5 $1$abcd$efgh", "$1$abcd$efgh"),
        ("cisco_ios", "enable password 7 0822455D0A16", "0822455D0A16"),
        ("cisco_ios", "username bob privilege 15 password 0 hunter2", "hunter2"),
        ("cisco_ios", " password letmein", "letmein"),
        ("cisco_ios", "snmp-server community s3cret RO 10", "s3cret"),
        ("cisco_ios", "snmp-server host 10.0.0.1 version 2c trapsecret", "trapsecret"),
        ("cisco_ios", "snmp-server user u g v3 auth sha AuthKey1 priv aes 128 PrivKey1", "AuthKey1"),
        ("cisco_ios", "snmp-server user u g v3 auth sha AuthKey1 priv aes 128 PrivKey1", "PrivKey1"),
        ("cisco_ios", "tacacs-server host 10.0.0.2 key 0 TacKey", "TacKey"),
        ("cisco_ios", " key 7 045802150C2E", "045802150C2E"),
        ("cisco_ios", "crypto isakmp key PskValue address 0.0.0.0", "PskValue"),
        ("cisco_ios", "ntp authentication-key 1 md5 NtpKey 7", "NtpKey"),
        ("hp_procurve", 'password manager user-name "admin" plaintext "Pw 1"', "Pw 1"),
        ("hp_procurve", 'snmp-server community "c0mm" operator', "c0mm"),
        ("hp_procurve", 'radius-server host 10.0.0.1 key "rk"', '"rk"'),
        ("hp_procurve", 'snmpv3 user "u" auth sha "ak" priv aes "pk"', '"ak"'),
        ("hp_procurve", 'snmpv3 user "u" auth sha "ak" priv aes "pk"', '"pk"'),
        ("aruba_aoscx", "user admin group administrators password plaintext Secr3t", "Secr3t"),
        ("aruba_aoscx", "tacacs-server host 10.0.0.3 key plaintext TacCx", "TacCx"),
        ("aruba_aoscx", "psk plaintext P5K", "P5K"),
        ("juniper_junos", '    encrypted-password "$6$salt$hash"; ## SECRET-DATA', "$6$salt$hash"),
        ("juniper_junos", '        secret "$9$abc"; ## SECRET-DATA', "$9$abc"),
        ("juniper_junos", "    community Pub1ic {", "Pub1ic"),
        ("juniper_junos", "set snmp community Pub1ic authorization read-only", "Pub1ic"),
        ("juniper_junos", '    pre-shared-key ascii-text "$9$psk"; ## SECRET-DATA', "$9$psk"),
    ],
)
def test_rules(platform, line, secret):
    assert secret not in sanitise(line, platform)


def test_known_secrets_are_removed_anywhere():
    out = sanitise("banner motd ^Call 0800 hunter2-xyz^", "cisco_ios", known_secrets=["hunter2-xyz"])
    assert "hunter2-xyz" not in out


def test_realworld_junos_secret_data(realworld: Path):
    text = (realworld / "switch" / "ciscoconfparse" / "sample_01.junos").read_text(encoding="utf-8")
    clean = sanitise(text, "juniper_junos")
    assert "$1$y7ArHxKU$zUbdeLfBirgkCsKiOJ5Qa0" in text
    assert "$1$y7ArHxKU$zUbdeLfBirgkCsKiOJ5Qa0" not in clean
