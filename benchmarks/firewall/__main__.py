"""Exposure scan benchmark: schoolnet beside nmap on the namespace lab.

    .venv/bin/python -m benchmarks.firewall [--rate 1000] [--ports 1-1000] [--runs 1]

For each lab profile (well kept, leaky) and each scanned host (the gateway from the staff and the student
segments, the school's public address from the internet), it runs, inside the same namespace:

- ``nmap -sS -n -Pn --max-rate R -p PORTS --reason -oX -`` (Debian package nmap), and
- ``schoolnet firewall scan --rate R --ports PORTS --format json`` (identification off: nmap -sS does none),

and compares the state of every port and the wall time. nmap names an ICMP-rejected port "filtered" with its
reason (admin-prohibited, port-unreach ...); the comparison maps those reasons to schoolnet's "rejected".
Then it measures the cost of building and sending SYNs with scapy against plain raw sockets (the reason the
probe uses raw sockets). Needs root, ip, nft and nmap.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import tomli_w

from agent.lab.netns import SEGMENTS, WAN_FIREWALL, NetnsLab, available

SCHOOLNET = str(Path(sys.executable).parent / "schoolnet")
VANTAGES = (("staff", SEGMENTS["staff"].gateway), ("student", SEGMENTS["student"].gateway),
            ("inet", WAN_FIREWALL))


def nmap_state(state: str, reason: str) -> str:
    if state in ("open", "closed"):
        return state
    if "unreach" in reason or "prohibited" in reason:
        return "rejected"
    return "filtered"


def run_nmap(lab: NetnsLab, role: str, address: str, ports: str, rate: float) -> tuple[float, dict[int, str]]:
    started = time.monotonic()
    done = subprocess.run(["ip", "netns", "exec", lab.ns(role), "nmap", "-sS", "-n", "-Pn", "--max-rate", f"{rate:g}",
                           "-p", ports, "--reason", "-oX", "-", address], capture_output=True, text=True, check=True)
    elapsed = time.monotonic() - started
    states: dict[int, str] = {}
    root = ET.fromstring(done.stdout)
    for port in root.iter("port"):
        state = port.find("state")
        assert state is not None
        states[int(port.get("portid", "0"))] = nmap_state(state.get("state", ""), state.get("reason", ""))
    for extra in root.iter("extrareasons"):  # ports nmap folded into a count ("997 filtered: no-response")
        for item in (extra.get("ports") or "").split(","):
            if not item:
                continue
            low, _, high = item.partition("-")
            for port in range(int(low), int(high or low) + 1):
                states[port] = nmap_state(extra.get("state") or "filtered", extra.get("reason", ""))
    return elapsed, states


def run_schoolnet(lab: NetnsLab, role: str, address: str, ports: str, rate: float, workdir: Path
                  ) -> tuple[float, dict[int, str]]:
    config = workdir / f"bench-{role}.toml"
    config.write_text(tomli_w.dumps({
        "site": {"id": "bench", "name": "bench", "phase": "secondary"},
        "firewall": {"targets": [address], "include_gateway": False, "udp_ports": [], "identify": False,
                     "max_ports": 65535},
    }))
    started = time.monotonic()
    done = subprocess.run(["ip", "netns", "exec", lab.ns(role), SCHOOLNET, "firewall", "scan", "--config", str(config),
                           "--target", address, "--ports", ports, "--rate", f"{rate:g}", "--format", "json"],
                          capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"schoolnet firewall scan failed ({done.returncode}): {done.stderr}")
    host = json.loads(done.stdout)["hosts"][0]
    states = {p["port"]: p["state"] for p in host["ports"] if p["protocol"] == "tcp"}
    return elapsed, states


def expand(ports: str) -> list[int]:
    from probes.firewall.ports import parse_ports

    return parse_ports(ports, max_ports=65535)


def scapy_vs_raw(lab: NetnsLab, count: int = 1000) -> str:
    """CPU time to build and send ``count`` SYNs (to dropped ports) with scapy and with struct + a raw socket."""
    code = f"""
import socket, time
t0 = time.process_time(); t0w = time.monotonic()
from scapy.all import IP, TCP, conf, send
import_s = time.monotonic() - t0w
dst = "{SEGMENTS['staff'].gateway}"
packets = [IP(dst=dst) / TCP(sport=40000, dport=20000 + i, flags="S") for i in range({count})]
t1 = time.process_time()
sock = conf.L3socket()
for p in packets:
    sock.send(p)
sock.close()
scapy_cpu = time.process_time() - t1
from probes.firewall.rawsyn import source_address, syn_segment
t2 = time.process_time()
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
src = source_address(dst)
for i in range({count}):
    raw.sendto(syn_segment(src, dst, 40001, 20000 + i, 1), (dst, 0))
raw.close()
raw_cpu = time.process_time() - t2
print(f"{{import_s:.2f}} {{scapy_cpu:.3f}} {{raw_cpu:.4f}}")
"""
    done = subprocess.run(["ip", "netns", "exec", lab.ns("staff"), sys.executable, "-c", code], capture_output=True,
                          text=True, check=True)
    import_s, scapy_cpu, raw_cpu = (float(x) for x in done.stdout.split())
    return (f"Build + send {count} SYNs (CPU): scapy {scapy_cpu:.3f} s (plus {import_s:.2f} s to import scapy), "
            f"raw socket + struct {raw_cpu:.4f} s: {scapy_cpu / max(raw_cpu, 1e-6):.0f}x less CPU with raw sockets")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1000.0, help="probes per second for both scanners")
    parser.add_argument("--ports", default="1-1000")
    parser.add_argument("--runs", type=int, default=1, help="runs per scanner per host; the median time is shown")
    args = parser.parse_args()
    why = available()
    if why is not None or shutil.which("nmap") is None:
        sys.exit(f"benchmarks.firewall {why or 'needs nmap (Debian package nmap)'}")
    wanted = expand(args.ports)
    rows = []
    with tempfile.TemporaryDirectory(prefix="snfw-bench-") as tmp, NetnsLab("well-kept", Path(tmp) / "lab") as lab:
        for profile in ("well-kept", "leaky"):
            lab.set_profile(profile)  # type: ignore[arg-type]
            for role, address in VANTAGES:
                nmap_times, ours_times = [], []
                for _ in range(args.runs):
                    t_nmap, nmap_states = run_nmap(lab, role, address, args.ports, args.rate)
                    t_ours, our_states = run_schoolnet(lab, role, address, args.ports, args.rate, Path(tmp))
                    nmap_times.append(t_nmap)
                    ours_times.append(t_ours)
                    mismatches = [p for p in wanted if nmap_states.get(p, "filtered") != our_states.get(p, "filtered")]
                nmap_s, ours_s = sorted(nmap_times)[len(nmap_times) // 2], sorted(ours_times)[len(ours_times) // 2]
                counts = {s: sum(1 for p in wanted if our_states.get(p, "filtered") == s)
                          for s in ("open", "closed", "rejected", "filtered")}
                rows.append((profile, role, address, nmap_s, ours_s, mismatches, counts))
                print(f"{profile:<9} from {role:<7} {address:<13} nmap {nmap_s:5.2f} s  schoolnet {ours_s:5.2f} s  "
                      f"ratio {ours_s / nmap_s:4.2f}  mismatches {len(mismatches)}", file=sys.stderr)
        scapy_line = scapy_vs_raw(lab)
    print(f"\nExposure scan, {len(wanted)} TCP ports per host, --rate {args.rate:g} / nmap --max-rate {args.rate:g} "
          f"(wall time of the whole command, median of {args.runs} run(s))\n")
    print("| profile | from | host | open/closed/rejected/filtered | nmap -sS s | schoolnet s | ratio | "
          "same state as nmap |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: | --- |")
    for profile, role, address, nmap_s, ours_s, mismatches, counts in rows:
        same = "all" if not mismatches else f"{len(wanted) - len(mismatches)}/{len(wanted)} (differ: {mismatches[:8]})"
        print(f"| {profile} | {role} | {address} | {counts['open']}/{counts['closed']}/{counts['rejected']}/"
              f"{counts['filtered']} | {nmap_s:.2f} | {ours_s:.2f} | {ours_s / nmap_s:.2f} | {same} |")
    worst = max(r[4] / r[3] for r in rows)
    all_same = all(not r[5] for r in rows)
    print(f"\nTarget: same state for every port ({'met' if all_same else 'NOT met'}), wall time within 1.5x of "
          f"nmap's (worst ratio {worst:.2f}: {'met' if worst <= 1.5 else 'NOT met'}).")
    print(scapy_line)


if __name__ == "__main__":
    main()
