"""The outbox on disk, URL rules, back-off, and TLS verification against a real HTTPS server."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import random
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from agent.config.upload import UploadConfig
from agent.delivery.outbox import Outbox
from agent.delivery.signing import init_keys
from agent.delivery.upload import backoff_delay_s, check_url, flush, queue_report
from agent.errors import UsageError


def test_put_list_remove(tmp_path) -> None:
    box = Outbox(tmp_path)
    box.put("r2", b"two")
    box.put("r1", b"one", site_id="URN1")
    items = box.items()
    assert [i.report_id for i in items] == ["r2", "r1"]  # oldest first
    assert box.read(items[1]) == b"one" and items[1].site_id == "URN1"
    assert items[0].reason() == "not sent yet"
    box.record_failure(items[0], "collector unreachable: refused", None)
    assert "1 attempt(s) failed; last: collector unreachable" in box.items()[0].reason()
    box.remove(items[0])
    box.move_to_rejected(items[1], "HTTP 422 invalid_report: x")
    assert box.items() == []
    assert [(i.report_id, i.last_error) for i in box.rejected()] == [("r1", "HTTP 422 invalid_report: x")]
    assert not [p for p in box.directory.rglob("*") if p.name.endswith(".tmp")], "no temp files left behind"
    assert oct(box.rejected()[0].envelope_path.stat().st_mode & 0o777) == "0o600"


def test_queue_signs_exact_bytes_before_any_network(tmp_path) -> None:
    init_keys(tmp_path)
    payload = b'{"report_id": "r"}\n'
    item = queue_report(tmp_path, "r", payload)
    envelope = json.loads(item.envelope_path.read_bytes())
    import base64

    assert base64.b64decode(envelope["payload"]) == payload


@pytest.mark.parametrize(
    ("url", "allowed", "ok"),
    [
        ("https://collector.trust.example", False, True),
        ("http://127.0.0.1:8080", False, True),
        ("http://localhost:8080/", False, True),
        ("http://[::1]:8080", False, True),
        ("http://collector.trust.example", False, False),
        ("http://10.0.0.5:8080", False, False),
        ("http://10.0.0.5:8080", True, True),
        ("ftp://x", True, False),
        ("", False, False),
    ],
)
def test_plain_http_only_to_loopback(url, allowed, ok) -> None:
    if ok:
        assert check_url(url, allowed) == url.rstrip("/")
    else:
        with pytest.raises(UsageError, match="upload.url"):
            check_url(url, allowed)


def test_backoff_is_exponential_with_full_jitter() -> None:
    rng = random.Random(1)
    for attempt in range(8):
        cap = min(60.0, 1.0 * 2**attempt)
        delays = [backoff_delay_s(attempt, 1.0, 60.0, rng) for _ in range(200)]
        assert all(0 <= d <= cap for d in delays)
        assert max(delays) > cap * 0.8  # spread over the whole window, not fixed
        assert len(set(delays)) > 150


@pytest.fixture
def https_server(tmp_path) -> Iterator[tuple[str, Path]]:
    """A real HTTPS endpoint on loopback with a private CA; answers like a collector that stores."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "schoolnet test CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "ca.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            body = json.dumps({"status": "stored", "detail": "ok"}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert_path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_tls_is_verified_and_ca_bundle_is_honoured(tmp_path, https_server) -> None:
    url, ca = https_server
    state = tmp_path / "state"
    init_keys(state)
    queue_report(state, "r1", b'{"report_id": "r1"}')
    fast = {"enabled": True, "url": url, "max_attempts": 1, "backoff_initial_s": 0, "timeout_s": 5}
    result = flush(Outbox(state), UploadConfig(**fast))
    assert result.delivered == [] and "TLS verification failed: self-signed certificate" in result.waiting[0].reason()
    assert [i.report_id for i in Outbox(state).items()] == ["r1"], "nothing is lost when TLS fails"
    result = flush(Outbox(state), UploadConfig(**fast, ca_bundle=ca))
    assert result.delivered == ["r1"] and Outbox(state).items() == []
