"""The exposure scan against real nftables rules in the namespace lab: every port state, both methods, both
profiles, from inside (staff, student) and from outside, and the exact check verdicts."""

from __future__ import annotations

import subprocess

import pytest

from agent.lab.netns import ADMIN_TITLE, SEGMENTS, SSH_BANNER, WAN_FIREWALL, NetnsLab
from contract.evidence.firewall_network import FirewallExposure
from probes.firewall.scan import ScanError, plan, run, scan
from probes.firewall.settings import ScanTarget
from probes.firewall.vantage import run_in
from tests.firewall.helpers import TCP, UDP, inside, outside, verdicts

pytestmark = pytest.mark.netns

WELL_KEPT_INSIDE = {
    ("tcp", 22): "filtered", ("tcp", 23): "closed", ("tcp", 53): "open", ("tcp", 80): "filtered",
    ("tcp", 113): "rejected", ("tcp", 443): "filtered", ("tcp", 8080): "filtered",
    ("udp", 53): "open", ("udp", 69): "filtered", ("udp", 123): "open", ("udp", 161): "filtered",
    ("udp", 500): "rejected",
}
LEAKY_INSIDE = WELL_KEPT_INSIDE | {("tcp", 22): "open", ("tcp", 80): "open", ("tcp", 443): "open",
                                   ("udp", 161): "closed"}
WELL_KEPT_OUTSIDE = {**{("tcp", p): "filtered" for p in TCP}, **{("udp", p): "filtered" for p in UDP},
                     ("tcp", 10443): "open", ("tcp", 113): "rejected"}
LEAKY_OUTSIDE = {**{("tcp", p): "filtered" for p in TCP}, **{("udp", p): "filtered" for p in UDP},
                 ("tcp", 10443): "open", ("tcp", 22): "open"}


def full_states(ev: FirewallExposure, tcp: list[int], udp: list[int]) -> dict[tuple[str, int], str]:
    listed = {(p.protocol, p.port): p.state for p in ev.ports}
    out = {("tcp", p): listed.get(("tcp", p), "filtered") for p in tcp}
    out |= {("udp", p): listed.get(("udp", p), "filtered") for p in udp}
    assert ev.filtered_tcp == sum(1 for (proto, _), s in out.items() if proto == "tcp" and s == "filtered")
    return out


def only(outcomes: list) -> FirewallExposure:
    assert len(outcomes) == 1 and outcomes[0].evidence is not None, outcomes
    return outcomes[0].evidence


@pytest.mark.parametrize("method", ["syn", "connect"])
@pytest.mark.parametrize("segment", ["staff", "student"])
def test_well_kept_inside(well_kept: NetnsLab, segment: str, method: str) -> None:
    ev = only(scan(inside(well_kept, segment, method)))
    assert ev.address == SEGMENTS[segment].gateway and ev.role == "gateway" and ev.method == method
    assert full_states(ev, TCP, UDP) == WELL_KEPT_INSIDE
    assert verdicts(ev) == {"firewall_admin_not_exposed": "pass", "firewall_inbound_only_declared": "not_applicable"}


@pytest.mark.parametrize("method", ["syn", "connect"])
def test_leaky_student_sees_admin_interfaces(leaky: NetnsLab, method: str) -> None:
    ev = only(scan(inside(leaky, "student", method)))
    assert full_states(ev, TCP, UDP) == LEAKY_INSIDE
    by_port = {(p.protocol, p.port): p for p in ev.ports}
    ssh, web, tls = by_port[("tcp", 22)], by_port[("tcp", 80)], by_port[("tcp", 443)]
    assert (ssh.service, ssh.banner, ssh.admin) == ("ssh", SSH_BANNER, True)
    assert (web.service, web.http_status, web.admin) == ("http", 301, True)
    assert (tls.service, tls.http_title, tls.http_status) == ("https", ADMIN_TITLE, 200)
    assert tls.tls is not None and tls.tls.self_signed and tls.tls.subject == "lab-fw.school.internal"
    assert not by_port[("tcp", 53)].admin and by_port[("tcp", 53)].service == "dns"
    assert verdicts(ev) == {"firewall_admin_not_exposed": "fail", "firewall_inbound_only_declared": "not_applicable"}


def test_reasons_name_what_was_seen(leaky: NetnsLab) -> None:
    ev = only(scan(inside(leaky, "student", "syn")))
    reasons = {(p.protocol, p.port): p.reason for p in ev.ports}
    assert reasons[("tcp", 22)] == "syn-ack" and reasons[("tcp", 23)] == "reset"
    assert reasons[("tcp", 113)] == "admin-prohibited" and reasons[("udp", 500)] == "admin-prohibited"
    assert reasons[("udp", 161)] == "port-unreach" and reasons[("udp", 123)] == "udp-response"


def test_management_segment_may_reach_admin(leaky: NetnsLab) -> None:
    settings = inside(leaky, "staff", "syn").model_copy(update={"segment": "management"})
    assert verdicts(only(scan(settings)))["firewall_admin_not_exposed"] == "pass"


@pytest.mark.parametrize("method", ["syn", "connect"])
def test_outside_well_kept_only_declared(well_kept: NetnsLab, method: str) -> None:
    ev = only(scan(outside(well_kept, method)))
    assert ev.vantage == "outside" and ev.address == WAN_FIREWALL
    assert full_states(ev, [*TCP, 10443], UDP) == WELL_KEPT_OUTSIDE
    assert verdicts(ev) == {"firewall_admin_not_exposed": "pass", "firewall_inbound_only_declared": "pass"}


@pytest.mark.parametrize("method", ["syn", "connect"])
def test_outside_leaky_wan_ssh(leaky: NetnsLab, method: str) -> None:
    ev = only(scan(outside(leaky, method)))
    assert full_states(ev, [*TCP, 10443], UDP) == LEAKY_OUTSIDE
    assert verdicts(ev) == {"firewall_admin_not_exposed": "fail", "firewall_inbound_only_declared": "fail"}


def test_unresolvable_target_is_reported_not_scanned(well_kept: NetnsLab, monkeypatch: pytest.MonkeyPatch) -> None:
    # In-process, the thread in the namespace still reads the host's resolv.conf, whose server the lab cannot
    # reach: keep the lookup short (glibc reads RES_OPTIONS when a new thread first resolves).
    monkeypatch.setenv("RES_OPTIONS", "timeout:1 attempts:1")
    settings = inside(well_kept, "staff", "connect", targets=[ScanTarget(host="no-such-host.invalid")])
    outcomes = scan(settings)
    failed = [o for o in outcomes if o.evidence is None]
    assert [o.target for o in failed] == ["no-such-host.invalid"]
    assert "could not be resolved" in (failed[0].error or "")
    assert len(outcomes) == 2  # the gateway was still scanned


def test_syn_without_raw_sockets_fails_with_the_reason_and_auto_falls_back(well_kept: NetnsLab) -> None:
    no_raw = "no CAP_NET_RAW (test)"
    with pytest.raises(ScanError, match="CAP_NET_RAW"):
        run_in(well_kept.ns("staff"), plan, inside(well_kept, "staff", "syn"), raw_reason=no_raw)
    fallback = run_in(well_kept.ns("staff"), plan, inside(well_kept, "staff", "auto"), raw_reason=no_raw)
    assert fallback.method == "connect" and "CAP_NET_RAW" in (fallback.method_note or "")
    ev = only(run_in(well_kept.ns("staff"), run, fallback))
    assert ev.method == "connect" and any("CAP_NET_RAW" in n for n in ev.notes)
    assert full_states(ev, TCP, UDP) == WELL_KEPT_INSIDE


def tx_packets(lab: NetnsLab, segment: str) -> int:
    out = subprocess.run(["ip", "-n", lab.ns(segment), "-s", "link", "show", "eth0"], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    index = next(i for i, line in enumerate(out) if line.strip().startswith("TX:"))
    return int(out[index + 1].split()[1])


def test_dry_run_sends_nothing_and_says_what_it_would(well_kept: NetnsLab) -> None:
    settings = inside(well_kept, "student", "syn")
    before = tx_packets(well_kept, "student")
    described = run_in(well_kept.ns("student"), plan, settings).describe()
    assert tx_packets(well_kept, "student") == before
    assert "nothing was sent" in described and "10.80.20.1 (gateway): TCP 22-23,53,80,113,443,8080" in described
    assert "UDP 53,69,123,161,500" in described and "2000 per second" in described


def test_rate_limit_paces_the_probes(well_kept: NetnsLab) -> None:
    import time

    ports = list(range(2000, 2060))  # all dropped: 60 SYNs, twice (one retry)
    settings = inside(well_kept, "staff", "syn").model_copy(update={"tcp_ports": ports, "udp_ports": [],
                                                                    "rate_pps": 200.0})
    started = time.monotonic()
    scan(settings)
    assert time.monotonic() - started >= 2 * 60 / 200 * 0.95
