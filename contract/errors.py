"""One exception tree for schoolnet (httpx's model): every error raised on purpose is a :class:`SchoolnetError`.

The CLI maps these *types* to the contract's exit codes (``exit_code``) and never reads a message to decide
anything. Probe errors carry a machine-readable :class:`Reason` as well as one human sentence, so the agent,
a report or a test can tell "wrong password" from "host down" without parsing text. Library exceptions
(netmiko, pysnmp, requests ...) are translated into this tree once, at the boundary where they are raised.

::

    SchoolnetError                      exit 3 unless a subclass says otherwise
    ├── UsageError                      exit 2: a flag, a file to analyse
    │   └── ConfigError                 exit 2: the configuration file
    ├── CannotRunError                  exit 3: a dependency or the environment is missing
    └── ProbeError                      a probe could not collect; .reason says why
        ├── InputError                  exit 2: what the probe was given (a file, device output) is unusable
        └── CollectionError             exit 3: the target could not be reached or measured
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class Reason(StrEnum):
    """Why a probe could not collect, for machines (the message says it for people)."""

    unreachable = "unreachable"  # no answer, connection refused, no route
    auth_failed = "auth_failed"  # wrong username/password/community/key
    timeout = "timeout"  # logged in or connected, then no answer in time
    session_dropped = "session_dropped"  # the connection broke during collection
    protocol_error = "protocol_error"  # the other end answered something the protocol does not allow
    forbidden_command = "forbidden_command"  # a command not on the read-only allow-list (never sent)
    unsupported_platform = "unsupported_platform"  # a platform name no supported platform accepts
    unknown_format = "unknown_format"  # a file that is none of the formats the probe reads
    unparseable = "unparseable"  # the format is right but the content cannot be read
    not_a_configuration = "not_a_configuration"  # a file given as a device configuration is not one
    truncated = "truncated"  # the input ends in the middle of a record
    impossible_value = "impossible_value"  # a value no real device or radio can produce
    not_permitted = "not_permitted"  # needs privileges (root, CAP_NET_RAW/ADMIN) the agent does not have
    tool_missing = "tool_missing"  # an external tool (iw, nmcli, iperf3) is not installed
    not_connected = "not_connected"  # not on the network the measurement must be taken from
    server_error = "server_error"  # a measurement server answered with an error
    tls_untrusted = "tls_untrusted"  # the peer's TLS certificate is not trusted (or not the pinned one)
    aborted = "aborted"  # a transfer stopped before it finished
    secret_unavailable = "secret_unavailable"  # a password/community/key the agent could not read
    failed = "failed"  # none of the above


class SchoolnetError(Exception):
    """Base of every error schoolnet raises on purpose."""

    exit_code: ClassVar[int] = 3


class UsageError(SchoolnetError):
    """Bad input from the user: a flag, a file to analyse. Exit 2."""

    exit_code = 2


class ConfigError(UsageError):
    """The configuration file is missing, malformed or fails validation. Exit 2."""


class CannotRunError(SchoolnetError):
    """The command could not run at all (a dependency or the environment is missing). Exit 3."""

    exit_code = 3


class ProbeError(SchoolnetError):
    """A probe could not collect. ``reason`` is machine-readable; ``str(error)`` is one sentence without secrets."""

    default_reason: ClassVar[Reason] = Reason.failed

    def __init__(self, message: str, *, reason: Reason | None = None) -> None:
        super().__init__(message)
        self.reason: Reason = reason or self.default_reason


class InputError(ProbeError):
    """What the probe was given (a capture, saved scan text, a saved configuration, device output) is unusable."""

    exit_code = 2
    default_reason = Reason.unparseable


class CollectionError(ProbeError):
    """The target could not be reached or measured (host down, wrong credentials, a server error)."""

    exit_code = 3
    default_reason = Reason.unreachable
