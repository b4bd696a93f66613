"""The egress test against real nftables rules and the real echo server in the lab's internet namespace:
every outcome for both profiles, the DoH check, and the cases that must be unknown (never fail)."""

from __future__ import annotations

import pytest

from agent.lab.netns import NetnsLab
from probes.firewall.egress import test_egress as run_egress
from probes.firewall.ports import EGRESS_ROUTES
from tests.firewall.helpers import egress, verdicts

pytestmark = pytest.mark.netns

WELL_KEPT = {r.name: "blocked" for r in EGRESS_ROUTES} | {"https-control": "allowed"}
LEAKY = {r.name: "allowed" for r in EGRESS_ROUTES}


def outcomes(ev) -> dict[str, str]:
    return {p.name: p.outcome for p in ev.probes}


@pytest.mark.parametrize("segment", ["staff", "student"])
def test_well_kept_blocks_every_route_out(well_kept: NetnsLab, segment: str) -> None:
    ev = run_egress(egress(well_kept, segment))
    assert ev.control_ok and outcomes(ev) == WELL_KEPT
    details = {p.name: p.detail for p in ev.probes}
    assert "refused or reset" in details["openvpn-tcp"]  # reject with tcp reset
    assert "no route to host" in details["dns-over-tls"]  # reject with ICMP admin-prohibited (TCP)
    assert "admin-prohibited" in details["dns-outside-udp"]  # the same, on UDP, read from the error queue
    assert "dropped" in details["wireguard"] and "dropped" in details["tor-or"]
    assert {d.hostname: (d.dns, d.outcome) for d in ev.doh} == {
        d.hostname: ("nxdomain", "blocked") for d in ev.doh}
    assert verdicts(ev) == {"firewall_egress_vpn_blocked": "pass", "firewall_egress_dns_bypass_blocked": "pass"}


def test_leaky_allows_every_route_out(leaky: NetnsLab) -> None:
    ev = run_egress(egress(leaky, "student"))
    assert ev.control_ok and outcomes(ev) == LEAKY
    assert all((d.dns, d.https, d.outcome) == ("answered", "connected", "allowed") for d in ev.doh)
    assert verdicts(ev) == {"firewall_egress_vpn_blocked": "fail", "firewall_egress_dns_bypass_blocked": "fail"}


def test_doh_through_an_interceptor_is_blocked_not_allowed(leaky: NetnsLab) -> None:
    ev = run_egress(egress(leaky, "student", ca_file=None, doh_hostnames=["dns.google"]))
    # Without the lab CA the certificate cannot be verified: what answers is not the real dns.google.
    assert [(d.https, d.outcome) for d in ev.doh] == [("intercepted", "blocked")]


def test_wrong_key_makes_everything_unknown(leaky: NetnsLab) -> None:
    ev = run_egress(egress(leaky, "student", key=b"not-the-key-the-echo-server-has-0000"))
    assert set(outcomes(ev).values()) == {"unknown"}
    assert all("HMAC" in p.detail for p in ev.probes)
    assert verdicts(ev)["firewall_egress_vpn_blocked"] == "unknown"


def test_echo_server_that_never_answers_is_unknown(well_kept: NetnsLab) -> None:
    # An internet address where nothing listens and nothing answers (the packets die in the internet namespace).
    ev = run_egress(egress(well_kept, "staff", echo_server="203.0.113.77", doh_hostnames=["dns.google"]))
    assert not ev.control_ok
    assert set(outcomes(ev).values()) == {"unknown"}
    assert all("may be down" in p.detail for p in ev.probes if p.name != "https-control")
    result = verdicts(ev)
    assert result["firewall_egress_vpn_blocked"] == "unknown"
    # The DoH part was measured (the school's resolver NXDOMAINs it) but the echo routes were not: still unknown.
    assert result["firewall_egress_dns_bypass_blocked"] == "unknown"


def test_no_key_is_unknown(leaky: NetnsLab) -> None:
    settings = egress(leaky, "student").model_copy(update={"key": None})
    ev = run_egress(settings)
    assert set(outcomes(ev).values()) == {"unknown"}
    assert any("no echo key" in n for n in ev.notes)


def test_resolver_that_never_answers_is_unknown_for_doh(well_kept: NetnsLab) -> None:
    ev = run_egress(egress(well_kept, "staff", resolver="203.0.113.77", doh_hostnames=["dns.google"]))
    assert [(d.dns, d.outcome) for d in ev.doh] == [("no-answer", "unknown")]
