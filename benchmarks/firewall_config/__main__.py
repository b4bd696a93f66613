"""Offline audit of a large FortiGate configuration: parse, sanitise, build evidence and judge it.

    .venv/bin/python -m benchmarks.firewall_config [--lines 50000] [--runs 3]

Generates a FortiOS configuration of at least ``--lines`` lines (a school trust's edge firewall taken to
extremes: thousands of addresses and policies across staff, pupil, guest and DMZ interfaces, VIPs,
secrets in every usual place) and times ``schoolnet firewall audit-config FILE --format json`` in-process,
step by step, plus the whole command as a subprocess. Target (issue 13): under 5 s for 50,000 lines.
Beside it: a plain line count of the same file with ``wc -l`` (the floor: reading the bytes).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CANARY = "AAAAAAAAAABBBBBBBBBBCCCCCCCCCC"


def generate(lines: int) -> str:
    """A FortiOS 7.4 configuration of at least ``lines`` lines."""
    out = ["#config-version=FG600F-7.4.8-FW-build2795-250523:opmode=0:vdom=0:user=auditor", "#buildno=2795",
           "config system global", "    set hostname \"BENCH-FW\"", "    set admin-lockout-threshold 3",
           "    set admin-lockout-duration 300", "end", "config system interface"]
    names = ["wan1", "wan2", "staff", "pupils", "guest", "dmz", "mgmt"]
    for i, name in enumerate(names):
        role = "wan" if name.startswith("wan") else "lan"
        access = "ping" if role == "wan" else "ping https ssh"
        out += [f'    edit "{name}"', '        set vdom "root"', f"        set ip 10.{i}.0.1 255.255.0.0",
                f"        set allowaccess {access}", f"        set role {role}", "    next"]
    out += ["end", "config system admin"]
    for i in range(20):
        out += [f'    edit "admin{i}"', '        set accprofile "super_admin"',
                "        set trusthost1 10.6.0.0 255.255.0.0", "        set two-factor fortitoken",
                f"        set password ENC SH2{CANARY}{i}", "    next"]
    out += ["end", "config user radius", '    edit "NPS"', '        set server "10.2.0.20"',
            f"        set secret ENC {CANARY}", "    next", "end", "config log syslogd setting",
            "    set status enable", '    set server "10.6.0.10"', "end", "config vpn ipsec phase1-interface"]
    for i in range(50):
        out += [f'    edit "trust-{i}"', '        set interface "wan1"', f"        set psksecret ENC {CANARY}{i}",
                "    next"]
    out += ["end", "config firewall address"]
    n_addresses = max(100, lines // 20)
    for i in range(n_addresses):
        out += [f'    edit "host-{i}"', f"        set subnet 10.{(i // 250) % 250}.{i % 250}.1 255.255.255.255",
                f'        set comment "device {i}"', "    next"]
    out += ["end", "config firewall vip"]
    for i in range(200):
        out += [f'    edit "vip-{i}"', f"        set extip 203.0.113.{i % 250}", '        set extintf "wan1"',
                "        set portforward enable", f'        set mappedip "10.5.{i % 250}.10"',
                f"        set extport {10000 + i}", "        set mappedport 443", "    next"]
    out += ["end", "config firewall policy"]
    policy = 0
    while len(out) < lines - 2:
        policy += 1
        src, dst = (names[2 + policy % 4], "wan1") if policy % 5 else ("wan1", "dmz")
        out += [f"    edit {policy}", f'        set name "rule-{policy}"', f'        set srcintf "{src}"',
                f'        set dstintf "{dst}"', "        set action accept",
                f'        set srcaddr "{"all" if src == "wan1" else f"host-{policy % n_addresses}"}"',
                f'        set dstaddr "{f"vip-{policy % 200}" if dst == "dmz" else "all"}"',
                '        set schedule "always"', '        set service "HTTPS"', "        set utm-status enable",
                '        set webfilter-profile "strict"', "        set logtraffic all", "    next"]
    out.append("end")
    return "\n".join(out) + "\n"


def audit_in_process(text: str) -> dict[str, float]:
    from agent.cli.firewall_config import judge
    from probes.firewall.build import build_evidence
    from probes.firewall.fortios import PLATFORM

    times: dict[str, float] = {}
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    facts = PLATFORM.parse_backup(text)
    t1 = time.perf_counter()
    evidence = build_evidence(PLATFORM, facts, text, ["config-file"])
    t2 = time.perf_counter()
    results = judge(evidence, "BENCH-FW", "secondary")
    t3 = time.perf_counter()
    json.dumps({"results": [r.model_dump(mode="json") for r in results],
                "evidence": evidence.model_dump(mode="json")})
    t4 = time.perf_counter()
    times.update(parse_s=t1 - t0, sanitise_and_evidence_s=t2 - t1, judge_s=t3 - t2, json_s=t4 - t3, total_s=t4 - t0,
                 total_cpu_s=time.process_time() - cpu0)
    assert CANARY not in evidence.model_dump_json()
    assert len(evidence.inbound_rules or []) > 0 and len(evidence.outbound_policies or []) > 0
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    text = generate(args.lines)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-fortigate.conf"
        path.write_text(text, encoding="utf-8")
        n_lines = text.count("\n")
        print(f"FortiOS configuration: {n_lines:,} lines, {len(text) / 1e6:.1f} MB, "
              f"{text.count('    edit ')} entries ({text.count('set action accept')} policies)")
        runs = [audit_in_process(text) for _ in range(args.runs)]
        for key in runs[0]:
            print(f"  in-process {key:<26} median {statistics.median(r[key] for r in runs):6.3f} s "
                  f"(runs: {', '.join(f'{r[key]:.3f}' for r in runs)})")
        walls, cpus = [], []
        for _ in range(args.runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "agent", "firewall", "audit-config", str(path),
                                   "--format", "json"], capture_output=True, text=True)
            walls.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            if proc.returncode > 1:
                sys.exit(f"audit-config failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
            if CANARY in proc.stdout:
                sys.exit("a secret survived into the JSON output")
        t0 = time.perf_counter()
        subprocess.run(["wc", "-l", str(path)], capture_output=True, check=True)
        wc_s = time.perf_counter() - t0
        median = statistics.median(walls)
        print(f"  schoolnet firewall audit-config (whole command, new process): median {median:.2f} s wall, "
              f"{statistics.median(cpus):.2f} s CPU (runs: {', '.join(f'{w:.2f}' for w in walls)}); "
              f"target < 5 s: {'met' if median < 5 else 'MISSED'}")
        print(f"  load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall time grows with it)")
        print(f"  beside it: wc -l of the same file {wc_s * 1000:.0f} ms")


if __name__ == "__main__":
    main()
