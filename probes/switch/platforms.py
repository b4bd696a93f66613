"""The platform drivers, by netmiko device_type. Adding a platform: one module and one line here."""

from __future__ import annotations

import importlib

from probes.switch.common import Driver

_DRIVERS: dict[str, str] = {
    "cisco_ios": "probes.switch.cisco_ios",
    "cisco_xe": "probes.switch.cisco_ios",  # IOS-XE speaks the same CLI
    "hp_procurve": "probes.switch.hp_procurve",
    "aruba_procurve": "probes.switch.hp_procurve",
    "aruba_aoscx": "probes.switch.aruba_aoscx",
    "juniper_junos": "probes.switch.juniper_junos",
}


class UnsupportedPlatform(LookupError):
    pass


def supported_platforms() -> list[str]:
    return sorted(_DRIVERS)


def driver_for(platform: str) -> Driver:
    module = _DRIVERS.get(platform)
    if module is None:
        raise UnsupportedPlatform(
            f"unsupported platform {platform!r}; supported: {', '.join(supported_platforms())}"
        )
    return importlib.import_module(module).DRIVER  # type: ignore[no-any-return]


def allow_list_platform(platform: str) -> str:
    """The allow-list key for a platform alias (cisco_xe uses cisco_ios's commands)."""
    return {"cisco_xe": "cisco_ios", "aruba_procurve": "hp_procurve"}.get(platform, platform)
