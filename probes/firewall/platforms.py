"""The firewall platforms: one class per platform (fortios, opnsense, pfsense), found here by any of its names.

Aliases, detection, parsing, commands and scrub rules all live on the platform's own class; this module
only lists the classes. Adding a platform is one module and one line here.
"""

from __future__ import annotations

from typing import Any

from probes.firewall import fortios, opnsense, pfsense

PLATFORMS: tuple[Any, ...] = (fortios.PLATFORM, opnsense.PLATFORM, pfsense.PLATFORM)


class UnsupportedPlatform(LookupError):
    pass


def names() -> list[str]:
    return [p.name for p in PLATFORMS]


def platform_for(name: str) -> Any:
    """The platform called ``name`` (its name or an alias, any case)."""
    wanted = name.strip().lower()
    for platform in PLATFORMS:
        if wanted == platform.name or wanted in platform.aliases:
            return platform
    raise UnsupportedPlatform(f"unsupported firewall platform {name!r}; supported: {', '.join(names())}")


def detect(text: str) -> Any | None:
    """The platform whose backups look like ``text`` (XML platforms first: a FortiOS header never starts '<')."""
    for platform in (opnsense.PLATFORM, pfsense.PLATFORM, fortios.PLATFORM):
        if platform.detect(text):
            return platform
    return None
