"""What an open port is, from what it says: an SSH version string, an HTTP status line, Server header and page
title, a TLS certificate. Read-only and credential-free: one connection, one ``GET /`` at most, never a login
form submitted, never a password tried. Every read is bounded in bytes and time.
"""

from __future__ import annotations

import re
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC

from contract.evidence.firewall_network import TlsCertificate
from probes.firewall.ports import ADMIN_PORTS, ADMIN_SERVICES, QUIET_SERVICES

MAX_READ_BYTES = 16384
# Ports where plain HTTP is the usual answer: ask HTTP first there (a TLS hello to them can hang until timeout).
PLAIN_HTTP_PORTS = frozenset({80, 591, 8000, 8008, 8080, 8081, 8888, 10000})
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


@dataclass
class Identity:
    service: str | None = None
    banner: str | None = None
    http_status: int | None = None
    http_server: str | None = None
    http_title: str | None = None
    tls: TlsCertificate | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def admin(self) -> bool:
        return self.service in ADMIN_SERVICES


def _clean(raw: bytes, limit: int = 200) -> str:
    text = raw.decode("utf-8", "replace")
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()[:limit]


def _read(sock: socket.socket, timeout_s: float, until: bytes | None = None) -> bytes:
    sock.settimeout(timeout_s)
    data = b""
    try:
        while len(data) < MAX_READ_BYTES:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
            if until is None or until in data:
                break
    except (TimeoutError, OSError):
        pass
    return data


def certificate(der: bytes) -> TlsCertificate:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    cert = x509.load_der_x509_certificate(der)

    def cn(name: x509.Name) -> str:
        found = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(found[0].value) if found else name.rfc4514_string()

    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName)
    except x509.ExtensionNotFound:
        sans = []
    self_signed = cert.subject == cert.issuer
    if self_signed:
        try:
            cert.verify_directly_issued_by(cert)
        except Exception:  # a different key signed it: same name, not self-signed
            self_signed = False
    return TlsCertificate(subject=cn(cert.subject), issuer=cn(cert.issuer),
                          not_after=cert.not_valid_after_utc.astimezone(UTC), self_signed=self_signed,
                          names=list(sans)[:20])


def _http(sock: socket.socket, host: str, timeout_s: float, ident: Identity) -> bool:
    sock.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: schoolnet-audit\r\nAccept: text/html\r\n"
                 "Connection: close\r\n\r\n".encode())
    data = _read(sock, timeout_s, until=b"</title")
    if not data.startswith(b"HTTP/"):
        return False
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    ident.http_status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"server":
            ident.http_server = _clean(value, 120)
    title = _TITLE.search(body)
    if title:
        ident.http_title = _clean(title.group(1), 160)
    ident.banner = _clean(lines[0], 120) + (f" ({ident.http_server})" if ident.http_server else "")
    return True


def identify(address: str, port: int, timeout_s: float = 1.5) -> Identity:
    ident = Identity()
    if port in QUIET_SERVICES:
        ident.service = QUIET_SERVICES[port]
        return ident
    try:
        with socket.create_connection((address, port), timeout=timeout_s) as sock:
            first = _read(sock, min(timeout_s, 0.5))  # servers that speak first do so at once
    except OSError as exc:
        ident.notes.append(f"could not connect to identify it: {exc.strerror or exc}")
        return _by_port(ident, port)
    if first.startswith(b"SSH-"):
        ident.service, ident.banner = "ssh", _clean(first.split(b"\n")[0])
        return ident
    if first.startswith(b"\xff"):
        ident.service, ident.banner = "telnet", "telnet negotiation"
        return ident
    if first:
        ident.banner = _clean(first.split(b"\n")[0])
        ident.service = "ftp" if first.startswith(b"220") and port == 21 else None
        return _by_port(ident, port)
    attempts = (_try_http, _try_tls) if port in PLAIN_HTTP_PORTS else (_try_tls, _try_http)
    for attempt in attempts:
        if attempt(address, port, timeout_s, ident):
            return ident
    return _by_port(ident, port)


def _try_tls(address: str, port: int, timeout_s: float, ident: Identity) -> bool:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # we record the certificate; we do not trust or refuse it here
    try:
        with socket.create_connection((address, port), timeout=timeout_s) as raw, \
                context.wrap_socket(raw, server_hostname=None) as tls:
            der = tls.getpeercert(binary_form=True)
            if der:
                ident.tls = certificate(der)
            ident.service = "https" if _http(tls, address, timeout_s, ident) else "tls"
            return True
    except (ssl.SSLError, OSError, ValueError):
        return False


def _try_http(address: str, port: int, timeout_s: float, ident: Identity) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout_s) as sock:
            if _http(sock, address, timeout_s, ident):
                ident.service = "http"
                return True
    except OSError:
        pass
    return False


def _by_port(ident: Identity, port: int) -> Identity:
    """Nothing recognisable was said: name it by convention, and say that is what it is."""
    if ident.service is None and port in ADMIN_PORTS:
        ident.service = ADMIN_PORTS[port]
        ident.notes.append(f"named by its port ({port}); it did not identify itself")
    return ident


def identify_all(targets: list[tuple[str, int]], timeout_s: float, workers: int = 8) -> dict[tuple[str, int],
                                                                                              Identity]:
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="identify") as pool:
        found = pool.map(lambda t: identify(t[0], t[1], timeout_s), targets)
        return dict(zip(targets, found, strict=True))
