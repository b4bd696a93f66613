"""Firewall configuration evidence: what a firewall's own settings say (FortiGate, OPNsense, pfSense).

Collected over SSH, a read-only REST API, or from a saved backup. A field is ``None`` when the
configuration did not show it (a partial backup, a section the account may not read): the check is
then ``unknown`` with ``collection_errors`` naming why, never a guess. Nothing here is a secret:
passwords, keys, communities and hashes are removed before a model is built, and the stored
``configuration`` text is the sanitised one.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contract.evidence import Evidence

AdminService = Literal["https", "http", "ssh", "telnet", "snmp"]


class FirewallInterface(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    alias: str | None = None
    vdom: str | None = None
    role: Literal["wan", "lan", "dmz", "mgmt", "ha", "unknown"] = "unknown"
    internet_facing: bool = Field(default=False, description="faces the internet (role, name, default route)")
    internet_facing_reason: str | None = Field(default=None, description="which setting says so")
    admin_services: list[AdminService] = Field(
        default_factory=list, description="management services the firewall answers on this interface"
    )


class AdminAccount(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    remote_auth: bool = Field(default=False, description="the password is checked by a RADIUS/TACACS+/LDAP server")
    mfa: bool | None = Field(default=None, description="a second factor is required at login (None: cannot tell)")
    mfa_method: str | None = None
    trusted_hosts: list[str] = Field(default_factory=list, description="addresses allowed to log in; empty = any")


class FirewallRule(BaseModel):
    """An inbound accept rule or published service (port forward, virtual IP)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    kind: Literal["policy", "port-forward", "vip"] = "policy"
    vdom: str | None = None
    from_interface: str
    to_interface: str | None = None
    source: str
    destination: str
    service: str
    source_any: bool
    destination_any: bool
    service_any: bool
    to_firewall: bool = Field(default=False, description="the destination is the firewall itself")


class OutboundPolicy(BaseModel):
    """An accept rule from an inside network to the internet, and the filters applied to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    vdom: str | None = None
    from_interface: str
    to_interface: str
    source: str
    web_filter: str | None = Field(default=None, description="web filter profile name")
    dns_filter: str | None = Field(default=None, description="DNS filter profile name")


class FirewallConfig(Evidence):
    kind = "firewall.config"
    platform: Literal["fortinet", "opnsense", "pfsense"]
    hostname: str | None = None
    model: str | None = None
    serial: str | None = None
    firmware_version: str | None = None
    observed_on: date | None = Field(
        default=None, description="the day the configuration was read (firmware support is judged on that day)"
    )
    sources: list[str] = Field(default_factory=list, description="config-file, ssh, api")
    collection_errors: list[str] = Field(default_factory=list, description="what could not be read, and why")
    config_complete: bool | None = Field(default=None, description="the configuration ended where it should")
    vdoms: list[str] | None = Field(default=None, description="FortiOS virtual domains (multi-VDOM mode)")
    interfaces: list[FirewallInterface] | None = None
    admin_http_redirect: bool | None = Field(
        default=None, description="plain HTTP to the admin page only redirects to HTTPS"
    )
    admin_gui_any_inside_host: bool | None = Field(
        default=None, description="every host on the inside network may open the admin page (pfSense/OPNsense)"
    )
    admin_accounts: list[AdminAccount] | None = None
    central_auth_servers: int | None = Field(default=None, description="RADIUS/TACACS+/LDAP servers for admin logins")
    lockout_threshold_attempts: int | None = Field(default=None, description="failed logins before a lockout")
    lockout_duration_s: int | None = Field(default=None, description="how long a lockout lasts")
    lockout_from_defaults: bool | None = Field(
        default=None, description="the lockout figures are the platform's defaults (not set in the configuration)"
    )
    inbound_rules: list[FirewallRule] | None = Field(
        default=None, description="accept rules and published services from the internet to inside"
    )
    wan_rules_to_firewall: list[FirewallRule] | None = Field(
        default=None, description="accept rules from the internet to the firewall itself"
    )
    snmp_enabled: bool | None = None
    snmp_default_community: bool | None = Field(default=None, description="a community is public or private")
    remote_log_targets: list[str] | None = Field(default=None, description="syslog servers, FortiAnalyzer, cloud")
    outbound_policies: list[OutboundPolicy] | None = None
    global_web_filters: list[str] | None = Field(
        default=None, description="filters that apply to all traffic (DNS blocklists, a filtering proxy)"
    )
    ha_mode: str | None = Field(default=None, description="standalone, a-p, a-a, carp")
    ha_members: int | None = None
    ha_healthy: bool | None = None
    wan_failover: bool | None = Field(default=None, description="several internet links with failover (SD-WAN)")
    configuration: str | None = Field(default=None, description="the configuration, secrets removed")
    configuration_omitted: str | None = Field(default=None, description="why the configuration text is not kept")
