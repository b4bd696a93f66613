"""TOTP (RFC 6238, HMAC-SHA1, 30 s steps, 6 digits): what every authenticator app speaks.

Small enough to own: the RFC's test vectors are in the tests. A code is accepted for the current step and one
step either side (clock drift), and never twice (the caller stores the last step used).
"""

from __future__ import annotations

import base64
import hmac
import os
import struct
from urllib.parse import quote

STEP_S = 30
DIGITS = 6
DRIFT_STEPS = 1


def new_secret() -> str:
    """160 random bits, base32 without padding (RFC 4226 recommends 160)."""
    return base64.b32encode(os.urandom(20)).decode("ascii").rstrip("=")


def _key(secret_b32: str) -> bytes:
    text = secret_b32.replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS, digest: str = "sha1") -> str:
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def step_at(unix_s: float) -> int:
    return int(unix_s // STEP_S)


def code_at(secret_b32: str, unix_s: float) -> str:
    return hotp(_key(secret_b32), step_at(unix_s))


def verify(secret_b32: str, code: str, unix_s: float, last_step: int | None) -> int | None:
    """The step the code matches (to store as ``last_step``), or None when it matches none or was already used."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    key = _key(secret_b32)
    now_step = step_at(unix_s)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue  # replay of a code already used (or an older one)
        if hmac.compare_digest(hotp(key, step), code):
            return step
    return None


def provisioning_uri(secret_b32: str, account: str, issuer: str = "schoolnet") -> str:
    """otpauth:// URI for an authenticator app (typed in by hand or shown as text: no QR library needed)."""
    label = quote(f"{issuer}:{account}")
    return f"otpauth://totp/{label}?secret={secret_b32}&issuer={quote(issuer)}&algorithm=SHA1&digits=6&period=30"
