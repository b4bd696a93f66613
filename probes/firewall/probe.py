"""FirewallProbe: the firewall area's tasks. Network tasks (one exposure scan and one egress test per vantage
point) from this package, and device-configuration tasks from ``probes.firewall.device`` when it is present.

One scan task covers every host from one vantage point, so the rate limit holds for the whole scan; it returns
one observation per host (an unresolvable host is an observation with its reason, so it shows as unknown).
"""

from __future__ import annotations

from typing import Any

from contract.evidence.firewall_network import FirewallEgress, FirewallExposure
from probes.base import Observation, ProbeTask
from probes.firewall.settings import EgressSettings, ScanSettings


def scan_timeout_s(s: ScanSettings, hosts: int = 4) -> float:
    probes = hosts * (len(s.tcp_ports) + len(s.udp_ports)) * (1 + s.retries)
    return probes / s.rate_pps + 4 * s.timeout_s * (1 + s.retries) + 60.0


def run_scan(s: ScanSettings) -> list[Observation]:
    from probes.firewall.scan import scan

    observations = []
    for outcome in scan(s):
        if outcome.evidence is not None:
            observations.append(Observation(kind=FirewallExposure.kind, target=outcome.evidence.address,
                                            evidence=outcome.evidence))
        else:
            observations.append(Observation(kind=FirewallExposure.kind, target=outcome.target,
                                            error=outcome.error or "not scanned"))
    return observations


def run_egress(s: EgressSettings) -> list[Observation]:
    from probes.firewall.egress import test_egress

    evidence = test_egress(s)
    return [Observation(kind=FirewallEgress.kind, target=f"{s.echo_server} from {s.segment or 'this network'}",
                        evidence=evidence)]


class FirewallProbe:
    name = "firewall"

    def __init__(self, scans: list[ScanSettings], egress: list[EgressSettings], devices: Any = None) -> None:
        self.scans, self.egress, self.devices = scans, egress, devices

    def tasks(self) -> list[ProbeTask]:
        tasks = [ProbeTask(target=f"exposure scan from {s.segment or 'this network'}", kind=FirewallExposure.kind,
                           run=lambda s=s: run_scan(s), timeout_s=scan_timeout_s(s)) for s in self.scans]
        tasks += [ProbeTask(target=f"egress to {e.echo_server} from {e.segment or 'this network'}",
                            kind=FirewallEgress.kind, run=lambda e=e: run_egress(e),
                            timeout_s=e.timeout_s * 4 + 30) for e in self.egress]
        if self.devices:
            try:
                from probes.firewall.device import device_tasks  # the firewall-cfg helper's part
            except ImportError:
                pass
            else:
                tasks += device_tasks(self.devices)
        return tasks
