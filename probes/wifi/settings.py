"""What the Wi-Fi probe is given: its own settings, built by the agent from ``[wifi]``.

The live-capture and guest-isolation tables are defined here once and read by the agent's config as they are
(the TOML keys are these fields), so the probe never imports the agent.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # as the agent's config tables: a typo is an error


DEFAULT_GUEST_PORTS = [22, 23, 80, 443, 445, 3389, 8080, 8443]


class LiveCapture(_Settings):
    interface: str = Field(min_length=1, description="a wireless interface in (or able to enter) monitor mode")
    seconds: float = Field(default=20.0, gt=0, le=600)
    channels: list[int] = Field(
        default_factory=lambda: [1, 6, 11, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 36, 40, 44, 48, 52, 56, 60, 64,
                                 100, 104, 108, 112, 116, 120, 124, 128, 132, 136, 140, 149, 153, 157, 161, 165],
        description="channels to hop across",
    )
    dwell_s: float = Field(default=0.3, gt=0, le=10)


class GuestIsolationSettings(_Settings):
    ssid: str = Field(min_length=1, description="the guest SSID this check must run from")
    subnets: list[str] = Field(default_factory=list, description="internal subnets (CIDR)")
    addresses: list[str] = Field(default_factory=list, description="management / server addresses")
    ports: list[int] = Field(default_factory=lambda: list(DEFAULT_GUEST_PORTS))
    hosts_per_subnet: int = Field(default=2, ge=1, le=16, description="first and last hosts of each subnet, ...")
    timeout_s: float = Field(default=1.0, gt=0, le=10)
    max_probes: int = Field(default=256, ge=1, le=4096, description="hard cap on address x port attempts")
    require_connected: bool = Field(
        default=True, description="refuse to judge unless the agent is connected to `ssid` (checked with iw/nmcli)"
    )

    @field_validator("subnets")
    @classmethod
    def _subnets(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)
        return value

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_address(item)
        return value

    @field_validator("ports")
    @classmethod
    def _ports(cls, value: list[int]) -> list[int]:
        bad = [p for p in value if not 0 < p < 65536]
        if bad:
            raise ValueError(f"ports out of range: {bad}")
        return value


class WifiSettings(_Settings):
    enabled: bool = True
    captures: list[Path] = Field(default_factory=list, description="pcap/pcapng or saved iw/nmcli output")
    live: LiveCapture | None = None
    survey_file: Path = Field(description="where survey samples are kept (resolved by the agent)")
    locations: list[str] = Field(default_factory=list, description="survey locations (rooms)")
    scan_interface: str | None = None
    guest_isolation: GuestIsolationSettings | None = None
