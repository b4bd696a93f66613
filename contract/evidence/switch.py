"""Switch evidence: one device's facts from SSH (config and show output) and SNMP, and the inventory.

A field is ``None`` when the probe could not see it (a truncated config, SNMP only): the check is
then ``unknown``, never a guess. ``collection_errors`` says precisely what could not be read, so an
``unknown`` result can name the reason.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contract.evidence import Evidence


class SwitchPort(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    description: str | None = None
    admin_up: bool | None = None
    oper_up: bool | None = None
    speed_mbps: int | None = None
    mode: Literal["access", "trunk", "routed", "unknown"] = "unknown"
    vlan: int | None = None
    nac: bool | None = Field(default=None, description="802.1X or MAB configured on the port")
    uplink: bool = Field(default=False, description="leads to another switch or router")
    neighbour: str | None = None
    neighbour_is_ap: bool = False
    poe_draw_w: float | None = None
    in_errors: int | None = None
    out_errors: int | None = None


class LldpNeighbour(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    local_port: str
    system_name: str | None = None
    port: str | None = None
    mgmt_ip: str | None = None
    description: str | None = None
    capabilities: list[str] = Field(default_factory=list, description="bridge, router, wlan-ap, telephone, station")

    @property
    def is_switch(self) -> bool:
        return "bridge" in self.capabilities or "router" in self.capabilities

    @property
    def is_ap(self) -> bool:
        return "wlan-ap" in self.capabilities


class SwitchDevice(Evidence):
    kind = "switch.device"
    hostname: str | None = None
    platform: str = Field(description="netmiko device_type, e.g. cisco_ios")
    role: Literal["core", "distribution", "edge", "unknown"] = "unknown"
    vendor: str | None = None
    model: str | None = None
    serial: str | None = None
    firmware_version: str | None = None
    mgmt_ip: str | None = None
    sources: list[str] = Field(default_factory=list, description="ssh, snmp, config-file")
    collection_errors: list[str] = Field(
        default_factory=list, description="what could not be read, and why (one sentence each)"
    )
    config_complete: bool | None = Field(default=None, description="the config ended where it should (not truncated)")
    telnet_enabled: bool | None = None
    ssh_v2_only: bool | None = None
    http_mgmt_enabled: bool | None = None
    snmp_default_community: bool | None = None
    snmp_v1v2c_enabled: bool | None = None
    snmp_v3_enabled: bool | None = None
    aaa_servers: int | None = Field(default=None, description="RADIUS/TACACS+ servers configured")
    plaintext_passwords: int | None = Field(default=None, description="password lines stored in clear")
    reversible_passwords: int | None = Field(default=None, description="passwords in a reversible form (Cisco type 7)")
    mgmt_vlan: int | None = None
    user_vlans: list[int] | None = None
    vlans: list[int] | None = Field(default=None, description="VLAN ids defined on the switch")
    stp_mode: str | None = Field(default=None, description="rstp, mst, rapid-pvst, pvst, stp or none")
    ntp_servers: int | None = None
    syslog_servers: int | None = None
    ports: list[SwitchPort] | None = None
    lldp_neighbours: list[LldpNeighbour] | None = None
    power_supplies_total: int | None = None
    power_supplies_ok: int | None = None
    on_ups: bool | None = None
    ups_status: str | None = Field(default=None, description="UPS-MIB output source: normal, battery, bypass, none")
    poe_budget_w: float | None = None
    poe_used_w: float | None = None
    poe_ports_delivering: int | None = Field(default=None, description="ports delivering PoE (POWER-ETHERNET-MIB)")
    lldp_med_enabled: bool | None = None
    running_config: str | None = Field(default=None, description="the configuration, secrets removed")


class InventoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    platform: str
    mgmt_ip: str
    answered: bool
    vendor: str | None = None
    model: str | None = None
    serial: str | None = None
    firmware_version: str | None = None
    error: str | None = None


class UnlistedDevice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str | None = None
    mgmt_ip: str | None = None
    description: str | None = None
    seen_by: str = Field(description="configured switch (or 'discovery') that reported it")
    via: Literal["lldp", "snmp", "lldp+snmp"] = Field(
        default="lldp", description="a configured switch's LLDP table, an SNMP discovery sweep, or both"
    )


class SwitchInventory(Evidence):
    """Every configured switch and what it reported about itself, plus switches seen but not configured."""

    kind = "switch.inventory"
    devices: list[InventoryEntry] = Field(default_factory=list)
    unlisted: list[UnlistedDevice] = Field(default_factory=list)
