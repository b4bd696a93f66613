"""The ONE gate every command passes before it is sent to a switch: read-only, allow-listed, exact.

Every command the probe sends goes through :func:`guard`. A command is allowed only when it is on its
platform's list (:attr:`probes.switch.common.Platform.commands`), character for character; anything else
raises :class:`ForbiddenCommand` before a byte leaves the machine. A second, independent test refuses
anything that looks like a change (configure, write, reload, copy, delete ...), so a careless edit to a list
cannot open a hole. Session-setup commands that netmiko itself sends (paging off, terminal width) are listed
on each platform as ``session_commands`` for review; they change only the CLI session, never the device.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from contract.errors import ProbeError, Reason

if TYPE_CHECKING:
    from probes.switch.common import Platform

# Words that start a change on any of the platforms. Checked on every command, listed or not.
_CHANGE = re.compile(
    r"^\s*(conf(igure)?|config|write|wr|copy|delete|erase|reload|boot|format|clear|debug|request|start|restart|"
    r"set|edit|commit|rollback|load|save|no|crypto|username|enable\s+secret|install|upgrade|shutdown|"
    r"reset|rename|mkdir|rmdir|tclsh|bash|shell|start-shell)\b",
    re.IGNORECASE,
)


class ForbiddenCommand(ProbeError):
    """A command that is not on the read-only allow-list for the platform (never sent)."""

    default_reason = Reason.forbidden_command


def is_read_only(command: str) -> bool:
    """True when ``command`` does not look like a change, a pipe to a shell or a chained command."""
    if any(ch in command for ch in (";", "\n", "\r", "|", "`", "$(")):
        return False
    return _CHANGE.match(command) is None


def guard(platform: Platform, command: str) -> str:
    """Return ``command`` when it may be sent to a switch of ``platform``; raise ForbiddenCommand otherwise."""
    if command not in platform.commands:
        raise ForbiddenCommand(f"{command!r} is not on the read-only allow-list for {platform.name}")
    if not is_read_only(command):
        raise ForbiddenCommand(f"{command!r} looks like a change, refused")
    return command
