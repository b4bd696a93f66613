"""The switch platforms the probe supports: one class per platform, listed here once.

Adding a platform: one module with a :class:`Platform` subclass (names, allow-list, scrub rules, session quirks,
parser) and one line in :data:`PLATFORMS`. Adding an alias: one name in that class's ``aliases``; it gets the
platform's allow-list, scrub rules and session quirks with no other edit, because nothing else is keyed by name.
"""

from __future__ import annotations

from contract.errors import InputError, Reason
from probes.switch.allowlist import is_read_only
from probes.switch.aruba_aoscx import ArubaAosCx
from probes.switch.cisco_ios import CiscoIos
from probes.switch.common import Platform
from probes.switch.hp_procurve import HpProcurve
from probes.switch.juniper_junos import JuniperJunos

PLATFORMS: tuple[Platform, ...] = (CiscoIos(), HpProcurve(), ArubaAosCx(), JuniperJunos())


class UnsupportedPlatform(InputError):
    """A platform name that no supported platform accepts."""

    default_reason = Reason.unsupported_platform


def index(platforms: tuple[Platform, ...]) -> dict[str, Platform]:
    """Every accepted name -> its platform. Raises when a platform is incomplete or two platforms claim one name
    (run at import, so such a platform fails every test instead of reaching the field)."""
    found: dict[str, Platform] = {}
    for platform in platforms:
        if not platform.scrub_rules:
            raise RuntimeError(f"platform {platform.name} has no scrub rules for its secret syntax")
        if platform.config_command not in platform.commands:
            raise RuntimeError(f"platform {platform.name}: {platform.config_command!r} is not in its commands")
        for command in platform.commands:
            if not command.startswith("show ") or not is_read_only(command):
                raise RuntimeError(f"allow-list for {platform.name} contains a changing command: {command!r}")
        for name in platform.names:
            if name in found:
                raise RuntimeError(f"platform name {name!r} is claimed by {found[name].name} and {platform.name}")
            found[name] = platform
    return found


_BY_NAME = index(PLATFORMS)


def supported_platforms() -> list[str]:
    """Every name a user may give (canonical names and aliases), sorted."""
    return sorted(_BY_NAME)


def platform_for(name: str) -> Platform:
    """The platform a name selects; UnsupportedPlatform for any other name (never a partial fallback)."""
    platform = _BY_NAME.get(name)
    if platform is None:
        raise UnsupportedPlatform(f"unsupported platform {name!r}; supported: {', '.join(supported_platforms())}")
    return platform

