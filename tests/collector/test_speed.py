"""The collector's /speed endpoint is bounded (issue 9 defect 8): bytes per request, concurrent transfers per
client address, and optionally only enrolled sites."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contract.speed import make_credential
from tests.support.collector_kit import CollectorProcess


def test_default_bounds_on_the_normal_collector(running) -> None:
    for nbytes in (4 << 30, (1 << 30) + 1):
        response = requests.get(running.url + "/speed/download", params={"bytes": nbytes}, timeout=10)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "too_large"
    # The http backend's request size (1 GiB) is still served; only the headers are read here.
    with requests.get(running.url + "/speed/download", params={"bytes": 1 << 30}, stream=True, timeout=10) as ok:
        assert ok.status_code == 200 and ok.headers["content-length"] == str(1 << 30)
    assert _declared_upload(running.url, (1 << 30) + 1) == 413


def _declared_upload(base_url: str, length: int) -> int:
    """Announce a body of ``length`` bytes and send none: the answer must come before the body."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest("POST", "/speed/upload")
        connection.putheader("Content-Length", str(length))
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.fixture(scope="module")
def strict(running, tmp_path_factory) -> Iterator[str]:
    """A collector on the same database whose /speed allows 2 transfers per address and enrolled sites only."""
    args = ["--speed-max-transfers", "2", "--speed-max-bytes", "5000000", "--speed-enrolled-only"]
    server = CollectorProcess(running.db_url, tmp_path_factory.mktemp("strict"), extra_args=args).start()
    try:
        yield server.url
    finally:
        server.stop()


def test_enrolled_sites_only(running, strict) -> None:
    assert requests.get(strict + "/speed/ping", timeout=10).status_code == 401
    stranger = make_credential(Ed25519PrivateKey.generate())
    assert requests.get(strict + "/speed/ping", headers={"Authorization": stranger}, timeout=10).status_code == 401
    stale = make_credential(running.keys_a.private_key, now_s=0)
    assert requests.get(strict + "/speed/ping", headers={"Authorization": stale}, timeout=10).status_code == 401
    enrolled = {"Authorization": make_credential(running.keys_a.private_key)}
    assert requests.get(strict + "/speed/ping", headers=enrolled, timeout=10).text == "pong\n"
    # The collector's own API is unaffected.
    assert requests.get(strict + "/api/v1/health", timeout=10).status_code == 200


def test_bytes_per_request_and_transfers_per_address(running, strict) -> None:
    auth = {"Authorization": make_credential(running.keys_b.private_key)}
    too_big = requests.get(strict + "/speed/download", params={"bytes": 5_000_001}, headers=auth, timeout=10)
    assert too_big.status_code == 400

    def chunks() -> Iterator[bytes]:  # a streamed upload over the limit is cut off
        for _ in range(100):
            yield b"u" * 65536

    assert requests.post(strict + "/speed/upload", data=chunks(), headers=auth, timeout=10).status_code == 413
    with requests.Session() as one, requests.Session() as two, requests.Session() as three:
        first = one.get(strict + "/speed/download", params={"bytes": 5_000_000}, headers=auth, stream=True, timeout=10)
        second = two.get(strict + "/speed/download", params={"bytes": 5_000_000}, headers=auth, stream=True, timeout=10)
        assert first.status_code == second.status_code == 200
        refused = three.get(strict + "/speed/download", params={"bytes": 1000}, headers=auth, timeout=10)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        assert three.get(strict + "/speed/ping", headers=auth, timeout=10).status_code == 200  # pings still answer
        assert len(first.content) == 5_000_000  # finished: its slot is free again
        first.close()
        again = three.get(strict + "/speed/download", params={"bytes": 1000}, headers=auth, timeout=10)
        assert again.status_code == 200 and len(again.content) == 1000
        second.close()
