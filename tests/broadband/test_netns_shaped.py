"""Through a real kernel shaper: a speed server in its own network namespace behind a veth pair shaped with
``tc tbf``; the http backend must read the shaped rate (less TCP/IP framing) in both directions.
Needs root, ``ip`` and ``tc``; skipped otherwise. The namespace (and the veth with it) is always removed."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from agent.lab.procs import stop_process
from probes.broadband.http_backend import HttpSettings, measure

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("tc"),
                       reason="needs root, ip and tc"),
]


def run(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True)


@pytest.fixture
def shaped_server():
    pid = os.getpid()
    ns, host_dev, ns_dev = f"snbt-{pid}", f"snth{pid % 100000}", f"sntn{pid % 100000}"
    subnet = 10 + pid % 200
    host_ip, ns_ip = f"10.252.{subnet}.1", f"10.252.{subnet}.2"
    proc = None
    try:
        run("ip", "netns", "add", ns)
        run("ip", "link", "add", host_dev, "type", "veth", "peer", "name", ns_dev, "netns", ns)
        run("ip", "addr", "add", f"{host_ip}/24", "dev", host_dev)
        run("ip", "link", "set", host_dev, "up")
        run("ip", "-n", ns, "addr", "add", f"{ns_ip}/24", "dev", ns_dev)
        run("ip", "-n", ns, "link", "set", ns_dev, "up")
        run("ip", "-n", ns, "link", "set", "lo", "up")
        for where, dev in ((None, host_dev), (ns, ns_dev)):
            prefix = ["tc"] if where is None else ["tc", "-n", where]
            run(*prefix, "qdisc", "replace", "dev", dev, "root", "tbf", "rate", "50mbit", "burst", "32kb",
                "latency", "30ms")
        proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-m", "agent.speed_server", "--host",
                                 ns_ip, "--port", "8088"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((ns_ip, 8088), timeout=0.3).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the speed server in the namespace did not start"
                time.sleep(0.1)
        yield f"http://{ns_ip}:8088"
    finally:
        stop_process(proc)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)  # the veth pair goes with it
        subprocess.run(["ip", "link", "del", host_dev], capture_output=True)  # in case the netns never got it


def test_reads_the_tbf_rate_both_ways(shaped_server):
    result = measure(HttpSettings(url=shaped_server, streams=4, duration_s=2.5, warmup_s=0.7, ping_count=3))
    # 50 Mbit/s of Ethernet frames carry ~47.8 Mbit/s of TCP payload; a wide band for a busy 2-core CI box.
    assert result.download_mbps is not None and 42 < result.download_mbps < 52
    assert result.upload_mbps is not None and 42 < result.upload_mbps < 52
    assert result.latency_loaded_ms is not None and result.latency_idle_ms is not None
