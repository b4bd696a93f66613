"""Wi-Fi evidence: the networks heard in one scan (a capture file, a live capture, iw or nmcli output)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from probes.evidence import Evidence

Security = Literal[
    "open",
    "owe",
    "wep",
    "wpa-personal",
    "wpa2-personal",
    "wpa3-personal",
    "wpa-enterprise",
    "wpa2-enterprise",
    "wpa3-enterprise",
]


class WifiNetwork(BaseModel):
    """One BSS, with the contract's keys (``wifi analyze --format json`` networks)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    bssid: str = Field(description="lower-case aa:bb:cc:dd:ee:ff")
    ssid: str = Field(description='"" when hidden; undecodable bytes escaped')
    channel: int | None = None
    band: Literal["2.4", "5", "6"] | None = None
    channel_width_mhz: int | None = None
    signal_dbm: int | None = None
    security: Security
    legacy_crypto: bool = Field(description="WEP, WPA1 or TKIP offered")
    pmf: Literal["none", "capable", "required"] = "none"
    generation: int | None = Field(default=None, description="4 (HT), 5 (VHT), 6 (HE), 7 (EHT)")
    akm: list[str] = Field(default_factory=list)
    ciphers: list[str] = Field(default_factory=list)


class WifiScan(Evidence):
    kind = "wifi.scan"
    source: Literal["pcap", "live", "iw", "nmcli"]
    location: str | None = Field(default=None, description="survey location (room), when this is a sample")
    networks: list[WifiNetwork] = Field(default_factory=list)
    frames_total: int | None = None
    frames_malformed: int | None = None


class ReachabilityProbe(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    address: str
    port: int
    reachable: bool


class GuestIsolation(Evidence):
    """From the guest SSID: could the agent reach internal subnets or management addresses?"""

    kind = "wifi.guest_isolation"
    ssid: str
    probes: list[ReachabilityProbe] = Field(default_factory=list)
