"""The reference speed server: every endpoint over real HTTP, stdlib server and the FastAPI router."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from probes.broadband.http_backend import HttpSettings, measure
from probes.broadband.speedtest_backend import parse_config
from tests.conftest import free_port


def test_ping_info_download_upload(speed_server_factory):
    with speed_server_factory(limit_mbps=500.0) as url:
        assert requests.get(f"{url}/ping", timeout=5).text == "pong\n"
        info = requests.get(f"{url}/info", timeout=5).json()
        assert info["service"] == "schoolnet-speed" and info["limit_mbps"] == 500.0
        assert info["udp_echo_port"] == int(url.rsplit(":", 1)[1])  # same number as the TCP port
        body = requests.get(f"{url}/download?bytes=3000001", timeout=5).content
        assert len(body) == 3000001
        posted = requests.post(f"{url}/upload", data=b"x" * 2_500_000, timeout=5).json()
        assert posted == {"received_bytes": 2_500_000}


def test_bad_requests(speed_url):
    assert requests.get(f"{speed_url}/download?bytes=abc", timeout=5).status_code == 400
    assert requests.get(f"{speed_url}/download?bytes=-1", timeout=5).status_code == 400
    assert requests.get(f"{speed_url}/nothing-here", timeout=5).status_code == 404


def test_speedtest_mini_endpoints(speed_url):
    assert 'upload_extension: "php"' in requests.get(f"{speed_url}/", timeout=5).text
    assert requests.get(f"{speed_url}/speedtest/latency.txt", timeout=5).text == "test=test\n"
    assert len(requests.get(f"{speed_url}/speedtest/random350x350.jpg", timeout=5).content) == 350 * 350 * 2
    assert requests.post(f"{speed_url}/speedtest/upload.php", data=b"c" * 131072, timeout=5).text == "size=131072"
    sections = parse_config(requests.get(f"{speed_url}/speedtest-config.php", timeout=5).content, "test")
    assert sections["upload"]["ratio"] == "3"


def test_short_upload_php_body_does_not_hang(speed_url):
    """speedtest-cli announces 65,536 bytes and sends 65,529: the mini endpoint answers anyway."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(speed_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(b"POST /speedtest/upload.php HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n" + b"a" * 65529)
        reply = b""
        while not reply.endswith(b"size=65529"):  # headers and body may arrive in separate segments
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    assert b"200" in reply.split(b"\r\n")[0] and reply.endswith(b"size=65529")


def test_delay_is_applied_before_each_response(speed_server_factory):
    with speed_server_factory(delay_ms=150.0) as url:
        session = requests.Session()
        started = time.perf_counter()
        session.get(f"{url}/ping", timeout=5)
        assert time.perf_counter() - started >= 0.15


@pytest.fixture
def fastapi_speed_url():
    """The FastAPI router mounted at /speed, served by uvicorn on a real port (as the collector will)."""
    uvicorn = pytest.importorskip("uvicorn")
    fastapi = pytest.importorskip("fastapi")
    from agent.speed_server import speed_router

    app = fastapi.FastAPI()
    app.include_router(speed_router(limit_mbps=10000.0), prefix="/speed")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/speed"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_fastapi_router_same_endpoints(fastapi_speed_url):
    url = fastapi_speed_url
    assert requests.get(f"{url}/ping", timeout=5).text == "pong\n"
    assert requests.get(f"{url}/info", timeout=5).json()["limit_mbps"] == 10000.0
    response = requests.get(f"{url}/download?bytes=1234567", timeout=5)
    assert response.headers["content-length"] == "1234567" and len(response.content) == 1234567
    posted = requests.post(f"{url}/upload", data=b"z" * 999_999, timeout=5)
    assert json.loads(posted.text) == {"received_bytes": 999_999}
    assert len(requests.get(f"{url}/speedtest/random100x100.jpg", timeout=5).content) == 20000


def test_http_backend_against_fastapi_router(fastapi_speed_url):
    result = measure(HttpSettings(url=fastapi_speed_url, streams=2, duration_s=1.2, warmup_s=0.2, ping_count=3))
    assert result.download_mbps and result.download_mbps > 0
    assert result.upload_mbps and result.upload_mbps > 0
    assert result.server_limit_mbps == 10000.0
    assert result.server.endswith("/speed")
