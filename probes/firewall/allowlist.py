"""The ONE place that decides which commands may be sent to a firewall: read-only, allow-listed, exact.

A command is allowed only when the platform's class lists it (``ssh_commands``), character for character.
``ssh_context_commands`` (FortiOS ``config global`` / ``end``) only move the CLI between the global and VDOM
contexts and are allowed as exactly those words. A second, independent test refuses anything that looks
like a change, a shell trick or a chained command, so a careless edit to a platform's list cannot open a hole.
"""

from __future__ import annotations

import re
from typing import Any

from contract.errors import ProbeError, Reason

_CHANGE = re.compile(
    r"^\s*(set|unset|edit|delete|purge|rename|clone|move|append|select|unselect|execute|exec|diagnose|diag|"
    r"rm|mv|cp|dd|tee|chmod|chown|touch|sh|bash|csh|tcsh|php|pfSsh|pfctl|configctl|reboot|halt|shutdown|"
    r"restore|upgrade|sudo|su|kill|killall|ln|mkdir|rmdir|truncate|sed|awk|python\d?|perl|curl|fetch|wget|"
    r"scp|sftp|ssh)\b",
    re.IGNORECASE,
)
_SHELL = (";", "\n", "\r", "|", "`", "$(", "&", ">", "<", "*", "?")


class ForbiddenCommand(ProbeError):
    """A command that is not on the platform's read-only allow-list (never sent)."""

    default_reason = Reason.forbidden_command


def is_read_only(command: str) -> bool:
    if any(ch in command for ch in _SHELL):
        return False
    if _CHANGE.match(command):
        return False
    if command.startswith("cat "):
        return re.fullmatch(r"cat (/conf/config\.xml|/etc/version(\.patch)?)", command) is not None
    return True


def guard(platform: Any, command: str) -> str:
    """``command`` when it may be sent to a ``platform`` device; ForbiddenCommand otherwise."""
    context = tuple(getattr(platform, "ssh_context_commands", ()))
    if command in context:
        return command
    if command not in tuple(getattr(platform, "ssh_commands", ())):
        raise ForbiddenCommand(f"{command!r} is not on the read-only allow-list for {platform.name}")
    if not is_read_only(command):
        raise ForbiddenCommand(f"{command!r} looks like a change or a shell command, refused")
    return command
