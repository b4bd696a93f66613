"""The signed envelope an agent uploads: described once, as a pydantic model.

DSSE (https://github.com/secure-systems-lab/dsse): ``{"payloadType", "payload", "signatures": [{"keyid", "sig"}]}``
where ``payload`` is base64 of the exact report.json bytes and each ``sig`` is base64 of an Ed25519 signature over
the pre-authentication encoding PAE(payloadType, payload bytes). Nothing is ever re-serialised: a verifier decodes
the base64 and checks the signature over the bytes it got.

The model validates an envelope (the collector's ingest, ``schoolnet verify``), gives the OpenAPI schema of the
upload body, and builds envelopes (the agent's signing). Key files and the agent's key pair stay with the agent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Annotated, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError, WithJsonSchema

PAYLOAD_TYPE = "application/vnd.schoolnet.report.v1+json"
MAX_SIGNATURES = 8  # an envelope is signed by one agent key; a few more (rotation) are fine, thousands are not


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


def _b64decode(value: Any) -> bytes:
    # Strict: a character outside the alphabet is an error, not silently skipped (base64.b64decode's default).
    if isinstance(value, bytes):
        return value  # already decoded (built in Python, not parsed from JSON)
    if not isinstance(value, str):
        raise ValueError("must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not valid base64") from None


Base64Bytes = Annotated[
    bytes,
    BeforeValidator(_b64decode),
    PlainSerializer(lambda raw: base64.b64encode(raw).decode("ascii"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "contentEncoding": "base64"}),
]


class Signature(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    keyid: str = Field(max_length=200, description="sha256:<hex> of the signer's raw Ed25519 public key")
    sig: Base64Bytes = Field(description="base64 of the Ed25519 signature over PAE(payloadType, payload)")


class Envelope(BaseModel):
    """A DSSE envelope carrying one report. Unknown keys are ignored (DSSE lets producers add some)."""

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        populate_by_name=True,
        title="Envelope",
        json_schema_extra={"description": "DSSE envelope: Ed25519 over PAE(payloadType, payload bytes)"},
    )

    payload_type: str = Field(
        alias="payloadType", max_length=200, json_schema_extra={"example": PAYLOAD_TYPE}, description="media type"
    )
    payload: Base64Bytes = Field(description="base64 of the exact report.json bytes")
    signatures: list[Signature] = Field(min_length=1, max_length=MAX_SIGNATURES)

    # -- reading -----------------------------------------------------------------------------------------------
    @classmethod
    def parse(cls, data: bytes | str | dict[str, Any]) -> Envelope:
        """Validate an envelope from JSON bytes or a decoded object; EnvelopeError names the first fault.

        JSON nesting is bounded by pydantic-core's parser (a deeply nested body is an error, not a RecursionError)."""
        try:
            if isinstance(data, bytes | bytearray | str):
                return cls.model_validate_json(data)
            return cls.model_validate(data)
        except ValidationError as exc:
            raise EnvelopeError(_reason(exc)) from None

    def verify(self, public_key: Ed25519PublicKey) -> bool:
        """True when the signature carrying this key's id verifies over PAE(type, payload)."""
        wanted = key_id(public_key)
        message = pae(self.payload_type, self.payload)
        for signature in self.signatures:
            if signature.keyid != wanted:
                continue
            try:
                public_key.verify(signature.sig, message)
                return True
            except InvalidSignature:
                return False
        return False

    @property
    def keyids(self) -> list[str]:
        return [s.keyid for s in self.signatures]

    # -- writing -----------------------------------------------------------------------------------------------
    @classmethod
    def sign(cls, private_key: Ed25519PrivateKey, payload: bytes, payload_type: str = PAYLOAD_TYPE) -> Envelope:
        signature = private_key.sign(pae(payload_type, payload))
        return cls(
            payload_type=payload_type,
            payload=payload,
            signatures=[Signature(keyid=key_id(private_key.public_key()), sig=signature)],
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, base64 fields encoded."""
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True)
        return data

    def to_bytes(self) -> bytes:
        """The envelope as stored in the outbox and sent on the wire (compact JSON)."""
        return self.model_dump_json(by_alias=True).encode("utf-8")


def verify_envelope(data: bytes | str | dict[str, Any], public_key: Ed25519PublicKey) -> bytes:
    """Verify offline; return the exact payload bytes. Raise EnvelopeError when it does not verify."""
    envelope = Envelope.parse(data)
    wanted = key_id(public_key)
    if wanted not in envelope.keyids:
        raise EnvelopeError(f"no signature by key {wanted} (envelope is signed by {', '.join(envelope.keyids)})")
    if not envelope.verify(public_key):
        raise EnvelopeError(f"signature by {wanted} does not verify: payload or type altered, or wrong key")
    if envelope.payload_type != PAYLOAD_TYPE:
        raise EnvelopeError(f"payloadType is {envelope.payload_type!r}, expected {PAYLOAD_TYPE!r}")
    return envelope.payload


_FIELD_NAMES = {"payloadType": "payloadType", "payload_type": "payloadType"}


def _reason(exc: ValidationError) -> str:
    """One sentence for the first fault, naming the field; never the input's value."""
    first = exc.errors(include_url=False, include_input=False)[0]
    kind = first["type"]
    loc = [_FIELD_NAMES.get(str(part), str(part)) for part in first["loc"]]
    where = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc).lstrip(".")
    if kind == "json_invalid":
        cause = str(first.get("ctx", {}).get("error", "")) or first["msg"]
        if "recursion limit" in cause:
            return "envelope is not valid JSON: nested too deeply"
        return f"envelope is not valid JSON: {cause}"
    if not loc:
        return "envelope must be a JSON object"
    if kind == "missing":
        return f"envelope has no '{where}'" if len(loc) == 1 else f"{where} is missing"
    if kind == "value_error":
        return f"{where} {first['msg'].removeprefix('Value error, ')}"
    if kind == "too_short" and loc == ["signatures"]:
        return "'signatures' must be a non-empty list"
    return f"{where}: {first['msg']}"


def envelope_json_schema() -> dict[str, Any]:
    """The upload body's JSON Schema with its definitions inlined (no $refs), so OpenAPI tools and fuzzers read it
    directly."""
    schema = Envelope.model_json_schema(by_alias=True)
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined
