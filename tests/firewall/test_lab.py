"""The namespace lab itself: real namespaces and nftables rules, both profiles, and nothing left behind."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from agent.lab.netns import SEGMENTS, NetnsLab, available
from probes.firewall.vantage import VantageError, run_in

pytestmark = pytest.mark.netns


def connect(address: str, port: int) -> str:
    try:
        socket.create_connection((address, port), timeout=0.5).close()
        return "open"
    except ConnectionRefusedError:
        return "closed"
    except TimeoutError:
        return "filtered"
    except OSError as exc:
        return f"error {exc.errno}"


def test_profiles_change_what_the_student_segment_reaches(netns_lab: NetnsLab) -> None:
    gateway = SEGMENTS["student"].gateway
    netns_lab.set_profile("well-kept")
    assert run_in(netns_lab.ns("student"), connect, gateway, 22) == "filtered"
    assert run_in(netns_lab.ns("student"), connect, gateway, 53) == "open"
    assert run_in(netns_lab.ns("student"), connect, gateway, 23) == "closed"
    netns_lab.set_profile("leaky")
    try:
        assert run_in(netns_lab.ns("student"), connect, gateway, 22) == "open"
    finally:
        netns_lab.set_profile("well-kept")


def test_unknown_namespace_is_a_clear_error() -> None:
    with pytest.raises(VantageError, match="not found"):
        run_in("snfw-does-not-exist", connect, "127.0.0.1", 1)


@pytest.mark.skipif(available() is not None, reason="needs root, ip and nft")
def test_stop_removes_every_namespace_even_after_a_failed_start(tmp_path: Path) -> None:
    lab = NetnsLab("leaky", tmp_path)

    def broken() -> None:
        raise RuntimeError("boom")

    lab._services = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="boom"):
        lab.start()
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not [ns for ns in lab.namespaces.values() if ns in listed]
