"""HTTP(S) to the address the resolver gave, as a browser would: Host header and SNI for the name.

Plain asyncio streams, not an HTTP library: the test needs to tell a TCP reset from a timeout, see the
certificate even when it does not verify, and read only the first bytes of a body. Nothing is followed:
a redirect's Location is matched against the block-page signatures like the rest of the response.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from probes.filtering.settings import BlockPageSignature

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) schoolnet-filtering-test"


@dataclass(frozen=True)
class Fetched:
    """What came back. ``error`` is set when there was no HTTP response; ``reset`` when a RST ended it."""

    status: int | None = None
    head_and_body: str = ""
    tls_issuer: str | None = None
    tls_error: str | None = None  # the certificate did not verify for this name (interception)
    reset: bool = False
    error: str | None = None


def tls_context(ca_bundle: Path | None, verify: bool) -> ssl.SSLContext:
    if not verify:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    return ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)


def issuer_of_der(der: bytes | None) -> str | None:
    if not der:
        return None
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    return _name(cert.issuer)


def _name(name: x509.Name) -> str:
    parts = []
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        values = name.get_attributes_for_oid(oid)
        if values:
            parts.append(str(values[0].value))
    return ", ".join(parts) or name.rfc4514_string()


def _issuer_of_dict(cert: dict[str, Any] | None) -> str | None:
    if not cert:
        return None
    fields: dict[str, str] = {}
    for rdn in cert.get("issuer", ()):
        for key, value in rdn:
            fields[key] = value
    parts = [fields[k] for k in ("commonName", "organizationName") if k in fields]
    return ", ".join(parts) or None


async def _exchange(
    address: str, port: int, host: str, path: str, ctx: ssl.SSLContext | None, max_bytes: int
) -> tuple[bytes, str | None]:
    reader, writer = await asyncio.open_connection(
        address, port, ssl=ctx, server_hostname=host if ctx else None, ssl_handshake_timeout=None
    )
    issuer = None
    try:
        if ctx is not None:
            sslobj = writer.get_extra_info("ssl_object")
            if sslobj is not None:
                issuer = _issuer_of_dict(sslobj.getpeercert()) or issuer_of_der(sslobj.getpeercert(binary_form=True))
        request = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n"
                   "Accept: text/html,*/*\r\nConnection: close\r\n\r\n")
        writer.write(request.encode("latin-1"))
        await writer.drain()
        data = b""
        while len(data) < max_bytes:
            chunk = await reader.read(max_bytes - len(data))
            if not chunk:
                break
            data += chunk
        return data, issuer
    finally:
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 0.5)
        except (OSError, TimeoutError, ssl.SSLError):
            pass


def _status(data: bytes) -> int | None:
    match = re.match(rb"HTTP/\d(?:\.\d)? (\d{3})", data)
    return int(match.group(1)) if match else None


async def fetch(
    address: str, port: int, host: str, path: str, *, https: bool, ca_bundle: Path | None, max_bytes: int
) -> Fetched:
    """One request; the caller bounds it with its deadline (asyncio.timeout)."""
    ctx = tls_context(ca_bundle, verify=True) if https else None
    tls_error = None
    try:
        try:
            data, issuer = await _exchange(address, port, host, path, ctx, max_bytes)
        except ssl.SSLCertVerificationError as exc:
            # Not issued for this name by a trusted CA: look at who did issue it, and at what it serves.
            tls_error = exc.verify_message or str(exc)
            data, issuer = await _exchange(address, port, host, path, tls_context(None, verify=False), max_bytes)
    except (ConnectionRefusedError, ConnectionResetError) as exc:
        what = "refused (TCP reset)" if isinstance(exc, ConnectionRefusedError) else "reset"
        return Fetched(reset=True, tls_error=tls_error, error=f"connection to {address}:{port} {what}")
    except ssl.SSLError as exc:
        return Fetched(tls_error=tls_error, error=f"TLS failed with {address}:{port}: {exc.reason or exc}")
    except OSError as exc:
        return Fetched(tls_error=tls_error, error=f"cannot connect to {address}:{port}: {exc.strerror or exc}")
    if not data:
        return Fetched(tls_issuer=None, tls_error=tls_error,
                       error=f"{address}:{port} closed the connection without an HTTP response")
    return Fetched(status=_status(data), head_and_body=data.decode("utf-8", "replace"), tls_issuer=issuer,
                   tls_error=tls_error)


def match_block_page(text: str, signatures: list[BlockPageSignature]) -> str | None:
    for signature in signatures:
        if re.search(signature.pattern, text, re.IGNORECASE | re.DOTALL):
            return signature.provider
    return None
