"""Secret scrubbing shared by every firewall platform: the last pass before anything is stored.

Each platform first scrubs its own format by structure (FortiOS ``set`` lines by name and section,
config.xml elements by tag). This module then removes, wherever they still appear: FortiOS ``ENC``
values, bcrypt and SHA-crypt hashes, PEM private-key blocks and base64-wrapped ones (config.xml keeps
keys as base64 of the PEM text), and the secrets the agent itself used to log in. Only sanitised text
is ever stored, logged or printed.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable

REMOVED = "<removed>"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bENC\s+\S+"), f"ENC {REMOVED}"),
    (re.compile(r"\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}"), REMOVED),  # bcrypt
    (re.compile(r"\$(?:1|5|6|md5|sha1|y|argon2(?:id|i|d)?)\$[^\s<\"']{8,}"), REMOVED),  # crypt(3) hashes
    (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.DOTALL),
     REMOVED),
    (re.compile(r"-----BEGIN OpenVPN Static key V1-----.*?(?:-----END OpenVPN Static key V1-----|\Z)", re.DOTALL),
     REMOVED),
)
# base64 of "-----BEGIN " starts with these characters, whatever follows.
_B64_PEM = re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/=\s]{20,}")


def _b64_secret(match: re.Match[str]) -> str:
    blob = re.sub(r"\s+", "", match.group(0))
    try:
        decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=False)
    except (binascii.Error, ValueError):
        return REMOVED  # not even base64: cannot show it is harmless
    if b"PRIVATE KEY" in decoded or b"Static key" in decoded:
        return REMOVED
    return match.group(0)


def scrub_common(text: str, known_secrets: Iterable[str] = ()) -> str:
    """``text`` with the generic secret shapes and every ``known_secrets`` value replaced by ``<removed>``."""
    out = text
    for secret in sorted((s for s in known_secrets if s and len(s) >= 3), key=len, reverse=True):
        out = out.replace(secret, REMOVED)
    for pattern, replacement in _PATTERNS:
        out = pattern.sub(replacement, out)
    return _B64_PEM.sub(_b64_secret, out)
