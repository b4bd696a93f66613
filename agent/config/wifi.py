"""[wifi] section: the school's own SSIDs and access points, survey locations, scan sources."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from agent.config.sections import Strict
from standards_map.site import SchoolSsid


class WifiConfig(Strict):
    enabled: bool = True
    ssids: list[SchoolSsid] = Field(default_factory=list)
    known_bssids: list[str] = Field(default_factory=list)
    known_ouis: list[str] = Field(default_factory=list)
    locations: list[str] = Field(default_factory=list, description="survey locations (rooms)")
    captures: list[Path] = Field(default_factory=list, description="pcap/pcapng or saved iw/nmcli output")
    survey_file: Path | None = None
