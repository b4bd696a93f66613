"""The broadband reference endpoint's protocol, shared by its two servers (``schoolnet speed-server``, standard
library only, and the collector's ``/speed``) and the ``http`` backend that measures against them.

Endpoints (relative to the server root, or to ``/speed`` on the collector):

- ``GET  /ping`` -> ``pong``; ``GET /info`` -> :func:`info`;
- ``GET  /download?bytes=N`` -> exactly N bytes of incompressible data (``Content-Length`` set);
- ``POST /upload`` -> reads and discards the body, answers ``{"received_bytes": N}``;
- speedtest.net "mini" compatible: ``/``, ``/speedtest-config.php``, ``/speedtest/latency.txt``,
  ``/speedtest/random{N}x{N}.jpg``, ``POST /speedtest/upload.php``.

An endpoint may demand a credential from an enrolled agent: ``Authorization: SchoolnetKey <keyid>.<unix
seconds>.<base64 signature>``, the Ed25519 signature over PAE(:data:`CREDENTIAL_TYPE`, ``"<keyid> <seconds>"``),
valid for :data:`CREDENTIAL_VALID_S` either side of the server's clock.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import time
from collections.abc import Iterator
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contract.envelope import key_id, pae

SERVICE = "schoolnet-speed"
DEFAULT_DOWNLOAD_BYTES = 25_000_000
BLOCK_BYTES = 4 << 20
CHUNK_BYTES = 1 << 20
MAX_JPG_SIDE = 8000

AUTH_SCHEME = "SchoolnetKey"
CREDENTIAL_TYPE = "application/vnd.schoolnet.speed-credential.v1"
CREDENTIAL_VALID_S = 600

MINI_PAGE = b'<html><body><script>var upload_extension = "php";</script>upload_extension: "php"</body></html>'
# The config speedtest-cli reads: 4 download threads x2, ratio 3 (no 32/64 KiB uploads: speedtest-cli 2.1.3 sends
# a 65,536-byte upload 7 bytes short), long enough tests to leave slow start behind.
MINI_CONFIG_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<settings>
<client ip="127.0.0.1" lat="0" lon="0" isp="schoolnet" isprating="3.7" rating="0" ispdlavg="0" ispulavg="0"
 loggedin="0" country="ZZ" />
<server-config threadcount="4" ignoreids="" notonmap="" forcepingid="" preferredserverid=""/>
<download testlength="10" initialtest="250K" mintestsize="250K" threadsperurl="4"/>
<upload testlength="10" ratio="3" initialtest="0" mintestsize="32K" threads="4" maxchunksize="512K"
 maxchunkcount="50"/>
</settings>"""


@functools.cache
def block() -> memoryview:
    """Random, so that no compressing middlebox inflates the figure; generated once per process, on first use."""
    return memoryview(os.urandom(BLOCK_BYTES))


def generated_chunks(nbytes: int, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    data = block()
    left, offset = nbytes, 0
    while left > 0:
        size = min(left, chunk_bytes, BLOCK_BYTES - offset)
        yield bytes(data[offset : offset + size])
        left -= size
        offset = (offset + size) % BLOCK_BYTES


def random_jpg_bytes(side: int) -> int:
    """What ``/speedtest/random{side}x{side}.jpg`` sends."""
    return min(side, MAX_JPG_SIDE) ** 2 * 2


def info(limit_mbps: float | None, udp_echo_port: int | None) -> dict[str, Any]:
    """``GET /info``: ``limit_mbps`` is the server's own stated limit (its uplink), so a client knows what it cannot
    measure; ``udp_echo_port`` echoes datagrams of up to 64 bytes (packet loss), when the server has one."""
    return {"service": SERVICE, "version": 1, "limit_mbps": limit_mbps, "udp_echo_port": udp_echo_port}


def make_credential(private_key: Ed25519PrivateKey, now_s: float | None = None) -> str:
    """The ``Authorization`` value an enrolled agent sends (scheme included)."""
    keyid = key_id(private_key.public_key())
    seconds = int(time.time() if now_s is None else now_s)
    signature = private_key.sign(pae(CREDENTIAL_TYPE, f"{keyid} {seconds}".encode()))
    return f"{AUTH_SCHEME} {keyid}.{seconds}.{base64.b64encode(signature).decode('ascii')}"


def credential_keyid(credential: str) -> str | None:
    """The key id a credential (without the scheme) claims, or None when it is not one."""
    keyid, _, rest = credential.partition(".")
    return keyid if keyid.startswith("sha256:") and rest else None


def check_credential(credential: str, public_key: Ed25519PublicKey, now_s: float | None = None) -> bool:
    """True when ``credential`` (without the scheme) is signed by ``public_key`` and is fresh."""
    try:
        keyid, seconds_text, sig_text = credential.split(".", 2)
        seconds = int(seconds_text)
        signature = base64.b64decode(sig_text, validate=True)
    except (ValueError, binascii.Error):
        return False
    now = time.time() if now_s is None else now_s
    if keyid != key_id(public_key) or abs(now - seconds) > CREDENTIAL_VALID_S:
        return False
    try:
        public_key.verify(signature, pae(CREDENTIAL_TYPE, f"{keyid} {seconds}".encode()))
    except InvalidSignature:
        return False
    return True
