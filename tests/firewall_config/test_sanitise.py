"""No secret of a firewall configuration reaches evidence, results, a report or an error message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli.firewall_config import judge
from probes.firewall.offline import evidence_from_text
from probes.firewall.platforms import platform_for
from probes.firewall.sanitise import scrub_common

CANARY = "AAAAAAAAAABBBBBBBBBBCCCCCCCCCC"
LAB = Path(__file__).resolve().parents[2] / "agent" / "lab" / "firewall_data"

FORTIOS_SECRETS = f"""config system global
    set hostname "fw"
end
config system interface
    edit "port1"
        set role wan
    next
end
config system admin
    edit "admin"
        set password ENC SH2{CANARY}
        set ssh-public-key1 "ssh-rsa {CANARY}"
    next
end
config system ha
    set password ENC {CANARY}
end
config system snmp community
    edit 1
        set name "{CANARY}"
    next
end
config system snmp user
    edit "u"
        set auth-pwd ENC {CANARY}
        set priv-pwd ENC {CANARY}
    next
end
config user radius
    edit "r"
        set secret ENC {CANARY}
        set secondary-secret ENC {CANARY}
    next
end
config user tacacs+
    edit "t"
        set key ENC {CANARY}
    next
end
config user ldap
    edit "l"
        set password ENC {CANARY}
    next
end
config vpn ipsec phase1-interface
    edit "p1"
        set psksecret ENC {CANARY}
        set ppk-secret ENC {CANARY}
    next
end
config wireless-controller vap
    edit "w"
        set passphrase ENC {CANARY}
        set sae-password ENC {CANARY}
    next
end
config system api-user
    edit "api"
        set api-key ENC {CANARY}
    next
end
config vpn certificate local
    edit "c"
        set password ENC {CANARY}
        set private-key "-----BEGIN ENCRYPTED PRIVATE KEY-----
{CANARY}
-----END ENCRYPTED PRIVATE KEY-----"
    next
end
config system ntp
    config ntpserver
        edit 1
            set key ENC {CANARY}
        next
    end
end
"""

XML_SECRETS = f"""<?xml version="1.0"?>
<pfsense>
  <system>
    <hostname>pf</hostname>
    <user><name>admin</name><bcrypt-hash>$2b$10${CANARY}{CANARY[:23]}</bcrypt-hash>
      <sha512-hash>$6$salt${CANARY}</sha512-hash><authorizedkeys>{CANARY}</authorizedkeys>
      <apikeys><item><key>{CANARY}</key><secret>{CANARY}</secret></item></apikeys><otp_seed>{CANARY}</otp_seed>
    </user>
    <authserver><name>NPS</name><type>radius</type><radius_secret>{CANARY}</radius_secret></authserver>
    <authserver><name>AD</name><type>ldap</type><ldap_bindpw>{CANARY}</ldap_bindpw></authserver>
  </system>
  <interfaces><wan><if>em0</if><ipaddr>dhcp</ipaddr></wan></interfaces>
  <snmpd><rocommunity>{CANARY}</rocommunity><enable/></snmpd>
  <ipsec><phase1><pre-shared-key>{CANARY}</pre-shared-key></phase1></ipsec>
  <openvpn><openvpn-server><tls>{CANARY}</tls><shared_key>{CANARY}</shared_key></openvpn-server></openvpn>
  <wireless><wpa><passphrase>{CANARY}</passphrase></wpa></wireless>
  <cert><prv>{CANARY}</prv><crt>{CANARY}</crt></cert>
</pfsense>
"""


def _everything(text: str, platform: str) -> str:
    _, evidence = evidence_from_text(text, platform, "test")
    results = judge(evidence, "t", "secondary")
    return evidence.model_dump_json() + json.dumps([r.model_dump(mode="json") for r in results])


def test_fortios_secrets_never_survive():
    out = _everything(FORTIOS_SECRETS, "fortinet")
    assert CANARY not in out


def test_fortios_scrub_keeps_the_keys():
    clean = platform_for("fortinet").sanitise(FORTIOS_SECRETS)
    assert CANARY not in clean
    assert "set psksecret <removed>" in clean and "set secret <removed>" in clean
    assert "set name <removed>" in clean  # an SNMP community is a secret, whatever it is called
    assert 'set hostname "fw"' in clean  # and nothing else is touched


@pytest.mark.parametrize("platform", ["pfsense", "opnsense"])
def test_config_xml_secrets_never_survive(platform):
    text = XML_SECRETS if platform == "pfsense" else XML_SECRETS.replace("pfsense>", "opnsense>")
    out = _everything(text, platform)
    assert CANARY not in out
    assert "$2b$" not in out and "$6$" not in out


def test_generic_pass_catches_secret_shapes_anywhere():
    pem_b64 = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2UUlCQURBTkJna3Foa2lHOXcwQkFRRUZBQVND"
    text = (f"x ENC abcdefgh y $2y$10$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ01234 z {pem_b64} "
            "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY----- keep-me")
    clean = scrub_common(text, known_secrets=["keep"])
    assert "abcdefgh" not in clean and "$2y$" not in clean and pem_b64 not in clean and "abc\n" not in clean
    assert "<removed>-me" in clean  # a secret the agent used is removed wherever it appears


def test_lab_configs_keep_no_canary():
    configs = {"fortigate": ("fortinet", "show_full-configuration.txt"), "opnsense": ("opnsense", "config.xml"),
               "pfsense": ("pfsense", "cat_conf_config.xml.txt")}
    for folder in sorted(LAB.iterdir()):
        platform, name = configs[folder.name.split("_")[0]]
        text = (folder / name).read_text(encoding="utf-8")
        assert "CANARY" in text or CANARY in text  # the recordings carry canaries in every secret position ...
        _, evidence = evidence_from_text(text, platform, name)
        dumped = evidence.model_dump_json()
        assert "CANARY" not in dumped and CANARY not in dumped, folder  # ... and none survives
