"""The one sanitiser: scrubs secrets from switch output before it is stored as evidence.

Rules are data: each platform class carries its own (pattern, replacement) rules over whole lines
(:attr:`probes.switch.common.Platform.scrub_rules`), and the rules here are shared by every platform. Each
pattern keeps the keyword (so a reader still sees *that* a secret is set) and replaces the value with
``<removed>``. Known secret values (the password or community the agent itself used) are removed verbatim as
well, wherever they appear. Parsing happens on the raw text in memory; only sanitised text is ever stored,
logged or printed.

A platform name is resolved strictly: a name no platform accepts raises instead of falling back to the shared
rules alone (that fallback is how ``cisco_xe`` once kept every IOS password: issue 9).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from probes.switch.common import Platform

REMOVED = "<removed>"

# A value: a quoted string or one token.
VALUE = r'(?:"[^"]*"|\S+)'
_V = VALUE

Rule = tuple[re.Pattern[str], str]


def rules(*pairs: tuple[str, str]) -> tuple[Rule, ...]:
    """Compiled (pattern, replacement) pairs; patterns match case-insensitively, line by line."""
    return tuple((re.compile(p, re.IGNORECASE | re.MULTILINE), r) for p, r in pairs)


COMMON: tuple[Rule, ...] = rules(
    # SNMP communities and v3 keys, RADIUS/TACACS+ keys, PSKs: keyword kept, value gone.
    (rf"^(\s*snmp-server community\s+){_V}", rf"\g<1>{REMOVED}"),
    (rf"^(\s*snmp-server host\s+\S+(?:\s+(?:informs|traps))?(?:\s+version\s+(?:1|2c))?(?:\s+community)?\s+){_V}",
     rf"\g<1>{REMOVED}"),
    (rf"(\b(?:auth|priv)\s+(?:md5|sha\d*|des|3des|aes(?:\s+\d+)?)\s+)(?!(?:auth|priv)-pass\b){_V}", rf"\g<1>{REMOVED}"),
    (rf"(\b(?:auth-pass|priv-pass)\s+(?:plaintext|ciphertext)\s+){_V}", rf"\g<1>{REMOVED}"),
    (rf"((?<![-\w])key(?:\s+(?:[0-9]|plaintext|ciphertext|encrypted))?\s+){_V}", rf"\g<1>{REMOVED}"),
    (rf"(\b(?:pre-shared-key|wpa-psk|psk)(?:\s+(?:ascii|hex|ascii-text|hexadecimal|plaintext|ciphertext))?"
     rf"(?:\s+[0-9])?\s+){_V}", rf"\g<1>{REMOVED}"),
    (rf"(\bauthentication-key\s+\d+\s+(?:md5|sha\S*)\s+(?:[0-9]\s+)?){_V}", rf"\g<1>{REMOVED}"),
)


def sanitise(text: str, platform: Platform | str, known_secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret the rules (or ``known_secrets``) recognise replaced by ``<removed>``.

    ``platform`` is a :class:`Platform` or any name one accepts (aliases included); an unknown name raises
    :class:`probes.switch.platforms.UnsupportedPlatform` rather than scrubbing with the shared rules only.
    """
    if isinstance(platform, str):
        from probes.switch.platforms import platform_for

        platform = platform_for(platform)
    out = text
    for secret in sorted((s for s in known_secrets if s and len(s) >= 3), key=len, reverse=True):
        out = out.replace(secret, REMOVED)
    for pattern, replacement in (*platform.scrub_rules, *COMMON):
        out = pattern.sub(replacement, out)
    return out
