"""Broadband accuracy benchmark (root): ``.venv/bin/python -m benchmarks.broadband [--quick]``.

Two network namespaces joined by a veth pair, each end shaped with ``tc tbf`` (egress, so each direction is
shaped once) to 100 Mbit/s and then 1 Gbit/s. In the server namespace run ``schoolnet speed-server`` (which also
serves the speedtest "mini" endpoints) and ``iperf3 -s``; from the client namespace measure download and upload
with schoolnet's http backend, schoolnet's speedtest backend (speedtest-cli as a library), the stock
``speedtest-cli --mini`` command, and iperf3 as the reference. Then again with the speed server sleeping 20 ms
before each response (a crude stand-in for distance). Prints measured/shaped and measured/iperf3 for each, and
the CPU schoolnet's client used (percent of one core over its wall time).

Namespaces, veth and processes are removed on every exit path (including Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from agent.lab.procs import stop_process

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable
PID = os.getpid()
NS_CLIENT, NS_SERVER = f"snbb-c-{PID}", f"snbb-s-{PID}"
VETH_CLIENT, VETH_SERVER = f"snbc{PID % 100000}", f"snbs{PID % 100000}"
SUBNET = 10 + PID % 200
IP_CLIENT, IP_SERVER = f"10.253.{SUBNET}.1", f"10.253.{SUBNET}.2"
SPEED_PORT, IPERF_PORT = 8088, 5201


def sh(*args: str, check: bool = True, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), check=check, capture_output=True, text=True, **kw)  # type: ignore[call-overload]


def in_ns(ns: str, *args: str) -> list[str]:
    return ["ip", "netns", "exec", ns, *args]


@dataclass
class Bench:
    procs: list[subprocess.Popen[str]] = field(default_factory=list)

    def setup(self) -> None:
        sh("ip", "netns", "add", NS_CLIENT)
        sh("ip", "netns", "add", NS_SERVER)
        sh("ip", "link", "add", VETH_CLIENT, "type", "veth", "peer", "name", VETH_SERVER)
        sh("ip", "link", "set", VETH_CLIENT, "netns", NS_CLIENT)
        sh("ip", "link", "set", VETH_SERVER, "netns", NS_SERVER)
        for ns, dev, ip in ((NS_CLIENT, VETH_CLIENT, IP_CLIENT), (NS_SERVER, VETH_SERVER, IP_SERVER)):
            sh("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "set", dev, "up")

    def shape(self, mbit: int) -> None:
        burst_bytes = max(32_000, mbit * 1_000_000 // 8 // 250)  # 4 ms of line rate: enough for the kernel's timer
        for ns, dev in ((NS_CLIENT, VETH_CLIENT), (NS_SERVER, VETH_SERVER)):
            sh("tc", "-n", ns, "qdisc", "replace", "dev", dev, "root", "tbf", "rate", f"{mbit}mbit",
               "burst", str(burst_bytes), "latency", "30ms")

    def start(self, args: list[str], ns: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(in_ns(ns, *args), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                text=True)
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[str]) -> None:
        stop_process(proc, grace_s=5.0)
        if proc in self.procs:
            self.procs.remove(proc)

    def cleanup(self) -> None:
        for proc in list(self.procs):
            self.stop(proc)
        for ns in (NS_CLIENT, NS_SERVER):
            sh("ip", "netns", "del", ns, check=False)  # the veth pair goes with its namespaces


def wait_port(ns: str, port: int, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        probe = f"import socket; socket.create_connection(('{IP_SERVER}', {port}), timeout=0.5).close()"
        if sh(*in_ns(ns, PY, "-c", probe), check=False).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {IP_SERVER}:{port}")


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def iperf3(duration: int, reverse: bool) -> float:
    args = ["iperf3", "-c", IP_SERVER, "-p", str(IPERF_PORT), "-J", "-P", "4", "-t", str(duration), "-O", "1"]
    done = sh(*in_ns(NS_CLIENT, *args, *(["-R"] if reverse else [])), check=False)
    doc = json.loads(done.stdout)
    if doc.get("error"):
        raise RuntimeError(f"iperf3: {doc['error']}")
    return float(doc["end"]["sum_received"]["bits_per_second"]) / 1e6


def schoolnet_client(tool: str, duration: float, streams: int) -> dict[str, float]:
    url = f"http://{IP_SERVER}:{SPEED_PORT}/"
    done = sh(*in_ns(NS_CLIENT, PY, "-m", "benchmarks.broadband.client", tool, url, str(duration), str(streams)),
              check=False, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"{tool} client failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def stock_speedtest_cli() -> dict[str, float]:
    url = f"http://{IP_SERVER}:{SPEED_PORT}/"
    cli = shutil.which("speedtest-cli", path=str(Path(PY).parent)) or "speedtest-cli"
    # The stock CLI always fetches www.speedtest.net's config: the speed server answers it as an http proxy.
    env = {**os.environ, "http_proxy": url.rstrip("/"), "no_proxy": ""}
    done = subprocess.run(in_ns(NS_CLIENT, cli, "--mini", url, "--json"), capture_output=True, text=True, env=env,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"speedtest-cli failed: {done.stderr.strip()[-200:]}")
    doc = json.loads(done.stdout)
    return {"download_mbps": doc["download"] / 1e6, "upload_mbps": doc["upload"] / 1e6}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter tests (less stable figures)")
    parser.add_argument("--rates", default="100,1000", help="shaped rates in Mbit/s")
    parser.add_argument("--no-stock-cli", action="store_true", help="skip the stock speedtest-cli command")
    parser.add_argument("--tools", default="http,speedtest,stock", help="which clients: http,speedtest,stock")
    parser.add_argument("--delays", default="0,20", help="server delays before each response, in ms")
    opts = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root (network namespaces and tc)", file=sys.stderr)
        return 3
    for tool in ("ip", "tc", "iperf3"):
        if shutil.which(tool) is None:
            print(f"needs {tool}", file=sys.stderr)
            return 3
    duration = 5 if opts.quick else 8
    streams = 8
    bench = Bench()

    def on_signal(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    rows: list[tuple[str, ...]] = []
    try:
        bench.setup()
        iperf_server = bench.start(["iperf3", "-s", "-B", IP_SERVER, "-p", str(IPERF_PORT)], NS_SERVER)
        wait_port(NS_SERVER, IPERF_PORT)
        for mbit in (int(r) for r in opts.rates.split(",")):
            bench.shape(mbit)
            ref_down = iperf3(duration, reverse=True)
            ref_up = iperf3(duration, reverse=False)
            rows.append((f"{mbit}", "-", "iperf3 (reference)", f"{ref_down:.1f}", f"{ref_up:.1f}",
                         f"{ref_down / mbit:.3f}", f"{ref_up / mbit:.3f}", "1.000", "1.000", "", ""))
            print(f"[{mbit} Mbit/s] iperf3 {ref_down:.1f} down / {ref_up:.1f} up", file=sys.stderr, flush=True)
            for delay in (int(d) for d in opts.delays.split(",")):
                server = bench.start([PY, "-m", "agent.speed_server", "--host", IP_SERVER, "--port", str(SPEED_PORT),
                                      "--delay-ms", str(delay)], NS_SERVER)
                wait_port(NS_SERVER, SPEED_PORT)
                wanted = set(opts.tools.split(",")) - ({"stock"} if opts.no_stock_cli else set())
                tools = [(label, tool) for label, tool in (("schoolnet http", "http"), ("schoolnet speedtest",
                         "speedtest"), ("speedtest-cli --mini", "stock")) if tool in wanted]
                for label, tool in tools:
                    cpu_before = proc_cpu_s(server.pid)
                    wall_before = time.monotonic()
                    try:
                        got = stock_speedtest_cli() if tool == "stock" else schoolnet_client(tool, duration, streams)
                    except (RuntimeError, ValueError) as exc:
                        print(f"  {label}: {exc}", file=sys.stderr)
                        continue
                    server_cpu = 100 * (proc_cpu_s(server.pid) - cpu_before) / (time.monotonic() - wall_before)
                    down, up = got["download_mbps"], got["upload_mbps"]
                    client_cpu = f"{got['cpu_percent']:.0f}%" if "cpu_percent" in got else ""
                    rows.append((f"{mbit}", f"{delay}", label, f"{down:.1f}", f"{up:.1f}", f"{down / mbit:.3f}",
                                 f"{up / mbit:.3f}", f"{down / ref_down:.3f}", f"{up / ref_up:.3f}", client_cpu,
                                 f"{server_cpu:.0f}%"))
                    print(f"[{mbit} Mbit/s, +{delay} ms] {label}: {down:.1f} down / {up:.1f} up", file=sys.stderr,
                          flush=True)
                bench.stop(server)
        bench.stop(iperf_server)
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        bench.cleanup()
    header = ("Mbit/s", "delay ms", "tool", "down", "up", "down/shaped", "up/shaped", "down/iperf3", "up/iperf3",
              "client CPU", "server CPU")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(f"\n{duration} s per direction, {streams} streams (iperf3: 4 streams, -O 1); CPU = percent of one core "
          f"over the measurement's wall time; server CPU is the speed server's ({os.cpu_count()} cores here).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
