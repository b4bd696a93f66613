"""The one sanitiser: scrubs secrets from switch output before it is stored as evidence.

Rules are data: per platform, a list of (pattern, replacement) over whole lines, plus rules shared by
every platform. Each pattern keeps the keyword (so a reader still sees *that* a secret is set) and
replaces the value with ``<removed>``. Known secret values (the password or community the agent
itself used) are removed verbatim as well, wherever they appear. Parsing happens on the raw text in
memory; only sanitised text is ever stored, logged or printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REMOVED = "<removed>"

# A value: a quoted string or one token.
_V = r'(?:"[^"]*"|\S+)'

Rule = tuple[re.Pattern[str], str]


def _rules(*pairs: tuple[str, str]) -> list[Rule]:
    return [(re.compile(p, re.IGNORECASE | re.MULTILINE), r) for p, r in pairs]


_COMMON = _rules(
    # SNMP communities and v3 keys, RADIUS/TACACS+ keys, PSKs: keyword kept, value gone.
    (rf"^(\s*snmp-server community\s+){_V}", rf"\g<1>{REMOVED}"),
    (rf"^(\s*snmp-server host\s+\S+(?:\s+(?:informs|traps))?(?:\s+version\s+(?:1|2c))?\s+){_V}", rf"\g<1>{REMOVED}"),
    (rf"(\b(?:auth|priv)\s+(?:md5|sha\d*|des|3des|aes(?:\s+\d+)?)\s+)(?!(?:auth|priv)-pass\b){_V}", rf"\g<1>{REMOVED}"),
    (rf"(\b(?:auth-pass|priv-pass)\s+(?:plaintext|ciphertext)\s+){_V}", rf"\g<1>{REMOVED}"),
    (rf"((?<![-\w])key(?:\s+(?:[0-9]|plaintext|ciphertext|encrypted))?\s+){_V}", rf"\g<1>{REMOVED}"),
    (rf"(\b(?:pre-shared-key|wpa-psk|psk)(?:\s+(?:ascii|hex|ascii-text|hexadecimal|plaintext|ciphertext))?"
     rf"(?:\s+[0-9])?\s+){_V}", rf"\g<1>{REMOVED}"),
    (rf"(\bauthentication-key\s+\d+\s+(?:md5|sha\S*)\s+(?:[0-9]\s+)?){_V}", rf"\g<1>{REMOVED}"),
)

_PLATFORM: dict[str, list[Rule]] = {
    "cisco_ios": _rules(
        (rf"^(\s*enable\s+(?:secret|password)(?:\s+level\s+\d+)?(?:\s+[0-9])?\s+){_V}", rf"\g<1>{REMOVED}"),
        (rf"^(\s*username\s+\S+.*?\b(?:secret|password)(?:\s+[0-9])?\s+){_V}", rf"\g<1>{REMOVED}"),
        (rf"^(\s*password(?:\s+[0-9])?\s+){_V}", rf"\g<1>{REMOVED}"),
    ),
    "hp_procurve": _rules(
        (rf"^(\s*password\s+(?:manager|operator)(?:\s+user-name\s+{_V})?\s+(?:plaintext|sha1|sha-256|sha256)\s+){_V}",
         rf"\g<1>{REMOVED}"),
        (rf"^(\s*snmpv3 user\s+{_V}.*?\bauth\s+\S+\s+){_V}", rf"\g<1>{REMOVED}"),
        (rf"(\bpriv\s+(?:des|aes)\s+){_V}", rf"\g<1>{REMOVED}"),
    ),
    "aruba_aoscx": _rules(
        (rf"(\bpassword\s+(?:plaintext|ciphertext)\s+){_V}", rf"\g<1>{REMOVED}"),
        (rf"(\bsnmpv3 user\s+{_V}.*?\bauth-pass\s+(?:plaintext|ciphertext)\s+){_V}", rf"\g<1>{REMOVED}"),
    ),
    "juniper_junos": _rules(
        (rf"(\b(?:encrypted-password|secret|plain-text-password-value|authentication-key|ascii-text)\s+){_V}",
         rf"\g<1>{REMOVED}"),
        (rf"^(\s*(?:set\s+snmp\s+)?community\s+){_V}", rf"\g<1>{REMOVED}"),
        (r'^(.*?)"[^"]*"(;?\s*## SECRET-DATA)', rf'\g<1>"{REMOVED}"\g<2>'),
    ),
}


def known_platforms() -> list[str]:
    return sorted(_PLATFORM)


def sanitise(text: str, platform: str, known_secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret the rules (or ``known_secrets``) recognise replaced by ``<removed>``."""
    out = text
    for secret in sorted((s for s in known_secrets if s and len(s) >= 3), key=len, reverse=True):
        out = out.replace(secret, REMOVED)
    for pattern, replacement in [*_PLATFORM.get(platform, []), *_COMMON]:
        out = pattern.sub(replacement, out)
    return out
