"""Small pieces every firewall platform shares."""

from __future__ import annotations

from typing import Any

from contract.errors import InputError, Reason

Facts = dict[str, Any]

# The management services the checks care about, in the order they are reported.
ADMIN_SERVICES: tuple[str, ...] = ("https", "http", "ssh", "telnet", "snmp")

# Well-known SNMP communities: anyone who guesses one can read the device.
DEFAULT_COMMUNITIES = frozenset({"public", "private"})


class UnreadableConfig(InputError):
    """The input is not a configuration of the platform (not XML, not FortiOS, wrong root element)."""

    default_reason = Reason.not_a_configuration


def join_errors(errors: list[str]) -> list[str]:
    """Each reason once, in order."""
    return list(dict.fromkeys(e for e in errors if e))
