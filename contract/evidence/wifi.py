"""Wi-Fi evidence: the networks heard in one scan (a capture file, a live capture, iw or nmcli output).

A :class:`WifiScan` without a location is one capture or scan; with a location it is the survey's view
of one room (every sample taken there, merged). :class:`GuestIsolation` is what the agent could reach
from the guest SSID.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contract.evidence import Evidence

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
Pmf = Literal["none", "capable", "required"]
Phy = Literal["legacy", "ht", "vht", "he", "eht"]
ScanSource = Literal["pcap", "live", "iw", "nmcli", "survey"]

# Strongest first is the last: how "strongest mode offered" is chosen when a BSS offers several.
SECURITY_RANK: dict[str, int] = {
    "open": 0,
    "wep": 1,
    "owe": 2,
    "wpa-personal": 3,
    "wpa-enterprise": 4,
    "wpa2-personal": 5,
    "wpa2-enterprise": 6,
    "wpa3-personal": 7,
    "wpa3-enterprise": 8,
}


class WifiNetwork(BaseModel):
    """One BSS, with the contract's keys (``wifi analyze --format json`` networks) and a few more."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    bssid: str = Field(description="lower-case aa:bb:cc:dd:ee:ff")
    ssid: str = Field(description='"" when hidden; undecodable bytes escaped as \\xNN')
    channel: int | None = None
    band: Literal["2.4", "5", "6"] | None = None
    channel_width_mhz: int | None = None
    signal_dbm: int | None = Field(default=None, description="median of the readings; null when not measured")
    security: Security
    legacy_crypto: bool = Field(description="WEP, WPA1 or TKIP offered")
    pmf: Pmf | None = Field(default="none", description="from RSN capabilities; null when the source cannot tell")
    generation: int | None = Field(default=None, description="4 (HT), 5 (VHT), 6 (HE), 7 (EHT); null otherwise")
    akm: list[str] = Field(default_factory=list)
    ciphers: list[str] = Field(default_factory=list)
    # Beyond the contract's keys.
    wifi_6e: bool = Field(default=False, description="HE (Wi-Fi 6) in the 6 GHz band")
    phy: Phy | None = Field(default=None, description="highest PHY advertised; null when the source cannot tell")
    hidden: bool = Field(default=False, description="beacons carry an empty SSID")
    ssid_hex: str | None = Field(default=None, description="the SSID's raw bytes, when the source gives them")
    frequency_mhz: int | None = None
    group_mgmt_cipher: str | None = None
    owe_transition: bool = Field(default=False, description="an open BSS that points clients to an OWE twin")
    signal_estimated: bool = Field(default=False, description="signal_dbm derived from a percentage (nmcli)")
    frames: int | None = Field(default=None, description="beacons/probe responses seen (captures)")


class WifiScan(Evidence):
    """The networks heard by one scan, or (with ``location``) at one survey location."""

    kind = "wifi.scan"
    source: ScanSource
    location: str | None = Field(default=None, description="survey location (room), when this is a sample")
    networks: list[WifiNetwork] = Field(default_factory=list)
    frames_total: int | None = Field(default=None, description="frames read (captures) or entries read (iw/nmcli)")
    frames_malformed: int | None = Field(default=None, description="frames/entries skipped as malformed")
    truncated: bool = Field(
        default=False, description="the capture file ends in the middle of a record: only bytes_read were read"
    )
    bytes_read: int | None = Field(default=None, description="when truncated: bytes up to the last whole record")
    file_size_bytes: int | None = Field(default=None, description="when truncated: the capture file's size")
    samples: int | None = Field(default=None, description="survey samples merged into this scan")
    first_sample_at: str | None = None
    last_sample_at: str | None = None


class WifiSurvey(WifiScan):
    """One survey location (room): every sample taken there, merged (signal = median per BSS).

    Its own kind so that coverage is judged per location while the security checks judge the scans.
    ``samples == 0`` means the location is configured but nobody has surveyed it yet.
    """

    kind = "wifi.survey"
    source: ScanSource = "survey"
    location: str | None = Field(default=None, description="survey location (room)")
    samples: int | None = 0


class ReachabilityProbe(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    address: str
    port: int
    reachable: bool = Field(description="a TCP handshake completed: the service answered")
    outcome: Literal["open", "refused", "timeout", "unreachable", "error"] | None = None
    elapsed_ms: float | None = None


class GuestIsolation(Evidence):
    """From the guest SSID: could the agent reach internal subnets or management addresses?"""

    kind = "wifi.guest_isolation"
    ssid: str
    connected_ssid: str | None = Field(default=None, description="the SSID the agent was on, when it could tell")
    probes: list[ReachabilityProbe] = Field(default_factory=list)
    timeout_s: float | None = None
