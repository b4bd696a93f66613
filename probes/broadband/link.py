"""The agent's own network link: which interface reaches the test server, and its negotiated speed.

A gigabit requirement cannot be shown from a 100 Mbps port, so the evidence records the NIC's speed and the
checks answer "unknown" (test from a faster port) instead of "fail" when the NIC is slower than the threshold.
Linux only: the route comes from ``ip -j route get`` (falling back to /proc/net/route for the default route),
the speed from ``/sys/class/net/IF/speed`` (Mbps; -1 or unreadable for virtual and unplugged interfaces).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

SYSFS_NET = Path("/sys/class/net")


@dataclass(frozen=True)
class LinkInfo:
    interface: str | None
    speed_mbps: int | None
    note: str | None = None


def route_interface(host: str) -> str | None:
    """The interface the kernel would use to reach ``host`` (None when it cannot tell)."""
    try:
        address = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][4][0]
    except (OSError, IndexError):
        return None
    ip = shutil.which("ip")
    if ip is not None:
        try:
            done = subprocess.run([ip, "-j", "route", "get", str(address)], capture_output=True, text=True,
                                  timeout=5, check=False)
            routes = json.loads(done.stdout or "[]")
            if routes and routes[0].get("dev"):
                return str(routes[0]["dev"])
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
    return default_route_interface()


def default_route_interface(proc_route: Path = Path("/proc/net/route")) -> str | None:
    try:
        lines = proc_route.read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) > 2 and fields[1] == "00000000":
            return fields[0]
    return None


def link_speed_mbps(interface: str, sysfs: Path = SYSFS_NET) -> int | None:
    """Negotiated speed in Mbps from sysfs; None for loopback, virtual, down or unknown-speed interfaces."""
    try:
        value = int((sysfs / interface / "speed").read_text().strip())
    except (OSError, ValueError):
        return None
    return value if value > 0 else None


def local_link(host: str | None, interface: str | None = None, sysfs: Path = SYSFS_NET) -> LinkInfo:
    """The link toward ``host`` (or the named ``interface``; the default route when the host is unknown)."""
    name = interface or (route_interface(host) if host else default_route_interface())
    if name is None:
        return LinkInfo(None, None, "no route to the test server was found")
    speed = link_speed_mbps(name, sysfs)
    note = None if speed is not None else f"{name} reports no negotiated speed (virtual, loopback or down)"
    return LinkInfo(name, speed, note)
