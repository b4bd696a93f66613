"""The agent's Ed25519 key pair (files under the state directory) and signing reports with it.

The envelope itself (model, DSSE pre-auth encoding, verification) is ``contract.envelope``; this module keeps the
key handling and re-exports the envelope names its callers use.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from agent.errors import CannotRunError, UsageError
from contract.envelope import (
    PAYLOAD_TYPE,
    Envelope,
    EnvelopeError,
    key_id,
    pae,
    public_key_from_raw,
    raw_public_bytes,
    verify_envelope,
)

__all__ = [
    "PAYLOAD_TYPE",
    "AgentKeys",
    "Envelope",
    "EnvelopeError",
    "envelope_bytes",
    "init_keys",
    "key_id",
    "load_keys",
    "load_public_key",
    "make_envelope",
    "pae",
    "public_key_from_raw",
    "raw_public_bytes",
    "verify_envelope",
]
KEY_DIR = "keys"
PRIVATE_KEY_FILE = "agent.key"
PUBLIC_KEY_FILE = "agent.pub"


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Read a PEM (SubjectPublicKeyInfo) or raw-base64 Ed25519 public key."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read public key: {exc.strerror or exc}") from None
    try:
        if b"BEGIN PUBLIC KEY" in data:
            key = serialization.load_pem_public_key(data)
            if not isinstance(key, Ed25519PublicKey):
                raise UsageError(f"{path}: not an Ed25519 public key")
            return key
        return public_key_from_raw(base64.b64decode(data.strip(), validate=True))
    except (ValueError, binascii.Error) as exc:
        raise UsageError(f"{path}: not an Ed25519 public key ({exc})") from None


@dataclass(frozen=True)
class AgentKeys:
    """The agent's key pair, loaded from its state directory."""

    private_key: Ed25519PrivateKey
    public_key: Ed25519PublicKey

    @property
    def keyid(self) -> str:
        return key_id(self.public_key)

    def sign(self, payload: bytes, payload_type: str = PAYLOAD_TYPE) -> dict[str, Any]:
        return make_envelope(self.private_key, payload, payload_type)


def key_paths(state_dir: Path) -> tuple[Path, Path]:
    base = state_dir.expanduser() / KEY_DIR
    return base / PRIVATE_KEY_FILE, base / PUBLIC_KEY_FILE


def init_keys(state_dir: Path, *, force: bool = False) -> AgentKeys:
    """Create a new key pair under ``state_dir/keys``. Refuses to overwrite one unless ``force``."""
    private_path, public_path = key_paths(state_dir)
    if private_path.exists() and not force:
        raise UsageError(f"{private_path}: a key already exists (use --force to replace it, then enrol again)")
    private_path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(private_path.parent, 0o700)
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Create the file 0600 from the start (no window where it is world-readable), then rename into place.
    tmp = private_path.with_name(f".{private_path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, private_path)
    public_key = private_key.public_key()
    public_path.write_bytes(public_key_pem(public_key))
    return AgentKeys(private_key, public_key)


def load_keys(state_dir: Path) -> AgentKeys:
    """Load the agent's key pair; refuse a private key that group or others can read."""
    private_path, _ = key_paths(state_dir)
    try:
        mode = private_path.stat().st_mode
    except FileNotFoundError:
        raise UsageError(f"{private_path}: no signing key; run `schoolnet keys init` first") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CannotRunError(
            f"{private_path}: private key is accessible by group/others (mode {stat.S_IMODE(mode):04o}); "
            f"refusing to use it. Fix with: chmod 600 {private_path}"
        )
    try:
        key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise CannotRunError(f"{private_path}: not a usable private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CannotRunError(f"{private_path}: not an Ed25519 private key")
    return AgentKeys(key, key.public_key())


def make_envelope(private_key: Ed25519PrivateKey, payload: bytes, payload_type: str = PAYLOAD_TYPE) -> dict[str, Any]:
    return Envelope.sign(private_key, payload, payload_type).to_dict()


def envelope_bytes(envelope: dict[str, Any] | Envelope) -> bytes:
    """The envelope as stored in the outbox and sent on the wire."""
    if isinstance(envelope, Envelope):
        return envelope.to_bytes()
    return json.dumps(envelope, separators=(",", ":")).encode("utf-8")
