"""The agent resolves secret references before a probe runs: probes receive :class:`contract.secrets.Secret`s.

A secret that cannot be read stays a Secret holding the reason (the message of the ConfigError the reference
raised), so the one target that needs it is reported ``unknown`` with that reason and the scan goes on.
"""

from __future__ import annotations

from agent.config.secrets import SecretRef
from contract.errors import ConfigError
from contract.secrets import Secret


def secret(ref: SecretRef | None) -> Secret | None:
    """The secret behind ``ref`` (None stays None)."""
    if ref is None:
        return None
    try:
        return Secret(value=ref.resolve())
    except ConfigError as exc:
        return Secret.missing(str(exc))
