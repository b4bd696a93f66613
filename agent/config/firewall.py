"""[firewall] section: the exposure scan, the egress test, the external scan, and the firewalls read directly.

```toml
[firewall]
enabled = true                      # off by default: `schoolnet scan` sends no firewall probes unless asked
segment = "student"                 # staff | student | guest | management: where this agent is plugged in
targets = ["10.0.0.1", "fw.school.internal"]   # firewall / router addresses (the default gateway is added)
ports = "22,80,443,8000-8100"       # nmap-style; the default is a list of management and risky services
rate_pps = 100                      # probes per second across all hosts (safe on a busy school network)

[firewall.egress]                   # needs the trust's `schoolnet echo-server`
echo_server = "echo.trust.example"
key = { file = "/etc/schoolnet/echo.key" }

[[firewall.external.schools]]       # on the trust's server: `schoolnet firewall external-scan`
site_id = "100001"
addresses = ["198.51.100.1"]
declared = [{ protocol = "tcp", port = 10443, purpose = "SSL VPN portal" }]
```
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretBytes, field_validator

from agent.config.firewall_devices import FirewallDevice
from agent.config.secrets import SecretRef
from agent.config.sections import ConfigPath, Strict
from contract.evidence.firewall_network import DeclaredService
from probes.firewall.ports import DEFAULT_TCP_PORTS, PortListError, parse_ports
from probes.firewall.settings import SAFE_RATE_PPS, EgressSettings, ScanSettings, ScanTarget

if TYPE_CHECKING:
    from agent.config import Config
    from probes.firewall.probe import FirewallProbe


class Vantage(Strict):
    """Another segment to test from, through a network namespace joined to that VLAN (Linux, root)."""

    segment: str = Field(min_length=1, max_length=40)
    netns: str = Field(min_length=1, max_length=64)


class EgressConfig(Strict):
    enabled: bool = True
    echo_server: str | None = Field(default=None, description="host of the trust's `schoolnet echo-server`")
    key: SecretRef | None = Field(default=None, description="the shared echo key (a secret: env or file)")
    timeout_s: float = Field(default=2.0, gt=0, le=30)
    udp_tries: int = Field(default=3, ge=1, le=10)
    resolver: str | None = Field(default=None, description="DNS server for the DoH check; the system's if empty")
    doh_hostnames: list[str] = Field(default_factory=list, description="default: the well-known DoH providers")
    ca_file: ConfigPath | None = Field(default=None, description="extra CA bundle for the DoH TLS check")


class ExternalSchool(Strict):
    site_id: str = Field(min_length=1)
    name: str | None = None
    addresses: list[str] = Field(min_length=1, max_length=16)
    declared: list[DeclaredService] = Field(default_factory=list, description="public services that may answer")


class ExternalScanConfig(Strict):
    schools: list[ExternalSchool] = Field(default_factory=list)
    ports: str = Field(default="1-1024," + DEFAULT_TCP_PORTS, description="nmap-style TCP list")
    udp_ports: list[int] = Field(default_factory=lambda: [69, 123, 161, 500])


class FirewallConfig(Strict):
    # Off unless asked for: a scan sends packets to the gateway, so it never starts from a config that is silent.
    enabled: bool = Field(default=False, description="run the exposure scan and egress test in `schoolnet scan`")
    segment: str | None = Field(default=None, max_length=40, description="where this agent is plugged in")
    netns: str | None = Field(default=None, description="run the network tests in this network namespace")
    also_from: list[Vantage] = Field(default_factory=list, description="more segments, one namespace each")
    targets: list[str] = Field(default_factory=list, description="firewall / router addresses to scan")
    include_gateway: bool = True
    include_switches: bool = Field(default=True, description="scan the configured switches' management addresses")
    ports: str = Field(default=DEFAULT_TCP_PORTS, description="TCP ports, nmap-style")
    udp_ports: list[int] = Field(default_factory=lambda: [69, 123, 161, 500])
    rate_pps: float = Field(default=SAFE_RATE_PPS, gt=0, le=20000, description="probes per second, all hosts")
    max_ports: int = Field(default=2000, ge=1, le=65535, description="refuse longer port lists")
    max_hosts: int = Field(default=64, ge=1, le=4096)
    timeout_s: float = Field(default=1.0, gt=0, le=30, description="wait for an answer to a probe")
    retries: int = Field(default=1, ge=0, le=5)
    method: Literal["auto", "syn", "connect"] = "auto"
    identify: bool = True
    snmp_community: SecretRef | None = Field(default=None, description="read sysDescr with it; never guessed")
    egress: EgressConfig = Field(default_factory=EgressConfig)
    external: ExternalScanConfig = Field(default_factory=ExternalScanConfig)
    devices: list[FirewallDevice] = Field(default_factory=list)

    @field_validator("udp_ports")
    @classmethod
    def _udp_ports(cls, value: list[int]) -> list[int]:
        bad = [p for p in value if not 1 <= p <= 65535]
        if bad:
            raise ValueError(f"ports run from 1 to 65535 (got {bad})")
        return sorted(set(value))

    def tcp_ports(self, override: str | None = None) -> list[int]:
        return parse_ports(override or self.ports, max_ports=self.max_ports)

    @field_validator("ports")
    @classmethod
    def _ports(cls, value: str) -> str:
        try:
            parse_ports(value, max_ports=65535)
        except PortListError as exc:
            raise ValueError(str(exc)) from None
        return value


def scan_targets(config: Config) -> list[ScanTarget]:
    fw = config.firewall
    found = [ScanTarget(host=host, role="firewall") for host in fw.targets]
    if fw.include_switches:
        found += [ScanTarget(host=device.host, role="switch") for device in config.switches.devices]
    return found


def scan_settings(config: Config, *, segment: str | None = None, netns: str | None = None,
                  ports: str | None = None, rate_pps: float | None = None,
                  targets: list[ScanTarget] | None = None, include_gateway: bool | None = None) -> ScanSettings:
    """Settings for one exposure scan; secrets resolved here (the probe never sees a SecretRef)."""
    fw = config.firewall
    community = fw.snmp_community.resolve() if fw.snmp_community else None
    return ScanSettings(
        targets=targets if targets is not None else scan_targets(config),
        include_gateway=fw.include_gateway if include_gateway is None else include_gateway,
        tcp_ports=fw.tcp_ports(ports), udp_ports=fw.udp_ports, rate_pps=rate_pps or fw.rate_pps,
        timeout_s=fw.timeout_s, retries=fw.retries, method=fw.method, segment=segment or fw.segment,
        netns=netns if netns is not None else fw.netns, identify=fw.identify, max_hosts=fw.max_hosts,
        snmp_community=community,
    )


def egress_settings(config: Config, *, echo_server: str | None = None, key_file: Path | None = None,
                    segment: str | None = None, netns: str | None = None) -> EgressSettings | None:
    fw, eg = config.firewall, config.firewall.egress
    server = echo_server or eg.echo_server
    if server is None:
        return None
    if key_file is not None:
        from probes.firewall.echo import load_key

        try:
            key: bytes | None = load_key(key_file.read_bytes())
        except OSError as exc:
            from agent.errors import UsageError

            raise UsageError(f"--key-file {key_file}: cannot read it ({exc.strerror})") from None
    else:
        key = eg.key.resolve().get_secret_value().encode() if eg.key else None
    return EgressSettings(
        echo_server=server, key=SecretBytes(key) if key else None, segment=segment or fw.segment,
        netns=netns if netns is not None else fw.netns, timeout_s=eg.timeout_s, udp_tries=eg.udp_tries,
        resolver=eg.resolver, doh_hostnames=eg.doh_hostnames, ca_file=str(eg.ca_file) if eg.ca_file else None,
    )


def firewall_probe(config: Config) -> FirewallProbe:
    """The registry's factory for the firewall area: one scan and one egress test per vantage point."""
    from probes.firewall.probe import FirewallProbe

    fw = config.firewall
    vantages = [(fw.segment, fw.netns), *((v.segment, v.netns) for v in fw.also_from)]
    scans, egress = [], []
    if fw.enabled:
        for segment, netns in vantages:
            scans.append(scan_settings(config, segment=segment, netns=netns))
            if fw.egress.enabled:
                settings = egress_settings(config, segment=segment, netns=netns)
                if settings is not None:
                    egress.append(settings)
    return FirewallProbe(scans=scans, egress=egress, devices=list(fw.devices))
