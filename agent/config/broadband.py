"""[broadband] section: which backend measures the line, against which server; the edge router; declarations.

```toml
[broadband]
backend = "http"                           # speedtest | http | iperf3
server = "https://speed.trust.example/speed"   # http: URL; speedtest: Ookla id or mini URL (empty: nearest)
runs = 3                                   # the headline is the median of the runs
connection_type = "fttp"                   # from the broadband contract (full fibre attestation)
connection_type_source = "Contract BT-1234, signed 2025-04-01"

[broadband.router]                         # backup connection: WAN links seen on the edge router (SNMP IF-MIB)
host = "10.0.0.1"
community = { env = "SCHOOLNET_ROUTER_COMMUNITY" }
wan_interfaces = ["GigabitEthernet0/0", "Dialer1"]

[[broadband.wan_links]]                    # or declared by a person (an attestation)
name = "Leased line"
type = "leased_line"
failover_tested_on = 2026-09-01
```
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from agent.config.secrets import SecretRef
from agent.config.sections import Strict

# Line types, as a supplier's contract names them.
ConnectionType = Literal[
    "leased_line", "fttp", "fttc", "sogea", "adsl", "cable", "fixed_wireless", "4g", "5g", "satellite", "other"
]
FULL_FIBRE_TYPES: tuple[str, ...] = ("leased_line", "fttp")


class RouterConfig(Strict):
    """The edge router, polled with SNMP for its WAN interfaces."""

    host: str = Field(min_length=1)
    port: int = Field(default=161, ge=1, le=65535)
    version: Literal["v2c", "v3"] = "v2c"
    community: SecretRef | None = Field(default=None, description="v2c community (a secret)")
    username: str | None = Field(default=None, description="v3 user")
    auth_key: SecretRef | None = None
    priv_key: SecretRef | None = None
    auth_protocol: Literal["sha", "sha256", "md5"] = "sha"
    priv_protocol: Literal["aes", "aes256", "des"] = "aes"
    context_name: str = ""
    wan_interfaces: list[str] = Field(
        default_factory=list, description="ifName/ifDescr/ifAlias of the WAN links; empty: match wan_pattern"
    )
    wan_pattern: str = Field(
        default=r"(?i)(\bwan|internet|\bisp\b|dialer|pppoe|backup|fibre|fiber|\blte\b|\b[45]g\b)",
        description="regex on ifAlias/ifName/ifDescr used when wan_interfaces is empty",
    )
    timeout_s: float = Field(default=2.0, gt=0)
    retries: int = Field(default=1, ge=0, le=5)

    @model_validator(mode="after")
    def _credentials(self) -> RouterConfig:
        if self.version == "v2c" and self.community is None:
            raise ValueError('v2c needs community = { env = "VARIABLE" } or { file = "/path" }')
        if self.version == "v3" and not self.username:
            raise ValueError("v3 needs username (and auth_key / priv_key)")
        return self


class DeclaredWanLink(Strict):
    """A WAN link declared by a person (attestation), when the router cannot be polled."""

    name: str = Field(min_length=1)
    type: ConnectionType
    failover_tested_on: date | None = None
    automatic_failover: bool | None = None


class BroadbandConfig(Strict):
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
    router: RouterConfig | None = None
    wan_links: list[DeclaredWanLink] = Field(default_factory=list)

    @model_validator(mode="after")
    def _window(self) -> BroadbandConfig:
        if self.warmup_s > self.duration_s / 2:
            raise ValueError(f"warmup_s ({self.warmup_s:g}) must be at most half of duration_s ({self.duration_s:g})")
        return self
