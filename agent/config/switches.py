"""[switches] section: the school's switches and how to reach them (read-only)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agent.config.secrets import SecretRef
from agent.config.sections import Strict


class SwitchTarget(Strict):
    name: str = Field(min_length=1)
    host: str = Field(min_length=1)
    platform: str = Field(description="netmiko device_type: cisco_ios, hp_procurve, aruba_aoscx, juniper_junos")
    role: Literal["core", "distribution", "edge"] = "edge"
    port: int = Field(default=22, ge=1, le=65535)
    username: str | None = None
    password: SecretRef | None = None


class SwitchesConfig(Strict):
    enabled: bool = True
    devices: list[SwitchTarget] = Field(default_factory=list)
