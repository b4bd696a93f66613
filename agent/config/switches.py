"""[switches] section: the school's switches and how to reach them (read-only).

Secrets (SSH passwords, SNMP communities, SNMPv3 keys) are SecretRefs: an environment variable or a
file, never a literal in the config. Example::

    [[switches.devices]]
    name = "CORE-SW1"
    host = "10.99.0.1"
    platform = "cisco_ios"          # cisco_ios, cisco_xe, hp_procurve, aruba_aoscx, juniper_junos
    role = "core"
    username = "audit"               # a read-only account is enough: only 'show' commands are sent
    password = { env = "SCHOOLNET_SWITCH_PASSWORD" }
    ups = "ups-server-room"
    [switches.devices.snmp]          # optional: adds hardware, power supplies, live port state, PoE
    version = "v3"
    [switches.devices.snmp.v3]
    user = "auditor"
    auth_key = { file = "/etc/schoolnet/v3-auth" }
    priv_key = { file = "/etc/schoolnet/v3-priv" }

    [[switches.ups]]
    name = "ups-server-room"
    host = "10.99.0.50"
    snmp = { version = "v2c", community = { env = "SCHOOLNET_UPS_COMMUNITY" } }

    [switches.discovery]             # optional: find switches nobody listed
    hosts = ["10.99.0.0/24"]
    snmp = { version = "v3", v3 = { user = "auditor", auth_key = { file = "..." }, priv_key = { file = "..." } } }
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from agent.config.resolve import secret
from agent.config.secrets import SecretRef
from agent.config.sections import Strict

if TYPE_CHECKING:
    from agent.config import Config
    from probes.snmp import SnmpAccess
    from probes.switch.probe import SwitchProbe
    from probes.switch.settings import SwitchSettings


class SnmpV3(Strict):
    user: str = Field(min_length=1)
    auth_key: SecretRef
    priv_key: SecretRef
    auth_protocol: Literal["sha", "sha256"] = "sha"
    priv_protocol: Literal["aes", "aes256"] = "aes"


class SnmpSettings(Strict):
    """How to poll one agent. v3 is authPriv (SHA/AES) only: the agent never sends keys in clear."""

    version: Literal["v2c", "v3"] = "v3"
    port: int = Field(default=161, ge=1, le=65535)
    community: SecretRef | None = None
    v3: SnmpV3 | None = None
    context: str = Field(default="", description="SNMPv3 context name; real devices use the empty context")
    timeout_s: float = Field(default=2.0, gt=0, le=30)
    retries: int = Field(default=1, ge=0, le=5)

    @model_validator(mode="after")
    def _credentials_match_version(self) -> SnmpSettings:
        if self.version == "v2c" and self.community is None:
            raise ValueError("version = \"v2c\" needs community = {env = \"...\"} or {file = \"...\"}")
        if self.version == "v3" and self.v3 is None:
            raise ValueError("version = \"v3\" needs a [v3] table with user, auth_key and priv_key")
        return self

    def access(self) -> SnmpAccess:
        """The probe's SNMP settings (the one SnmpAuth model), secrets resolved now."""
        from probes.snmp import SnmpAccess, SnmpAuth

        if self.version == "v2c":
            auth = SnmpAuth("v2c", community=secret(self.community), context=self.context)
        else:
            assert self.v3 is not None
            auth = SnmpAuth("v3", user=self.v3.user, auth_key=secret(self.v3.auth_key),
                            priv_key=secret(self.v3.priv_key), auth_protocol=self.v3.auth_protocol,
                            priv_protocol=self.v3.priv_protocol, context=self.context)
        return SnmpAccess(auth=auth, port=self.port, timeout_s=self.timeout_s, retries=self.retries)


class UpsTarget(Strict):
    """A UPS with an SNMP card (UPS-MIB, RFC 1628) that feeds one or more switches."""

    name: str = Field(min_length=1)
    host: str = Field(min_length=1)
    snmp: SnmpSettings


class SwitchTarget(Strict):
    name: str = Field(min_length=1)
    host: str = Field(min_length=1)
    platform: str = Field(description="netmiko device_type: cisco_ios, hp_procurve, aruba_aoscx, juniper_junos")
    role: Literal["core", "distribution", "edge"] = "edge"
    port: int = Field(default=22, ge=1, le=65535)
    username: str | None = None
    password: SecretRef | None = None
    snmp: SnmpSettings | None = None
    ups: str | None = Field(default=None, description="name of the [[switches.ups]] entry feeding this switch")

    @field_validator("platform")
    @classmethod
    def _supported(cls, value: str) -> str:
        from probes.switch.platforms import supported_platforms

        if value not in supported_platforms():
            raise ValueError(f"unsupported platform {value!r}; supported: {', '.join(supported_platforms())}")
        return value

    @model_validator(mode="after")
    def _some_way_in(self) -> SwitchTarget:
        if (self.username is None) != (self.password is None):
            raise ValueError("give both username and password for SSH, or neither (SNMP only)")
        if self.username is None and self.snmp is None:
            raise ValueError("give SSH credentials (username, password) or an [snmp] table, or both")
        return self


class Discovery(Strict):
    """Look for switches the config does not list: an SNMP GET of the system group across these addresses."""

    hosts: list[str] = Field(min_length=1, description="addresses or CIDR blocks, at most 1024 addresses in all")
    snmp: SnmpSettings
    concurrency: int = Field(default=64, ge=1, le=256)

    @field_validator("hosts")
    @classmethod
    def _small_enough(cls, value: list[str]) -> list[str]:
        import ipaddress

        total = 0
        for entry in value:
            try:
                total += ipaddress.ip_network(entry, strict=False).num_addresses
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR block") from None
        if total > 1024:
            raise ValueError(f"{total} addresses to sweep; keep discovery to 1024 or fewer (e.g. a /22)")
        return value


class SwitchesConfig(Strict):
    enabled: bool = True
    devices: list[SwitchTarget] = Field(default_factory=list)
    ups: list[UpsTarget] = Field(default_factory=list)
    discovery: Discovery | None = None
    connect_timeout_s: float = Field(default=10.0, gt=0, description="SSH connection and login")
    read_timeout_s: float = Field(default=30.0, gt=0, description="longest wait for one command's output")

    @model_validator(mode="after")
    def _ups_names_exist(self) -> SwitchesConfig:
        names = [d.name for d in self.devices]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"switch names must be unique; repeated: {', '.join(repeated)}")
        known = {u.name for u in self.ups}
        for device in self.devices:
            if device.ups is not None and device.ups not in known:
                raise ValueError(f"switch {device.name!r}: ups {device.ups!r} is not a [[switches.ups]] name")
        return self


def switch_settings(config: Config) -> SwitchSettings:
    """The switch probe's own settings from [switches] (and the scan's per-target limit), secrets resolved."""
    from probes.switch.settings import Discovery as ProbeDiscovery
    from probes.switch.settings import Switch, SwitchSettings, Ups

    section = config.switches
    devices = tuple(
        Switch(name=d.name, host=d.host, platform=d.platform, role=d.role, port=d.port, username=d.username,
               password=secret(d.password), snmp=d.snmp.access() if d.snmp else None, ups=d.ups)
        for d in section.devices
    )
    discovery = section.discovery
    return SwitchSettings(
        devices=devices,
        ups=tuple(Ups(name=u.name, host=u.host, snmp=u.snmp.access()) for u in section.ups),
        discovery=ProbeDiscovery(hosts=tuple(discovery.hosts), snmp=discovery.snmp.access(),
                                 concurrency=discovery.concurrency) if discovery else None,
        connect_timeout_s=section.connect_timeout_s,
        read_timeout_s=section.read_timeout_s,
        target_timeout_s=config.probes.target_timeout_s,
        enabled=section.enabled,
    )


def switch_probe(config: Config) -> SwitchProbe:
    """The probe registry's factory (agent.probe_registry): the probe gets its settings, never the Config."""
    from probes.switch.probe import SwitchProbe

    return SwitchProbe(switch_settings(config))
