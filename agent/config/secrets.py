"""Secrets are named in the config, never written there: an environment variable, a file, or a systemd credential.

- ``env = "VAR"``: the environment (under the nightly schedule: the 0600 environment file systemd or cron loads).
- ``file = "/path"``: a file only its owner can read or write (like a private key; anything looser is refused).
- ``credential = "NAME"``: ``$CREDENTIALS_DIRECTORY/NAME``, where systemd puts what ``LoadCredential=`` loaded for
  the service; only the service's user can read it, and it never enters the environment of child processes.

Resolution reads the value only when a probe needs it; the value never appears in a message, log or report.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from agent.config.sections import ConfigPath
from agent.errors import ConfigError

CREDENTIALS_ENV = "CREDENTIALS_DIRECTORY"  # set by systemd for a service with LoadCredential=
MAX_SECRET_BYTES = 64 * 1024  # a password, community or key is tiny; a huge file is a mistake, not a secret
# systemd's credential names: no slash, not "." or "..", printable; kept to a safe subset here.
_CREDENTIAL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,254}$")


class SecretRef(BaseModel):
    """Where to read a secret from. Exactly one of ``env``, ``file`` or ``credential``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    env: str | None = None
    file: ConfigPath | None = None
    credential: str | None = None


    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        given = [v for v in (self.env, self.file, self.credential) if v is not None]
        if len(given) != 1:
            raise ValueError(
                'give exactly one of env = "VARIABLE", file = "/path/to/secret" or credential = "NAME" '
                "(a systemd credential)"
            )
        if self.credential is not None and not _CREDENTIAL_NAME.match(self.credential):
            raise ValueError("a credential name is letters, digits, '_', '.', '-' or '@' (no '/'), e.g. switch-ssh")
        return self

    def describe(self) -> str:
        if self.env is not None:
            return f"environment variable {self.env}"
        if self.credential is not None:
            return f"systemd credential {self.credential}"
        return f"file {self.file}"

    def resolve(self) -> SecretStr:
        """Read the secret now; raise ConfigError naming where it was looked for (never the value)."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None:
                raise ConfigError(f"secret not found: environment variable {self.env} is not set")
            return SecretStr(value)
        if self.credential is not None:
            return SecretStr(read_credential(self.credential))
        assert self.file is not None
        return SecretStr(read_secret_file(self.file))


def read_credential(name: str) -> str:
    """``$CREDENTIALS_DIRECTORY/name``. systemd makes it readable by the service's user only, so no mode check."""
    directory = os.environ.get(CREDENTIALS_ENV)
    if not directory:
        raise ConfigError(
            f"secret not found: systemd credential {name}: ${CREDENTIALS_ENV} is not set (credentials are passed by "
            "the nightly schedule's LoadCredential=; run it with `systemctl start schoolnet-audit`, or use env/file)"
        )
    path = Path(directory) / name
    try:
        return _read_bounded(path)
    except FileNotFoundError:
        raise ConfigError(
            f"secret not found: systemd credential {name} is not in ${CREDENTIALS_ENV} ({directory}); "
            "is there a LoadCredential= line for it? (`schoolnet schedule install` writes one per credential)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"systemd credential {name} cannot be read: {exc.strerror}") from None


def read_secret_file(path: Path) -> str:
    """The secret in ``path``; refused when group or others may read or write it (like an SSH private key)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(f"secret file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"secret file {path} cannot be read: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise ConfigError(f"secret file {path} is not a regular file")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"secret file {path} is accessible by group/others (mode {stat.S_IMODE(mode):04o}); "
            f"refusing to use it. Fix with: chmod 600 {path}"
        )
    try:
        return _read_bounded(path)
    except OSError as exc:
        raise ConfigError(f"secret file {path} cannot be read: {exc.strerror}") from None


def _read_bounded(path: Path) -> str:
    with open(path, "rb") as handle:
        data = handle.read(MAX_SECRET_BYTES + 1)
    if len(data) > MAX_SECRET_BYTES:
        raise ConfigError(f"secret {path} is larger than {MAX_SECRET_BYTES} bytes; is it the right file?")
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"secret {path} is not UTF-8 text") from None


def secret_refs(model: object) -> list[tuple[str, SecretRef]]:
    """Every SecretRef in a config model, with its dotted key (``switches.devices[0].password``)."""
    found: list[tuple[str, SecretRef]] = []

    def walk(value: object, where: str) -> None:
        if isinstance(value, SecretRef):
            found.append((where, value))
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name), f"{where}.{name}" if where else name)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")

    walk(model, "")
    return found
