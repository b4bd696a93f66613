"""The ONE place that decides which commands may be sent to a switch: read-only, allow-listed, exact.

Every command the probe sends goes through :func:`guard`. A command is allowed only when it is listed
for that platform, character for character; anything else raises :class:`ForbiddenCommand` before a
byte leaves the machine. A second, independent test refuses anything that looks like a change
(configure, write, reload, copy, delete ...), so a careless edit to the lists cannot open a hole.
Session-setup commands that netmiko itself sends (paging off, terminal width) are listed separately
in :data:`SESSION_COMMANDS` for review; they change only the CLI session, never the device.
"""

from __future__ import annotations

import re

# Platform (netmiko device_type) -> commands the probe may send. Keep this list short and read-only.
ALLOWED_COMMANDS: dict[str, frozenset[str]] = {
    "cisco_ios": frozenset(
        {
            "show version",
            "show running-config",
            "show interfaces status",
            "show lldp neighbors detail",
            "show power inline",
            "show inventory",
        }
    ),
    "hp_procurve": frozenset(
        {
            "show system",
            "show running-config",
            "show interfaces brief",
            "show lldp info remote-device",
        }
    ),
    "aruba_aoscx": frozenset(
        {
            "show system",
            "show running-config",
            "show lldp neighbor-info detail",
        }
    ),
    "juniper_junos": frozenset(
        {
            "show version",
            "show configuration",
            "show lldp neighbors",
        }
    ),
}

# Sent by netmiko's session preparation (not by our code); listed so reviewers see the whole picture.
SESSION_COMMANDS: frozenset[str] = frozenset(
    {"terminal length 0", "terminal width 511", "no page", "set cli screen-length 0", "set cli screen-width 511"}
)

# Words that start a change on any of the platforms. Checked on every command, listed or not.
_CHANGE = re.compile(
    r"^\s*(conf(igure)?|config|write|wr|copy|delete|erase|reload|boot|format|clear|debug|request|start|restart|"
    r"set|edit|commit|rollback|load|save|no|crypto|username|enable\s+secret|install|upgrade|shutdown|"
    r"reset|rename|mkdir|rmdir|tclsh|bash|shell|start-shell)\b",
    re.IGNORECASE,
)


class ForbiddenCommand(PermissionError):
    """A command that is not on the read-only allow-list for the platform."""


def is_read_only(command: str) -> bool:
    """True when ``command`` does not look like a change, a pipe to a shell or a chained command."""
    if any(ch in command for ch in (";", "\n", "\r", "|", "`", "$(")):
        return False
    return _CHANGE.match(command) is None


def guard(platform: str, command: str) -> str:
    """Return ``command`` when it may be sent to a ``platform`` switch; raise ForbiddenCommand otherwise."""
    allowed = ALLOWED_COMMANDS.get(platform)
    if allowed is None:
        raise ForbiddenCommand(f"no read-only command list for platform {platform!r}")
    if command not in allowed:
        raise ForbiddenCommand(f"{command!r} is not on the read-only allow-list for {platform}")
    if not is_read_only(command):
        raise ForbiddenCommand(f"{command!r} looks like a change, refused")
    return command


def _self_check() -> None:
    # Fail at import, not in the field, if someone lists a changing command.
    for platform, commands in ALLOWED_COMMANDS.items():
        for command in commands:
            if not is_read_only(command):
                raise RuntimeError(f"allow-list for {platform} contains a changing command: {command!r}")


_self_check()
