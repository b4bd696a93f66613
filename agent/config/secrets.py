"""Secrets are named in the config, never written there: an environment variable or a file path."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from agent.errors import ConfigError


class SecretRef(BaseModel):
    """Where to read a secret from. Exactly one of ``env`` or ``file``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    env: str | None = None
    file: Path | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of env = \"VARIABLE\" or file = \"/path/to/secret\"")
        return self

    def describe(self) -> str:
        return f"environment variable {self.env}" if self.env else f"file {self.file}"

    def resolve(self) -> SecretStr:
        """Read the secret now; the value never appears in a message, log or report."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None:
                raise ConfigError(f"secret not found: environment variable {self.env} is not set")
            return SecretStr(value)
        assert self.file is not None
        try:
            return SecretStr(self.file.read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise ConfigError(f"secret file {self.file} cannot be read: {exc.strerror}") from None
