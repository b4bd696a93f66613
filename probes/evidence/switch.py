"""Switch evidence: one device's facts from SSH (config and show output) and SNMP.

A field is ``None`` when the probe could not see it (a truncated config, SNMP only): the check is
then ``unknown``, never a guess.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from probes.evidence import Evidence


class SwitchPort(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
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
    telnet_enabled: bool | None = None
    ssh_v2_only: bool | None = None
    http_mgmt_enabled: bool | None = None
    snmp_default_community: bool | None = None
    snmp_v1v2c_enabled: bool | None = None
    snmp_v3_enabled: bool | None = None
    aaa_servers: int | None = Field(default=None, description="RADIUS/TACACS+ servers configured")
    plaintext_passwords: int | None = Field(default=None, description="password lines stored in clear")
    mgmt_vlan: int | None = None
    user_vlans: list[int] | None = None
    stp_mode: str | None = Field(default=None, description="rstp, mst, rapid-pvst, pvst, stp or none")
    ntp_servers: int | None = None
    syslog_servers: int | None = None
    ports: list[SwitchPort] | None = None
    power_supplies_total: int | None = None
    power_supplies_ok: int | None = None
    on_ups: bool | None = None
    lldp_med_enabled: bool | None = None
