"""The egress echo protocol, shared by ``schoolnet firewall egress`` (client) and ``schoolnet echo-server``.

A probe carries a fresh random nonce; the trust's echo server answers with an HMAC-SHA256 of that nonce
under a key only the school's agent and the trust share, bound to the protocol and port it arrived on.
A transparent proxy, captive portal or firewall that answers in the server's place cannot forge it, so an
"allowed" verdict means the packet really reached the outside server on that port.

Wire format (ASCII, one line on TCP, one datagram on UDP)::

    request:  b"SNECHO1 " + 32 hex nonce + b" " + padding to REQUEST_BYTES
    answer:   b"SNECHO1 " + 64 hex HMAC + b"\\n"

Requests shorter than REQUEST_BYTES are ignored: the answer is never larger than the request, so the
UDP side cannot be used to amplify traffic towards a spoofed address.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

MAGIC = b"SNECHO1 "
REQUEST_BYTES = 96
ANSWER_BYTES = len(MAGIC) + 64 + 1
_REQUEST = re.compile(rb"^SNECHO1 ([0-9a-f]{32})( |\n|$)")


def new_nonce() -> bytes:
    return secrets.token_bytes(16)


def request(nonce: bytes) -> bytes:
    line = MAGIC + nonce.hex().encode() + b" "
    return line + b"." * (REQUEST_BYTES - len(line) - 1) + b"\n"


def mac(key: bytes, protocol: str, port: int, nonce: bytes) -> str:
    message = b"schoolnet-echo-v1|" + protocol.encode() + b"|" + str(port).encode() + b"|" + nonce
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def answer(key: bytes, protocol: str, port: int, data: bytes) -> bytes | None:
    """The server's answer to ``data`` received on ``protocol``/``port``; None for anything that is not a request."""
    if len(data) < REQUEST_BYTES:
        return None
    found = _REQUEST.match(data)
    if found is None:
        return None
    nonce = bytes.fromhex(found.group(1).decode())
    return MAGIC + mac(key, protocol, port, nonce).encode() + b"\n"


def verify(key: bytes, protocol: str, port: int, nonce: bytes, data: bytes) -> bool:
    """True when ``data`` is the echo server's answer for this nonce, protocol and port."""
    expected = MAGIC + mac(key, protocol, port, nonce).encode()
    return hmac.compare_digest(data.strip()[: len(expected)], expected) and len(data.strip()) == len(expected)


def load_key(raw: bytes) -> bytes:
    """The key file's content, any bytes; surrounding whitespace (a trailing newline) is not part of it."""
    key = raw.strip()
    if len(key) < 16:
        raise ValueError("the echo key must be at least 16 bytes (e.g. 32 random bytes, hex-encoded)")
    return key
