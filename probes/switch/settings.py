"""What the switch probe is given: its own settings, built by the agent from ``[switches]`` with every secret
already resolved (:class:`contract.secrets.Secret`). The probe never sees the agent's config or a secret
reference, so it cannot read a secret the agent did not hand it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from contract.secrets import Secret
from probes.snmp import SnmpAccess


@dataclass(frozen=True)
class Switch:
    """One configured switch: how to reach it over SSH and/or SNMP."""

    name: str
    host: str
    platform: str  # any name a platform accepts (aliases included): probes.switch.platforms
    role: Literal["core", "distribution", "edge"] = "edge"
    port: int = 22
    username: str | None = None
    password: Secret | None = None
    snmp: SnmpAccess | None = None
    ups: str | None = None  # name of the Ups feeding it


@dataclass(frozen=True)
class Ups:
    """A UPS with an SNMP card (UPS-MIB, RFC 1628) that feeds one or more switches."""

    name: str
    host: str
    snmp: SnmpAccess


@dataclass(frozen=True)
class Discovery:
    """An SNMP GET of the system group across these addresses (at most 1024, checked by the agent's config)."""

    hosts: tuple[str, ...]
    snmp: SnmpAccess
    concurrency: int = 64


@dataclass(frozen=True)
class SwitchSettings:
    devices: tuple[Switch, ...] = ()
    ups: tuple[Ups, ...] = ()
    discovery: Discovery | None = None
    connect_timeout_s: float = 10.0  # SSH connection and login
    read_timeout_s: float = 30.0  # longest wait for one command's output
    target_timeout_s: float = 120.0  # the scan's per-target limit
    enabled: bool = True
