"""Fixtures shared by every test area."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from agent.lab.procs import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]


def _realworld_dir() -> Path | None:
    explicit = os.environ.get("SCHOOLNET_REALWORLD")
    candidates = [Path(explicit)] if explicit else []
    candidates.append(REPO_ROOT.parent / "shared" / "realworld")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def realworld() -> Path:
    """../shared/realworld (real device output written by others); the test is skipped when absent."""
    found = _realworld_dir()
    if found is None:
        pytest.skip("../shared/realworld is not present")
    return found


@pytest.fixture
def tcp_port() -> int:
    return free_port()


@pytest.fixture
def udp_port() -> int:
    return free_port(socket.SOCK_DGRAM)
