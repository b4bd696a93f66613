"""Real servers on loopback for the broadband tests: the speed server, and small misbehaving servers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent.lab.procs import free_port
from agent.speed_server import make_server


@contextmanager
def running_speed_server(**options: float | None) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, **options)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def speed_url() -> Iterator[str]:
    with running_speed_server() as url:
        yield url


@contextmanager
def running_handler(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Any BaseHTTPRequestHandler on a free loopback port (for servers that misbehave on purpose)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A loopback port with nothing listening (bound and released)."""
    return free_port()


@pytest.fixture
def handler_server() -> Callable[[type[BaseHTTPRequestHandler]], object]:
    return running_handler


@pytest.fixture
def speed_server_factory() -> Callable[..., object]:
    """``with speed_server_factory(shape_mbps=80, limit_mbps=500) as url: ...``"""
    return running_speed_server


@pytest.fixture
def dead_url() -> str:
    return f"http://127.0.0.1:{closed_port()}"
