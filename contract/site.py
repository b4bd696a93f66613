"""What the evaluator needs to know about the site: its phase, its own networks, threshold overrides.

Built by the agent from the config, stored in every report so that ``schoolnet evaluate`` (and the
collector) can re-judge evidence exactly as the agent did.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Phase = Literal["primary", "secondary", "all_through", "college"]
PHASES: tuple[Phase, ...] = ("primary", "secondary", "all_through", "college")
SsidRole = Literal["staff", "student", "guest", "iot"]


class SchoolSsid(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    ssid: str
    role: SsidRole
    per_device_keys: bool = Field(
        default=False,
        description="The school says this passphrase SSID gives each device its own key (iPSK/DPSK/PPSK); "
        "beacons cannot show it",
    )


class WifiSite(BaseModel):
    """The school's own Wi-Fi: which SSIDs are its, and which radios are its access points."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    ssids: list[SchoolSsid] = Field(default_factory=list)
    known_bssids: list[str] = Field(default_factory=list, description="lower-case aa:bb:cc:dd:ee:ff")
    known_ouis: list[str] = Field(default_factory=list, description="lower-case aa:bb:cc prefixes")

    def role_of(self, ssid: str) -> SsidRole | None:
        for entry in self.ssids:
            if entry.ssid == ssid:
                return entry.role
        return None


class SiteProfile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    name: str
    phase: Phase
    trust: str | None = None
    wifi: WifiSite = Field(default_factory=WifiSite)
    # Per check id, parameters that replace the map's (e.g. the Wi-Fi signal threshold).
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)


class Attestation(BaseModel):
    """A person's statement that a requirement is (or is not) met, with the evidence they hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    requirement: str = Field(description="Requirement id, e.g. dfe.cyber.risk-assessment")
    outcome: Literal["met", "not_met"] = "met"
    attested_by: str = Field(min_length=1, description="Name and role of the person confirming")
    attested_on: date
    evidence: str = Field(min_length=1, description="Where the supporting document or record is")
    notes: str | None = None
