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

from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from agent.config.resolve import secret
from agent.config.secrets import SecretRef
from agent.config.sections import ConfigPath, Strict
from contract.secrets import Secret
from probes.broadband.settings import (
    DEFAULT_WAN_PATTERN,
    FULL_FIBRE_TYPES,
    BroadbandOptions,
    BroadbandSettings,
    ConnectionType,
    DeclaredWanLink,
    WanRouter,
)

if TYPE_CHECKING:
    from agent.config import Config
    from probes.broadband.probe import BroadbandProbe

__all__ = ["FULL_FIBRE_TYPES", "BroadbandConfig", "ConnectionType", "DeclaredWanLink", "RouterConfig",
           "broadband_probe", "broadband_settings"]


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
        default=DEFAULT_WAN_PATTERN, description="regex on ifAlias/ifName/ifDescr used when wan_interfaces is empty"
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

    def probe_router(self) -> WanRouter:
        """The router as the probe needs it: the one SNMP model, secrets resolved now."""
        from probes.snmp import SnmpAccess, SnmpAuth

        auth = SnmpAuth(self.version, community=secret(self.community), user=self.username,
                        auth_key=secret(self.auth_key), priv_key=secret(self.priv_key),
                        auth_protocol=self.auth_protocol, priv_protocol=self.priv_protocol, context=self.context_name)
        return WanRouter(host=self.host, snmp=SnmpAccess(auth=auth, port=self.port, timeout_s=self.timeout_s,
                                                         retries=self.retries),
                         wan_interfaces=tuple(self.wan_interfaces), wan_pattern=self.wan_pattern)


class BroadbandConfig(BroadbandOptions):
    """[broadband]: the probe's options (defined once, in probes.broadband.settings) and the edge router."""

    router: RouterConfig | None = None
    # The probe's option, here relative to the config file's folder like every path setting.
    history_dir: ConfigPath | None = Field(default=None, description="default <agent.state_dir>/broadband")

    def settings(self, state_dir: Path | None = None, upload_url: str | None = None) -> BroadbandSettings:
        """The probe's settings, the router's secrets resolved now, and the speed credential when the http server
        is this agent's collector (``upload_url``)."""
        credential = speed_credential(self.server, upload_url, state_dir) if self.backend == "http" else None
        return BroadbandSettings(**self.model_dump(exclude={"router"}), state_dir=state_dir,
                                 router=self.router.probe_router() if self.router else None,
                                 speed_credential=credential)


def _origin(url: str) -> tuple[str, str, int] | None:
    """scheme, host, port (defaults filled in) of a URL, or None when it is not an http(s) URL."""
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a port out of range or not a number
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port


def speed_credential(server: str | None, upload_url: str | None, state_dir: Path | None) -> Secret | None:
    """The ``Authorization`` value for the http backend's server, or None (no header, as for any server).

    Only for the trust's own collector (the server's scheme, host and port are the ``[upload] url``'s): a credential
    is a signature by the agent's key, and a third-party server has no business receiving one. Only when the agent
    has keys (``schoolnet keys init``); a key that exists but cannot be used is a Secret holding why, so the
    measurement says so instead of failing later with a bare 401.
    """
    if not server or not upload_url or state_dir is None:
        return None
    own = _origin(upload_url)
    if own is None or _origin(server) != own:
        return None
    from agent.delivery.signing import key_paths, load_keys
    from agent.errors import CannotRunError, UsageError
    from contract.speed import make_credential

    if not key_paths(state_dir)[0].exists():
        return None
    try:
        keys = load_keys(state_dir)
    except (CannotRunError, UsageError) as exc:
        return Secret.missing(str(exc))
    return Secret.of(make_credential(keys.private_key))


def broadband_settings(config: Config) -> BroadbandSettings:
    return config.broadband.settings(config.agent.state_dir, config.upload.url)


def broadband_probe(config: Config) -> BroadbandProbe:
    """The probe registry's factory (agent.probe_registry): the probe gets its settings, never the Config."""
    from probes.broadband.probe import BroadbandProbe

    return BroadbandProbe(broadband_settings(config))
