"""Ed25519 keys and DSSE envelopes for signed reports.

The envelope carries the report bytes exactly as written to report.json (base64), and the signature covers the
DSSE pre-auth encoding (PAE) of the payload type and those bytes. Nothing is ever re-serialised: the verifier
decodes the base64 and checks the signature over the bytes it got. This module needs only ``cryptography``, so
the collector imports it too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from agent.errors import CannotRunError, UsageError

PAYLOAD_TYPE = "application/vnd.schoolnet.report.v1+json"
KEY_DIR = "keys"
PRIVATE_KEY_FILE = "agent.key"
PUBLIC_KEY_FILE = "agent.pub"


class EnvelopeError(ValueError):
    """An envelope that is malformed or whose signature does not verify; the message says which."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: lengths are byte counts in ASCII decimal."""
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(type_bytes), type_bytes, len(payload), payload)


def raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey | bytes) -> str:
    """The key id: SHA-256 fingerprint of the raw 32-byte public key, ``sha256:<hex>``."""
    raw = public_key if isinstance(public_key, bytes) else raw_public_bytes(public_key)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def public_key_from_raw(raw: bytes) -> Ed25519PublicKey:
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key is 32 bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


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
    signature = private_key.sign(pae(payload_type, payload))
    return {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [{"keyid": key_id(private_key.public_key()), "sig": base64.b64encode(signature).decode("ascii")}],
    }


def envelope_bytes(envelope: dict[str, Any]) -> bytes:
    """The envelope as stored in the outbox and sent on the wire."""
    return json.dumps(envelope, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class ParsedEnvelope:
    payload_type: str
    payload: bytes
    signatures: list[tuple[str, bytes]]


def parse_envelope(data: bytes | dict[str, Any]) -> ParsedEnvelope:
    """Check the envelope's shape and decode it; raise EnvelopeError with a precise reason."""
    if isinstance(data, bytes | bytearray):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise EnvelopeError(f"envelope is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise EnvelopeError("envelope must be a JSON object")
    for field in ("payloadType", "payload", "signatures"):
        if field not in data:
            raise EnvelopeError(f"envelope has no '{field}'")
    payload_type, payload_b64, signatures = data["payloadType"], data["payload"], data["signatures"]
    if not isinstance(payload_type, str):
        raise EnvelopeError("'payloadType' must be a string")
    if not isinstance(payload_b64, str):
        raise EnvelopeError("'payload' must be a base64 string")
    try:
        payload = base64.b64decode(payload_b64, validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError("'payload' is not valid base64") from None
    if not isinstance(signatures, list) or not signatures:
        raise EnvelopeError("'signatures' must be a non-empty list")
    parsed: list[tuple[str, bytes]] = []
    for index, entry in enumerate(signatures):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("keyid"), str)
            or not isinstance(entry.get("sig"), str)
        ):
            raise EnvelopeError(f"signatures[{index}] must be an object with string 'keyid' and 'sig'")
        try:
            sig = base64.b64decode(entry["sig"], validate=True)
        except (binascii.Error, ValueError):
            raise EnvelopeError(f"signatures[{index}].sig is not valid base64") from None
        parsed.append((entry["keyid"], sig))
    return ParsedEnvelope(payload_type, payload, parsed)


def verify_signature(envelope: ParsedEnvelope, public_key: Ed25519PublicKey) -> bool:
    """True when a signature with this key's id verifies over PAE(type, payload)."""
    wanted = key_id(public_key)
    message = pae(envelope.payload_type, envelope.payload)
    for keyid, sig in envelope.signatures:
        if keyid != wanted:
            continue
        try:
            public_key.verify(sig, message)
            return True
        except InvalidSignature:
            return False
    return False


def verify_envelope(data: bytes | dict[str, Any], public_key: Ed25519PublicKey) -> bytes:
    """Verify offline; return the exact payload bytes. Raise EnvelopeError when it does not verify."""
    parsed = parse_envelope(data)
    wanted = key_id(public_key)
    if not any(keyid == wanted for keyid, _ in parsed.signatures):
        ids = ", ".join(k for k, _ in parsed.signatures)
        raise EnvelopeError(f"no signature by key {wanted} (envelope is signed by {ids})")
    if not verify_signature(parsed, public_key):
        raise EnvelopeError(f"signature by {wanted} does not verify: payload or type altered, or wrong key")
    if parsed.payload_type != PAYLOAD_TYPE:
        raise EnvelopeError(f"payloadType is {parsed.payload_type!r}, expected {PAYLOAD_TYPE!r}")
    return parsed.payload
