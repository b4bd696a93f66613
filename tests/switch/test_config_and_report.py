"""The [switches] config (secrets by reference only) and the inventory table of the HTML report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from agent.config import load_config
from agent.errors import ConfigError

SITE = '[site]\nid = "T"\nname = "T"\nphase = "secondary"\n'


def load(tmp_path: Path, body: str):
    path = tmp_path / "schoolnet.toml"
    path.write_text(SITE + body, encoding="utf-8")
    return load_config(path)


def test_a_full_switch_section_loads(tmp_path):
    cfg = load(tmp_path, """
[switches]
read_timeout_s = 20
[[switches.devices]]
name = "core"
host = "10.0.0.1"
platform = "cisco_ios"
role = "core"
username = "audit"
password = { env = "SW_PASSWORD" }
ups = "ups1"
[switches.devices.snmp]
version = "v3"
[switches.devices.snmp.v3]
user = "auditor"
auth_key = { file = "/etc/schoolnet/v3-auth" }
priv_key = { file = "/etc/schoolnet/v3-priv" }
[[switches.ups]]
name = "ups1"
host = "10.0.0.50"
snmp = { version = "v2c", community = { env = "UPS_COMMUNITY" } }
""")
    device = cfg.switches.devices[0]
    assert device.snmp is not None and device.snmp.v3 is not None and device.snmp.v3.auth_protocol == "sha"
    assert cfg.switches.ups[0].snmp.community.env == "UPS_COMMUNITY"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[switches.devices]]\nname="a"\nhost="h"\nplatform="cisco_ios"\nusername="u"\npassword="hunter2"\n',
         "switches.devices[0].password"),
        ('[[switches.devices]]\nname="a"\nhost="h"\nplatform="cisco_ios"\n', "SSH credentials"),
        ('[[switches.devices]]\nname="a"\nhost="h"\nplatform="cisco_ios"\nsnmp={version="v2c"}\n', "needs community"),
        ('[[switches.devices]]\nname="a"\nhost="h"\nplatform="cisco_ios"\nsnmp={version="v2c", community="public"}\n',
         "community"),
        ('[[switches.devices]]\nname="a"\nhost="h"\nplatform="cisco_ios"\nusername="u"\npassword={env="P"}\n'
         'ups="nope"\n', "ups 'nope'"),
        ('[[switches.devices]]\nname="a"\nhost="h"\nplatform="nokia_sros"\nusername="u"\npassword={env="P"}\n',
         "unsupported platform 'nokia_sros'"),
        ('[[switches.devices]]\nname="a"\nhost="h"\nplatform="cisco_ios"\nusername="u"\npassword={env="P"}\n'
         '[[switches.devices]]\nname="a"\nhost="h2"\nplatform="cisco_ios"\nusername="u"\npassword={env="P"}\n',
         "repeated: a"),
        ('[discovery]\nhosts=["10.0.0.0/16"]\nsnmp={version="v2c", community={env="C"}}\n', "1024 or fewer"),
        ('[discovery]\nhosts=["10.0.0.300"]\nsnmp={version="v2c", community={env="C"}}\n',
         "not an IP address or CIDR block"),
    ],
)
def test_bad_sections_name_the_key(tmp_path, body, message):
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, ("[switches]\n" + body).replace("[discovery]", "[switches.discovery]"))
    assert message in str(exc.value)
    assert "hunter2" not in str(exc.value)  # a literal secret is refused without being echoed


def test_inventory_table():
    from contract.evidence import EvidenceRecord
    from contract.evidence.switch import InventoryEntry, SwitchInventory, UnlistedDevice
    from contract.report import ReportAgent
    from contract.site import SiteProfile
    from reports.area_switches import inventory_table
    from reports.build import build_report
    from standards_map.model import load_map

    now = datetime.now(UTC)
    inventory = SwitchInventory(
        devices=[InventoryEntry(name="CORE", platform="cisco_ios", mgmt_ip="10.0.0.1", answered=True, vendor="Cisco",
                                model="C9300-24UX", serial="FOC1", firmware_version="17.9.4a"),
                 InventoryEntry(name="EDGE", platform="cisco_ios", mgmt_ip="10.0.0.2", answered=False,
                                error="SSH login to 10.0.0.2:22 was refused: wrong username or password")],
        unlisted=[UnlistedDevice(name="LAB-SW9", mgmt_ip="10.0.0.9", seen_by="CORE")],
    )
    report = build_report(
        report_id=uuid4(), standards=load_map(), site=SiteProfile(id="T", name="T", phase="secondary"),
        agent=ReportAgent(id="a", version="0"), evidence=[EvidenceRecord.of("ev-1", "switches", "inv", now, inventory)],
        attestations=[], probes=[], started_at=now, finished_at=now, evaluated_at=now,
    )
    table = inventory_table(report)
    assert table is not None and table.columns[:6] == ["Switch", "Vendor", "Model", "Serial", "Firmware",
                                                        "Management IP"]
    rows = [[c.text for c in row] for row in table.rows]
    assert rows[0][:6] == ["CORE", "Cisco", "C9300-24UX", "FOC1", "17.9.4a", "10.0.0.1"]
    assert "wrong username or password" in rows[1][6]
    assert rows[2][0] == "LAB-SW9" and "not in the config" in rows[2][6]
    assert table.rows[2][6].status == "fail"
