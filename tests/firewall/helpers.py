"""Shared pieces for the firewall tests: settings pointed at the lab, and judging evidence with the real map."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import SecretBytes

from agent.lab.netns import SEGMENTS, WAN_FIREWALL, NetnsLab
from contract.evidence import Evidence, EvidenceRecord
from contract.evidence.firewall_network import DeclaredService
from contract.site import SiteProfile
from probes.firewall.settings import EgressSettings, ScanSettings, ScanTarget
from standards_map.checks import registry
from standards_map.evaluate import evaluate
from standards_map.model import load_map

TCP = [22, 23, 53, 80, 113, 443, 8080]
UDP = [53, 69, 123, 161, 500]


def inside(lab: NetnsLab, segment: str, method: str = "auto", **extra: Any) -> ScanSettings:
    return ScanSettings(tcp_ports=TCP, udp_ports=UDP, rate_pps=2000, timeout_s=0.3, segment=segment,
                        netns=lab.ns(segment), method=method, **extra)  # type: ignore[arg-type]


def outside(lab: NetnsLab, method: str = "auto") -> ScanSettings:
    target = ScanTarget(host=WAN_FIREWALL, role="public",
                        declared=[DeclaredService(protocol="tcp", port=10443, purpose="SSL VPN portal")])
    return ScanSettings(targets=[target], include_gateway=False, tcp_ports=[*TCP, 10443], udp_ports=UDP,
                        rate_pps=2000, timeout_s=0.3, segment="outside", vantage="outside", netns=lab.ns("inet"),
                        method=method)  # type: ignore[arg-type]


def egress(lab: NetnsLab, segment: str, key: bytes | None = None, **extra: Any) -> EgressSettings:
    values: dict[str, Any] = {
        "echo_server": "203.0.113.10", "key": SecretBytes(key if key is not None else lab.key_file.read_bytes()),
        "segment": segment, "netns": lab.ns(segment), "resolver": SEGMENTS[segment].gateway,
        "ca_file": str(lab.certs["ca"]), "timeout_s": 0.6, "udp_tries": 2,
    }
    values.update(extra)
    return EgressSettings(**values)


def verdicts(*evidence: Evidence, phase: str = "secondary") -> dict[str, str]:
    """check id -> worst status across the requirements it counts towards (they agree: one check, one outcome)."""
    now = datetime.now(UTC)
    records = [EvidenceRecord.of(f"ev-{i}", "firewall", "t", now, ev) for i, ev in enumerate(evidence)]
    site = SiteProfile(id="t", name="t", phase=phase)  # type: ignore[arg-type]
    kinds = {ev.kind for ev in evidence}
    wanted = {spec.id for spec in registry().values() if spec.kind in kinds and spec.id.startswith("firewall_")}
    out: dict[str, str] = {}
    for result in evaluate(load_map(), records, site, [], now):
        if result.check in wanted:
            out[result.check] = result.status.value
    return out
