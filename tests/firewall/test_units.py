"""Pure pieces: port lists, the echo protocol, safety rules, UDP probe payloads, and the checks' tables."""

from __future__ import annotations

import pytest

from contract.evidence.firewall_network import (
    DeclaredService,
    EgressProbe,
    FirewallEgress,
    FirewallExposure,
    PortFinding,
)
from probes.firewall import echo
from probes.firewall.ports import PortListError, parse_ports
from probes.firewall.scan import RefusedTarget, authorise, check_address, compress
from probes.firewall.udp import snmp_octet_strings, snmp_v2c_get_sysdescr, snmp_v3_discovery, udp_payload
from tests.firewall.helpers import verdicts


def test_port_lists() -> None:
    assert parse_ports("22,80,443,8000-8003", max_ports=100) == [22, 80, 443, 8000, 8001, 8002, 8003]
    assert parse_ports(" 443, 22 ,22", max_ports=10) == [22, 443]
    assert compress([22, 23, 80, 81, 82, 443]) == "22-23,80-82,443"
    with pytest.raises(PortListError, match="more than 100"):
        parse_ports("1-1000", max_ports=100)
    for bad in ("", "22,,80", "http", "0-10", "100-50", "70000"):
        with pytest.raises(PortListError):
            parse_ports(bad, max_ports=65535)


def test_echo_answers_only_full_size_requests_and_binds_port_and_protocol() -> None:
    key, nonce = b"k" * 32, echo.new_nonce()
    request = echo.request(nonce)
    assert len(request) == echo.REQUEST_BYTES
    reply = echo.answer(key, "udp", 1194, request)
    assert reply is not None and len(reply) <= len(request)  # never an amplifier
    assert echo.verify(key, "udp", 1194, nonce, reply)
    assert not echo.verify(key, "tcp", 1194, nonce, reply)
    assert not echo.verify(key, "udp", 51820, nonce, reply)
    assert not echo.verify(b"x" * 32, "udp", 1194, nonce, reply)
    assert echo.answer(key, "udp", 1194, request[:40]) is None
    assert echo.answer(key, "udp", 1194, b"GET / HTTP/1.1\r\n" + b"x" * 100) is None
    with pytest.raises(ValueError, match="at least 16"):
        echo.load_key(b"short\n")


def test_targets_are_refused_unless_configured_or_the_gateway() -> None:
    authorise(["10.0.0.1"], ["10.0.0.1"], None)
    authorise(["192.168.1.254"], [], "192.168.1.254")
    with pytest.raises(RefusedTarget, match="neither a configured target"):
        authorise(["10.0.0.9"], ["10.0.0.1"], "10.0.0.254")
    with pytest.raises(RefusedTarget, match="address range"):
        authorise(["10.0.0.0/24"], ["10.0.0.1"], None)
    with pytest.raises(RefusedTarget, match="could not be resolved"):
        authorise(["no-such-host.invalid"], [], None)
    for address in ("255.255.255.255", "224.0.0.1", "0.0.0.0"):
        with pytest.raises(RefusedTarget):
            check_address(address)


def test_udp_payloads_are_well_formed() -> None:
    get = snmp_v2c_get_sysdescr("lab-community")
    assert snmp_octet_strings(get) == [b"lab-community"]
    assert snmp_v3_discovery()[0] == 0x30 and b"public" not in snmp_v3_discovery()
    assert udp_payload(161, None) == snmp_v3_discovery()  # no community configured: none is guessed
    assert len(udp_payload(123, None)) == 48 and udp_payload(69, None).startswith(b"\x00\x01")
    assert udp_payload(500, None)[17] == 0x10  # IKEv1 header, version 1.0


def exposure(ports: list[PortFinding], segment: str | None = "student", vantage: str = "inside",
             declared: list[DeclaredService] | None = None) -> FirewallExposure:
    return FirewallExposure(address="10.0.0.1", target="10.0.0.1", role="gateway", segment=segment,
                            vantage=vantage, method="syn", rate_pps=100, tcp_ports_scanned=10,  # type: ignore[arg-type]
                            udp_ports_scanned=4, ports=ports, declared=declared or [])


SSH = PortFinding(port=22, protocol="tcp", state="open", reason="syn-ack", service="ssh", admin=True)
VPN = PortFinding(port=10443, protocol="tcp", state="open", reason="syn-ack", service="https", admin=True)
DNS = PortFinding(port=53, protocol="tcp", state="open", reason="syn-ack", service="dns")


@pytest.mark.parametrize(("ports", "segment", "vantage", "declared", "expected"), [
    ([DNS], "student", "inside", None, {"firewall_admin_not_exposed": "pass"}),
    ([SSH], "student", "inside", None, {"firewall_admin_not_exposed": "fail"}),
    ([SSH], "guest", "inside", None, {"firewall_admin_not_exposed": "fail"}),
    ([SSH], "staff", "inside", None, {"firewall_admin_not_exposed": "fail"}),
    ([SSH], "management", "inside", None, {"firewall_admin_not_exposed": "pass"}),
    ([SSH], None, "inside", None, {"firewall_admin_not_exposed": "warn"}),
    ([VPN], "outside", "outside", [DeclaredService(protocol="tcp", port=10443)],
     {"firewall_admin_not_exposed": "pass", "firewall_inbound_only_declared": "pass"}),
    ([VPN, SSH], "outside", "outside", [DeclaredService(protocol="tcp", port=10443)],
     {"firewall_admin_not_exposed": "fail", "firewall_inbound_only_declared": "fail"}),
    ([DNS], "outside", "outside", [], {"firewall_admin_not_exposed": "pass", "firewall_inbound_only_declared": "fail"}),
])
def test_exposure_checks(ports, segment, vantage, declared, expected) -> None:
    got = verdicts(exposure(ports, segment, vantage, declared))
    assert {k: got[k] for k in expected} == expected
    if vantage == "inside":
        assert got["firewall_inbound_only_declared"] == "not_applicable"


def egress_ev(vpn: str, dns: str, proxy: str = "blocked") -> FirewallEgress:
    def probe(name: str, category: str, outcome: str) -> EgressProbe:
        return EgressProbe(name=name, protocol="tcp", port=1, category=category, outcome=outcome,  # type: ignore[arg-type]
                           detail="d")

    return FirewallEgress(echo_server="e", control_ok=True, timeout_s=1.0, probes=[
        probe("https-control", "control", "allowed"), probe("openvpn", "vpn", vpn), probe("dot", "dns", dns),
        probe("socks", "proxy", proxy), probe("smtp", "other", "allowed")])


@pytest.mark.parametrize(("ev", "vpn", "dns"), [
    (egress_ev("blocked", "blocked"), "pass", "pass"),
    (egress_ev("allowed", "blocked"), "fail", "pass"),
    (egress_ev("blocked", "allowed"), "pass", "fail"),
    (egress_ev("blocked", "blocked", proxy="allowed"), "fail", "pass"),
    (egress_ev("unknown", "unknown"), "unknown", "unknown"),
    (egress_ev("unknown", "allowed"), "unknown", "fail"),
])
def test_egress_checks(ev, vpn, dns) -> None:
    assert verdicts(ev) == {"firewall_egress_vpn_blocked": vpn, "firewall_egress_dns_bypass_blocked": dns}
