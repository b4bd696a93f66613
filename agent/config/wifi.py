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

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from agent.config.sections import ConfigPath, Strict
from contract.site import SchoolSsid
from probes.wifi import settings as probe_settings

if TYPE_CHECKING:
    from agent.config import Config
    from probes.wifi.probe import WifiProbe
    from probes.wifi.settings import WifiSettings

# The [wifi.live] and [wifi.guest_isolation] tables are the probe's own settings models (defined once, there).
DEFAULT_GUEST_PORTS = probe_settings.DEFAULT_GUEST_PORTS
LiveCapture = probe_settings.LiveCapture
GuestIsolationConfig = probe_settings.GuestIsolationSettings


def _mac_prefix(value: str, octets: int) -> str:
    parts = value.strip().lower().replace("-", ":").split(":")
    if len(parts) != octets or not all(len(p) == 2 and all(c in "0123456789abcdef" for c in p) for p in parts):
        shape = ":".join(["aa"] * octets)
        raise ValueError(f"{value!r} is not a MAC {'address' if octets == 6 else 'prefix'} like {shape}")
    return ":".join(parts)


class WifiConfig(Strict):
    enabled: bool = True
    ssids: list[SchoolSsid] = Field(default_factory=list)
    known_bssids: list[str] = Field(default_factory=list)
    known_ouis: list[str] = Field(default_factory=list)
    locations: list[str] = Field(default_factory=list, description="survey locations (rooms)")
    captures: list[ConfigPath] = Field(default_factory=list, description="pcap/pcapng or saved iw/nmcli output")
    survey_file: ConfigPath | None = None
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


def wifi_settings(config: Config) -> WifiSettings:
    """The Wi-Fi probe's own settings from [wifi] (the survey file resolved against the state directory)."""
    from probes.wifi.settings import WifiSettings

    wifi = config.wifi
    return WifiSettings(enabled=wifi.enabled, captures=wifi.captures, live=wifi.live,
                        survey_file=wifi.survey_path(config.agent.state_dir), locations=wifi.locations,
                        scan_interface=wifi.scan_interface, guest_isolation=wifi.guest_isolation)


def wifi_probe(config: Config) -> WifiProbe:
    """The probe registry's factory (agent.probe_registry): the probe gets its settings, never the Config."""
    from probes.wifi.probe import WifiProbe

    return WifiProbe(wifi_settings(config))
