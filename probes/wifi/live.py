"""Live monitor-mode capture: read RadioTap frames from a wireless interface for N seconds, hopping channels.

Needs root (a raw AF_PACKET socket and ``iw dev IF set channel``) and an interface already in monitor
mode; anything missing is a :class:`LiveCaptureError` that says exactly what to do. Frames go through
the same :class:`~probes.wifi.beacons.BeaconAnalyzer` as capture files.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from contract.errors import CollectionError, Reason
from contract.evidence.wifi import WifiScan
from probes.wifi.beacons import LINKTYPE_RADIOTAP, BeaconAnalyzer
from probes.wifi.survey import Runner, run_command

ETH_P_ALL = 0x0003
SYS_NET = Path("/sys/class/net")


class LiveCaptureError(CollectionError):
    """A live capture cannot run here (not root, no such interface, not in monitor mode)."""


def preflight(interface: str, runner: Runner = run_command, *, sys_net: Path = SYS_NET) -> None:
    """Check root, the interface, and monitor mode; raise LiveCaptureError with the fix."""
    if os.geteuid() != 0:
        raise LiveCaptureError("live Wi-Fi capture needs root (raw sockets and channel changes): run it with sudo",
                               reason=Reason.not_permitted)
    if not (sys_net / interface).exists():
        known = sorted(p.name for p in sys_net.iterdir()) if sys_net.exists() else []
        raise LiveCaptureError(f"no network interface {interface!r} (this machine has: {', '.join(known) or 'none'})")
    if not ((sys_net / interface / "wireless").exists() or (sys_net / interface / "phy80211").exists()):
        raise LiveCaptureError(f"{interface} is not a wireless interface")
    code, out, err = runner(["iw", "dev", interface, "info"])
    if code != 0:
        raise LiveCaptureError(f"`iw dev {interface} info` failed: {(err or out).strip() or f'exit {code}'}")
    if "type monitor" not in out:
        raise LiveCaptureError(
            f"{interface} is not in monitor mode; run: ip link set {interface} down; "
            f"iw dev {interface} set type monitor; ip link set {interface} up"
        )


class ChannelHopper(threading.Thread):
    """Switch the interface through ``channels`` every ``dwell_s`` until stopped."""

    def __init__(self, interface: str, channels: Sequence[int], dwell_s: float, runner: Runner = run_command) -> None:
        super().__init__(name=f"hop-{interface}", daemon=True)
        self.interface = interface
        self.channels = list(channels)
        self.dwell_s = dwell_s
        self.runner = runner
        self.visited: list[int] = []
        self.refused: list[int] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        index = 0
        while self.channels and not self._stop_event.is_set():
            channel = self.channels[index % len(self.channels)]
            code, _out, _err = self.runner(["iw", "dev", self.interface, "set", "channel", str(channel)])
            (self.visited if code == 0 else self.refused).append(channel)
            index += 1
            self._stop_event.wait(self.dwell_s)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


def capture_from_socket(
    sock: socket.socket,
    seconds: float,
    analyzer: BeaconAnalyzer | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> BeaconAnalyzer:
    """Feed every frame received on ``sock`` (RadioTap-framed) into an analyzer for ``seconds``."""
    analyzer = analyzer or BeaconAnalyzer()
    deadline = clock() + seconds
    sock.settimeout(0.2)
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            break
        sock.settimeout(min(0.2, remaining))
        try:
            frame = sock.recv(65535)
        except TimeoutError:
            continue
        except BlockingIOError:
            continue
        if frame:
            analyzer.add_frame(LINKTYPE_RADIOTAP, frame)
    return analyzer


def live_capture(
    interface: str,
    seconds: float,
    channels: Sequence[int],
    dwell_s: float = 0.3,
    runner: Runner = run_command,
) -> WifiScan:
    """Capture beacons live for ``seconds`` while hopping ``channels``. Raises LiveCaptureError."""
    preflight(interface, runner)
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        sock.bind((interface, 0))
    except OSError as exc:
        raise LiveCaptureError(f"cannot open a raw socket on {interface}: {exc}") from None
    hopper = ChannelHopper(interface, channels, dwell_s, runner)
    hopper.start()
    try:
        analyzer = capture_from_socket(sock, seconds)
    finally:
        hopper.stop()
        sock.close()
    if not hopper.visited and channels:
        raise LiveCaptureError(f"{interface} refused every channel change ({', '.join(map(str, channels[:5]))} ...)")
    return analyzer.scan("live")
