"""Firewall evidence from the network: what answers on the gateway and management addresses (exposure, from
inside a segment or from outside the school), and which routes out are open (egress).

The segment is part of the evidence because the same open port means different things from different
places: an admin page reachable from the IT network is expected, from the student network it is the finding.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contract.evidence import Evidence

PortState = Literal["open", "closed", "filtered", "rejected"]
Vantage = Literal["inside", "outside"]
EgressOutcome = Literal["allowed", "blocked", "unknown"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TlsCertificate(_Frozen):
    subject: str
    issuer: str
    not_after: datetime
    self_signed: bool
    names: list[str] = Field(default_factory=list, description="subject alternative DNS names")


class PortFinding(_Frozen):
    port: int = Field(ge=1, le=65535)
    protocol: Literal["tcp", "udp"]
    state: PortState
    reason: str = Field(description="what was seen: syn-ack, reset, no-response, admin-prohibited, reply, ...")
    service: str | None = Field(default=None, description="ssh, http, https, telnet, snmp, ntp, ... when identified")
    banner: str | None = Field(default=None, description="SSH version string, or HTTP 'status Server' line")
    admin: bool = Field(default=False, description="an administration interface (SSH, telnet, web admin, SNMP)")
    http_status: int | None = None
    http_server: str | None = None
    http_title: str | None = None
    tls: TlsCertificate | None = None
    snmp_sysdescr: str | None = Field(default=None, description="only read with a configured community")


class DeclaredService(_Frozen):
    protocol: Literal["tcp", "udp"]
    port: int = Field(ge=1, le=65535)
    purpose: str = ""


class FirewallExposure(Evidence):
    """One scanned address as seen from one place (a segment inside the school, or outside it)."""

    kind = "firewall.exposure"
    address: str
    target: str = Field(description="the name or address as configured")
    role: Literal["gateway", "firewall", "switch", "access_point", "target", "public"]
    segment: str | None = Field(default=None, description="staff, student, guest, management, outside ...")
    vantage: Vantage = "inside"
    method: Literal["syn", "connect"]
    rate_pps: float
    tcp_ports_scanned: int
    udp_ports_scanned: int
    ports: list[PortFinding] = Field(default_factory=list, description="every port not filtered, plus rejected")
    filtered_tcp: int = Field(default=0, description="TCP ports that gave no answer (not listed one by one)")
    filtered_udp: int = Field(default=0)
    declared: list[DeclaredService] = Field(default_factory=list, description="public services the trust declared")
    scanner: str | None = Field(default=None, description="key id of the trust scanner that signed this (outside)")
    duration_s: float | None = None
    notes: list[str] = Field(default_factory=list)


class EgressProbe(_Frozen):
    name: str
    protocol: Literal["tcp", "udp"]
    port: int
    category: Literal["vpn", "proxy", "tunnel", "dns", "other", "control"]
    outcome: EgressOutcome
    detail: str


class DohProbe(_Frozen):
    hostname: str
    resolved: list[str] = Field(default_factory=list)
    dns: Literal["answered", "nxdomain", "sinkholed", "refused", "no-answer", "error"]
    https: Literal["connected", "blocked", "intercepted", "not-tried", "unknown"]
    outcome: EgressOutcome
    detail: str


class FirewallEgress(Evidence):
    """Which routes out of this segment reach the trust's echo server (HMAC-verified), and DNS-over-HTTPS."""

    kind = "firewall.egress"
    echo_server: str
    segment: str | None = None
    control_ok: bool = Field(description="the control route (HTTPS) reached the echo server with a valid answer")
    probes: list[EgressProbe] = Field(default_factory=list)
    doh: list[DohProbe] = Field(default_factory=list)
    resolver: str | None = Field(default=None, description="the resolver asked for the DoH names")
    timeout_s: float
    notes: list[str] = Field(default_factory=list)
