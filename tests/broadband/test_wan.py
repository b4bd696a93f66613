"""Backup connection over SNMP: a real snmpsim agent on loopback answering IF-MIB, and the selection rules."""

from __future__ import annotations

import asyncio
import shutil
import socket
import time
from datetime import UTC, datetime

import pytest

from agent.config.broadband import DeclaredWanLink, RouterConfig
from agent.lab.broadband import ROUTER_INTERFACES, router_snmprec
from agent.lab.procs import free_port, start_snmpsim, stop_process
from probes.broadband.common import MeasurementError
from probes.broadband.wan import Interface, poll_wan_links, rows_from_walk, select_wan, type_from_text
from probes.snmp import oid

TODAY = datetime(2026, 11, 29, tzinfo=UTC)


def udp_port() -> int:
    return free_port(socket.SOCK_DGRAM)


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    if shutil.which("snmpsim-command-responder") is None and not (
            __import__("pathlib").Path(__import__("sys").executable).parent / "snmpsim-command-responder").exists():
        pytest.skip("snmpsim is not installed (lab extra)")
    port = udp_port()
    proc = start_snmpsim(tmp_path_factory.mktemp("snmp"), {"wan-test": router_snmprec()}, port)
    try:
        time.sleep(0.6)  # snmpsim indexes its data before answering
        yield port
    finally:
        stop_process(proc)


def router_config(port: int, tmp_path, community: str = "wan-test", **fields) -> RouterConfig:
    secret = tmp_path / "community"
    secret.write_text(community)
    secret.chmod(0o600)  # a secret file others can read is refused
    return RouterConfig(host="127.0.0.1", port=port, community={"file": str(secret)}, timeout_s=1.0, retries=2,
                        **fields)


def test_wan_links_by_pattern(router, tmp_path):
    evidence = asyncio.run(poll_wan_links(router_config(router, tmp_path).probe_router(), today=TODAY))
    assert evidence.source == "snmp" and evidence.router == "127.0.0.1"
    assert [(link.name, link.oper_up, link.speed_mbps, link.type) for link in evidence.links] == [
        ("Gi0/0", True, 1000, "leased_line"), ("Gi0/1", True, 900, "fttp"), ("Ce0", False, 50, "4g")]
    assert evidence.checked_on == TODAY.date()


def test_wan_links_by_name_with_declared_types(router, tmp_path):
    declared = [DeclaredWanLink(name="GigabitEthernet0/2", type="satellite", failover_tested_on="2026-06-01")]
    cfg = router_config(router, tmp_path, wan_interfaces=["Gi0/0", "GigabitEthernet0/2"])
    evidence = asyncio.run(poll_wan_links(cfg.probe_router(), declared=declared, today=TODAY))
    assert [(link.name, link.type) for link in evidence.links] == [("Gi0/0", "leased_line"), ("Gi0/2", "satellite")]
    assert str(evidence.failover_tested_on) == "2026-06-01"


def test_wrong_community_is_a_reason_not_a_hang(router, tmp_path):
    cfg = router_config(router, tmp_path, community="wrong").model_copy(update={"timeout_s": 0.3, "retries": 0})
    with pytest.raises(MeasurementError, match="did not answer SNMP"):
        asyncio.run(poll_wan_links(cfg.probe_router(), today=TODAY))


def test_unreachable_router(tmp_path):
    cfg = router_config(udp_port(), tmp_path).model_copy(update={"timeout_s": 0.3, "retries": 0})
    with pytest.raises(MeasurementError, match="did not answer SNMP"):
        asyncio.run(poll_wan_links(cfg.probe_router(), today=TODAY))


def test_selection_rules_without_a_device():
    class Text:
        def __init__(self, text: str) -> None:
            self.text = text

        def asOctets(self) -> bytes:
            return self.text.encode()

    base = "1.3.6.1.2.1"
    varbinds = [
        (f"{base}.2.2.1.2.7", Text("Dialer1")), (f"{base}.2.2.1.8.7", 1), (f"{base}.2.2.1.5.7", 80_000_000),
        (f"{base}.31.1.1.1.18.7", Text("ISP FTTC")),
        (f"{base}.2.2.1.2.8", Text("Vlan10")), (f"{base}.2.2.1.8.8", 1),
        (f"{base}.2.2.1.99.8", 5),  # a column we do not read
    ]
    rows = rows_from_walk({oid(name): value.text.encode() if isinstance(value, Text) else value
                           for name, value in varbinds})
    assert rows[7] == Interface(descr="Dialer1", oper=1, speed_bps=80_000_000, alias="ISP FTTC")
    links = select_wan(rows, [], RouterConfig.model_fields["wan_pattern"].default)
    assert [(link.name, link.speed_mbps, link.type) for link in links] == [("Dialer1", 80, "fttc")]
    assert len(ROUTER_INTERFACES) == 5


@pytest.mark.parametrize(("alias", "line_type"), [
    ("BT Leased Line 1G", "leased_line"), ("WAN fttp", "fttp"), ("VDSL backup", "fttc"), ("Starlink", "satellite"),
    ("LTE modem", "4g"), ("uplink", None),
])
def test_type_from_alias(alias, line_type):
    assert type_from_text(alias) == line_type
