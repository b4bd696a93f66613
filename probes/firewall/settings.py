"""The firewall probe's own settings. The agent builds them from the ``[firewall]`` config section and
resolves secrets first (the SNMP community, the echo key): the probe never reads the config or a secret store."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretBytes, SecretStr

from contract.evidence.firewall_network import DeclaredService

Role = Literal["gateway", "firewall", "switch", "access_point", "target", "public"]
SAFE_RATE_PPS = 100.0  # probes per second: a few kilobits per second, unnoticeable on a school network


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScanTarget(_Settings):
    host: str = Field(min_length=1, max_length=253)
    role: Role = "target"
    declared: list[DeclaredService] = Field(default_factory=list)


class ScanSettings(_Settings):
    targets: list[ScanTarget] = Field(default_factory=list)
    include_gateway: bool = True
    tcp_ports: list[int]
    udp_ports: list[int] = Field(default_factory=list)
    rate_pps: float = Field(default=SAFE_RATE_PPS, gt=0, le=20000)
    timeout_s: float = Field(default=1.0, gt=0, le=30)
    retries: int = Field(default=1, ge=0, le=5)
    method: Literal["auto", "syn", "connect"] = "auto"
    segment: str | None = None
    netns: str | None = None
    vantage: Literal["inside", "outside"] = "inside"
    identify: bool = True
    max_hosts: int = Field(default=64, ge=1, le=4096)
    snmp_community: SecretStr | None = Field(default=None, description="read sysDescr with it; never guessed")


class EgressSettings(_Settings):
    echo_server: str = Field(min_length=1)
    key: SecretBytes | None = None
    segment: str | None = None
    netns: str | None = None
    timeout_s: float = Field(default=2.0, gt=0, le=30)
    udp_tries: int = Field(default=3, ge=1, le=10)
    resolver: str | None = Field(default=None, description="DNS server asked for the DoH names; system's if None")
    doh_hostnames: list[str] = Field(default_factory=list)
    ca_file: str | None = Field(default=None, description="extra CA bundle for the DoH TLS check")
