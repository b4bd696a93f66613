"""[wifi] section: the school's own SSIDs and access points, survey locations, scan sources, guest isolation.

Example::

    [wifi]
    ssids = [{ ssid = "School-Staff", role = "staff" }, { ssid = "School-Guest", role = "guest" }]
    known_bssids = ["02:5c:00:00:00:03"]
    known_ouis = ["02:5c:00"]
    locations = ["Hall", "Room 1", "Library"]
    captures = ["/var/lib/schoolnet/beacons.pcapng"]   # pcap/pcapng, or saved iw / nmcli text
    survey_file = "/var/lib/schoolnet/wifi-survey.jsonl"
    scan_interface = "wlan0"                            # for `schoolnet wifi survey` (iw, else nmcli)

    [wifi.live]                                         # monitor-mode capture during `schoolnet scan` (root)
    interface = "wlan1mon"
    seconds = 20

    [wifi.guest_isolation]                              # run from a machine on the guest SSID
    ssid = "School-Guest"
    subnets = ["10.10.0.0/24"]
    addresses = ["10.10.0.1", "10.10.0.10"]
    ports = [22, 80, 443, 445, 3389]

The signal threshold is ``[thresholds] wifi_signal_min_dbm``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, field_validator

from agent.config.sections import Strict
from contract.site import SchoolSsid

DEFAULT_GUEST_PORTS = [22, 23, 80, 443, 445, 3389, 8080, 8443]


def _mac_prefix(value: str, octets: int) -> str:
    parts = value.strip().lower().replace("-", ":").split(":")
    if len(parts) != octets or not all(len(p) == 2 and all(c in "0123456789abcdef" for c in p) for p in parts):
        shape = ":".join(["aa"] * octets)
        raise ValueError(f"{value!r} is not a MAC {'address' if octets == 6 else 'prefix'} like {shape}")
    return ":".join(parts)


class LiveCapture(Strict):
    interface: str = Field(min_length=1, description="a wireless interface in (or able to enter) monitor mode")
    seconds: float = Field(default=20.0, gt=0, le=600)
    channels: list[int] = Field(
        default_factory=lambda: [1, 6, 11, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 36, 40, 44, 48, 52, 56, 60, 64,
                                 100, 104, 108, 112, 116, 120, 124, 128, 132, 136, 140, 149, 153, 157, 161, 165],
        description="channels to hop across",
    )
    dwell_s: float = Field(default=0.3, gt=0, le=10)


class GuestIsolationConfig(Strict):
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


class WifiConfig(Strict):
    enabled: bool = True
    ssids: list[SchoolSsid] = Field(default_factory=list)
    known_bssids: list[str] = Field(default_factory=list)
    known_ouis: list[str] = Field(default_factory=list)
    locations: list[str] = Field(default_factory=list, description="survey locations (rooms)")
    captures: list[Path] = Field(default_factory=list, description="pcap/pcapng or saved iw/nmcli output")
    survey_file: Path | None = None
    scan_interface: str | None = Field(default=None, description="interface for survey scans (iw / nmcli)")
    live: LiveCapture | None = None
    guest_isolation: GuestIsolationConfig | None = None

    @field_validator("known_bssids")
    @classmethod
    def _bssids(cls, value: list[str]) -> list[str]:
        return [_mac_prefix(v, 6) for v in value]

    @field_validator("known_ouis")
    @classmethod
    def _ouis(cls, value: list[str]) -> list[str]:
        return [_mac_prefix(v, 3) for v in value]

    def survey_path(self, state_dir: Path) -> Path:
        """Where survey samples are kept: ``survey_file``, else ``<state_dir>/wifi-survey.jsonl``."""
        return (self.survey_file or Path(state_dir) / "wifi-survey.jsonl").expanduser()
