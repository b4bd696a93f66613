"""Password hashing with scrypt (the ``cryptography`` library's OpenSSL binding, already a dependency).

The stored form names its parameters (``scrypt$ln$r$p$salt$hash``), so the cost can be raised later and old hashes
still verify; ``needs_rehash`` tells the caller when to upgrade one on the next successful sign-in.
"""

from __future__ import annotations

import base64
import hmac
import os

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

# 2**15 * 8 * 128 bytes = 32 MiB and ~50-100 ms per hash on one core: OWASP's scrypt floor is N=2**17 with r=8 at
# 128 MiB; we take the lower memory figure because a collector may run several workers on a small VM, and the
# sign-in lockout (10 guesses per 5 minutes) bounds online guessing anyway.
LOG2_N = 15
R = 8
P = 1
SALT_BYTES = 16
HASH_BYTES = 32
MAX_PASSWORD_CHARS = 1024  # scrypt cost does not grow with length, but the request body should stay small
MIN_PASSWORD_CHARS = 12


class PasswordError(ValueError):
    """A password that cannot be accepted as a new one (the message says why)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordError(f"a password needs at least {MIN_PASSWORD_CHARS} characters (a passphrase is easiest)")
    if len(password) > MAX_PASSWORD_CHARS:
        raise PasswordError(f"a password may have at most {MAX_PASSWORD_CHARS} characters")


def hash_password(password: str, *, log2_n: int = LOG2_N) -> str:
    salt = os.urandom(SALT_BYTES)
    digest = Scrypt(salt=salt, length=HASH_BYTES, n=2**log2_n, r=R, p=P).derive(password.encode("utf-8"))
    return f"scrypt${log2_n}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(stored: str, password: str) -> bool:
    """True when ``password`` matches ``stored``; False for a mismatch or a malformed stored hash."""
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or not 10 <= int(log2_n) <= 20:
            return False
        expected = _unb64(digest)
        kdf = Scrypt(salt=_unb64(salt), length=len(expected), n=2 ** int(log2_n), r=int(r), p=int(p))
        kdf.verify(password.encode("utf-8"), expected)
    except (ValueError, InvalidKey):
        return False
    return True


def needs_rehash(stored: str) -> bool:
    parts = stored.split("$")
    return len(parts) != 6 or parts[0] != "scrypt" or parts[1:4] != [str(LOG2_N), str(R), str(P)]


# A hash of a random password, verified against when the account does not exist, so that an unknown e-mail
# address takes as long to refuse as a wrong password (no account enumeration by timing).
DUMMY_HASH = hash_password(_b64(os.urandom(18)))


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
