"""What the broadband probe is given: its own settings, built by the agent from ``[broadband]``.

:class:`BroadbandOptions` holds every ``[broadband]`` key that is not a secret; the agent's config model extends
it with the router's secret references, and :class:`BroadbandSettings` with the router as the probe needs it (the
one SNMP model, secrets resolved). Field names are the TOML keys, defined once here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contract.secrets import Secret
from probes.snmp import SnmpAccess


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # as the agent's config tables: a typo is an error


# Line types, as a supplier's contract names them.
ConnectionType = Literal[
    "leased_line", "fttp", "fttc", "sogea", "adsl", "cable", "fixed_wireless", "4g", "5g", "satellite", "other"
]
FULL_FIBRE_TYPES: tuple[str, ...] = ("leased_line", "fttp")
# Which router interfaces are WAN links when none are named: a regex on ifAlias/ifName/ifDescr.
DEFAULT_WAN_PATTERN = r"(?i)(\bwan|internet|\bisp\b|dialer|pppoe|backup|fibre|fiber|\blte\b|\b[45]g\b)"


class DeclaredWanLink(_Settings):
    """A WAN link declared by a person (attestation), when the router cannot be polled."""

    name: str = Field(min_length=1)
    type: ConnectionType
    failover_tested_on: date | None = None
    automatic_failover: bool | None = None


class BroadbandOptions(_Settings):
    """Every [broadband] key but the router (which names secrets)."""

    enabled: bool = True
    backend: Literal["speedtest", "http", "iperf3"] = "speedtest"
    server: str | None = Field(default=None, description="server URL / id; nearest Ookla server when empty")
    runs: int = Field(default=3, ge=1, le=20)
    streams: int = Field(default=8, ge=1, le=64, description="parallel TCP streams per direction")
    duration_s: float = Field(default=8.0, ge=1.0, le=60.0, description="seconds per direction per run")
    warmup_s: float = Field(default=1.0, ge=0.0, le=10.0, description="discarded at the start of each direction")
    ping_count: int = Field(default=10, ge=0, le=100)
    timeout_s: float = Field(default=10.0, gt=0, description="connect / stall timeout")
    interface: str | None = Field(default=None, description="the agent's NIC; default: the route to the server")
    server_limit_mbps: float | None = Field(
        default=None, gt=0, description="the test server's own limit when it does not advertise one"
    )
    speedtest_config_url: str | None = Field(default=None, description="override speedtest.net's config URL")
    iperf3_binary: str = "iperf3"
    record_history: bool = Field(default=True, description="keep each run in the state dir for the history table")
    history_dir: Path | None = Field(default=None, description="default <agent.state_dir>/broadband")
    history_max_runs: int = Field(default=200, ge=1)
    history_recent_days: int = Field(default=14, ge=1, description="the report's median covers these days")
    connection_type: ConnectionType | None = Field(default=None, description="main line type from the contract")
    connection_type_source: str | None = Field(default=None, description="where that is written (contract, letter)")
    wan_links: list[DeclaredWanLink] = Field(default_factory=list)

    @model_validator(mode="after")
    def _window(self) -> BroadbandOptions:
        if self.warmup_s > self.duration_s / 2:
            raise ValueError(f"warmup_s ({self.warmup_s:g}) must be at most half of duration_s ({self.duration_s:g})")
        return self


@dataclass(frozen=True)
class WanRouter:
    """The edge router, polled with SNMP (IF-MIB) for its WAN interfaces."""

    host: str
    snmp: SnmpAccess
    wan_interfaces: tuple[str, ...] = ()  # ifName/ifDescr/ifAlias of the WAN links; empty: match wan_pattern
    wan_pattern: str = DEFAULT_WAN_PATTERN


class BroadbandSettings(BroadbandOptions):
    """The probe's settings: the options, the router with its secrets resolved, and where history is kept."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
    router: WanRouter | None = None
    state_dir: Path | None = Field(default=None, description="the agent's state directory (history lives there)")
    # The http backend's ``Authorization`` value (contract.speed.make_credential, valid CREDENTIAL_VALID_S), made by
    # the agent only when ``server`` is its own collector (a server requiring enrolled agents); never printed.
    speed_credential: Secret | None = Field(default=None, repr=False, exclude=True)
