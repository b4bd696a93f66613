"""Guest isolation against real loopback listeners; live capture's checks, socket loop and channel hopper."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from scapy.all import raw

from agent.config.wifi import GuestIsolationConfig
from probes.wifi.guest import (
    NotOnGuestNetwork,
    check_guest_isolation,
    connected_ssid,
    probe_isolation,
    probe_port,
    target_addresses,
)
from probes.wifi.live import ChannelHopper, LiveCaptureError, capture_from_socket, preflight
from tests.conftest import free_port
from tests.wifi.helpers import beacon, ht, rsn


@pytest.fixture
def listener() -> Any:
    """A real TCP service on loopback (the 'MIS server' a guest must not reach)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                conn.close()
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        server.close()


def test_probe_port_open_and_refused(listener: int) -> None:
    assert asyncio.run(probe_port("127.0.0.1", listener, 1.0)).outcome == "open"
    refused = asyncio.run(probe_port("127.0.0.1", free_port(), 1.0))
    assert (refused.outcome, refused.reachable) == ("refused", False)


def test_isolation_probe_is_bounded(listener: int) -> None:
    cfg = GuestIsolationConfig(ssid="Guest", addresses=["127.0.0.1"], subnets=["127.0.1.0/24"],
                               ports=[listener, free_port()], timeout_s=0.5, max_probes=5, require_connected=False)
    assert target_addresses(cfg) == ["127.0.0.1", "127.0.1.1", "127.0.1.254"]
    evidence = asyncio.run(probe_isolation(cfg, None))
    assert len(evidence.probes) == 5
    assert [p.reachable for p in evidence.probes[:2]] == [True, False]
    assert evidence.timeout_s == 0.5


def test_target_addresses_for_small_and_wide_subnets() -> None:
    cfg = GuestIsolationConfig(ssid="G", subnets=["10.0.0.0/31", "10.1.0.0/16"], hosts_per_subnet=4)
    assert target_addresses(cfg) == ["10.0.0.0", "10.1.0.1", "10.1.0.2", "10.1.255.253", "10.1.255.254"]


def test_guest_check_refuses_to_run_from_another_network(listener: int) -> None:
    cfg = GuestIsolationConfig(ssid="Guest", addresses=["127.0.0.1"], ports=[listener])

    def on_staff(argv: Any) -> tuple[int, str, str]:
        if list(argv[:2]) == ["iw", "dev"]:
            return 0, "Connected to 02:00:00:00:00:01 (on wlan0)\n\tSSID: Staff\n\tfreq: 5180\n", ""
        return 127, "", "not found"

    assert connected_ssid("wlan0", on_staff) == "Staff"
    with pytest.raises(NotOnGuestNetwork, match="'Staff'"):
        check_guest_isolation(cfg, "wlan0", on_staff)

    def on_guest(argv: Any) -> tuple[int, str, str]:
        if argv[0] == "nmcli":
            return 0, "no:Staff\nyes:Guest\n", ""
        return 1, "", "Not connected."

    evidence = check_guest_isolation(cfg, "wlan0", on_guest)
    assert evidence.connected_ssid == "Guest" and evidence.probes[0].reachable


def test_live_preflight_explains_what_is_missing(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        with pytest.raises(LiveCaptureError, match="root"):
            preflight("wlan0")
        return
    fake_sys = tmp_path / "sys"
    (fake_sys / "eth0").mkdir(parents=True)
    (fake_sys / "wlan0" / "phy80211").mkdir(parents=True)
    with pytest.raises(LiveCaptureError, match="no network interface 'wlan9'.*eth0"):
        preflight("wlan9", sys_net=fake_sys)
    with pytest.raises(LiveCaptureError, match="not a wireless interface"):
        preflight("eth0", sys_net=fake_sys)
    managed = lambda argv: (0, "Interface wlan0\n\ttype managed\n", "")  # noqa: E731
    with pytest.raises(LiveCaptureError, match="iw dev wlan0 set type monitor"):
        preflight("wlan0", managed, sys_net=fake_sys)
    monitor = lambda argv: (0, "Interface wlan0\n\ttype monitor\n", "")  # noqa: E731
    preflight("wlan0", monitor, sys_net=fake_sys)


def test_capture_loop_reads_frames_from_a_socket() -> None:
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        for dbm in (-50, -52):
            left.send(raw(beacon("02:00:00:00:00:01", b"Live", 6, dbm, [rsn([8], mfpc=1, mfpr=1), ht()])))
        left.send(b"\x00garbage")
        analyzer = capture_from_socket(right, 0.3)
    finally:
        left.close()
        right.close()
    assert (analyzer.frames_total, analyzer.frames_malformed) == (3, 1)
    (network,) = analyzer.networks()
    assert (network.ssid, network.security, network.frames) == ("Live", "wpa3-personal", 2)


def test_channel_hopper_cycles_and_records_refusals() -> None:
    asked: list[str] = []

    def runner(argv: Any) -> tuple[int, str, str]:
        asked.append(argv[-1])
        return (1, "", "Invalid argument") if argv[-1] == "165" else (0, "", "")

    hopper = ChannelHopper("wlan0mon", [1, 6, 165], 0.01, runner)
    hopper.start()
    while len(asked) < 7:
        threading.Event().wait(0.01)
    hopper.stop()
    assert asked[:4] == ["1", "6", "165", "1"]
    assert 165 in hopper.refused and 6 in hopper.visited
