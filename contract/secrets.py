"""Secrets as probes receive them: already resolved by the agent, never printable.

The agent's config names where a secret is (an environment variable or a file: ``agent.config.secrets``); the
agent reads it before a probe runs and hands the probe a :class:`Secret`. A secret that could not be read
(variable unset, file missing) is still a :class:`Secret`, holding why: the probe fails that one target with
the reason when it needs the value, so one missing password never stops a whole scan. ``str()``, ``repr()`` and
JSON never show the value; only :meth:`Secret.reveal` does, at the moment it is sent.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from contract.errors import CollectionError, Reason


class SecretUnavailable(CollectionError):
    """A secret the probe needs could not be read by the agent (the message names where it was looked for)."""

    default_reason = Reason.secret_unavailable


class Secret(BaseModel):
    """A resolved secret, or the reason it could not be resolved (exactly one of the two)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    value: SecretStr | None = None
    unavailable: str | None = None  # "secret not found: environment variable SCHOOLNET_SWITCH_PASSWORD is not set"

    @model_validator(mode="after")
    def _one(self) -> Secret:
        if (self.value is None) == (self.unavailable is None):
            raise ValueError("a Secret holds a value or the reason it is unavailable, not both or neither")
        return self

    @classmethod
    def of(cls, value: str) -> Secret:
        return cls(value=SecretStr(value))

    @classmethod
    def missing(cls, why: str) -> Secret:
        return cls(unavailable=why)

    def reveal(self) -> str:
        """The value, for the one call that sends it; SecretUnavailable (naming where) when it could not be read."""
        if self.value is None:
            raise SecretUnavailable(str(self.unavailable))
        return self.value.get_secret_value()

    def known(self) -> str | None:
        """The value when it was read (for scrubbing it from output), else None."""
        return self.value.get_secret_value() if self.value is not None else None

    def __repr__(self) -> str:
        return "Secret(<hidden>)" if self.value is not None else f"Secret(unavailable={self.unavailable!r})"

    __str__ = __repr__


def reveal(secret: Secret | str | None) -> str | None:
    """A Secret's value (or a plain string as given: tests and the lab pass literals); None stays None."""
    if secret is None or isinstance(secret, str):
        return secret
    return secret.reveal()


def known(secret: Secret | str | None) -> str | None:
    """Like :func:`reveal`, but None instead of raising when the secret could not be read."""
    if secret is None or isinstance(secret, str):
        return secret
    return secret.known()
