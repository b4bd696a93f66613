"""SNMP polling benchmark: schoolnet's switch walker beside net-snmp's snmpbulkwalk, same agent, same data.

    .venv/bin/python -m benchmarks.switch [--sizes 1,10,100] [--concurrency 16] [--max-repetitions 50]

snmpsim processes on loopback (two by default: one simulator is a single thread, real switches each have their
own agent) serve N simulated 48-port switches (2 x 10G uplinks, LLDP, PoE, VLANs, ENTITY),
one walk file per switch (v2c community = file name). For N = 1, 10 and 100 it reports wall time and CPU time of:
- schoolnet: pysnmp 7 bulk walks of only the columns the checks read, devices polled concurrently, plus parsing
  into facts;
- snmpbulkwalk: one process per switch walking the whole tree (-Cr matching max-repetitions), all started at once.
CPU is this process's time for schoolnet and the children's time for snmpbulkwalk (the agent's CPU is in neither).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agent.lab.switches import SnmpAgent, benchmark_snmprec
from probes.switch.snmp import SnmpAuth, SnmpSession, facts_from_walk


def community(i: int) -> str:
    return f"bench-{i:03d}"


async def poll(ports: list[int], n: int, concurrency: int, max_repetitions: int) -> tuple[int, int]:
    """Walk n switches; return (OIDs fetched, switches whose facts show 50 ports)."""
    session = SnmpSession()
    limit = asyncio.Semaphore(concurrency)

    async def one(i: int) -> tuple[int, bool]:
        async with limit:
            walk = await session.walk_device("127.0.0.1", ports[i % len(ports)],
                                             SnmpAuth("v2c", community=community(i)),
                                             timeout_s=3.0, retries=2, max_repetitions=max_repetitions)
        facts = facts_from_walk(walk)
        return len(walk), len(facts.get("ports", [])) == 50

    try:
        results = await asyncio.gather(*(one(i) for i in range(n)))
    finally:
        session.close()
    return sum(r[0] for r in results), sum(1 for r in results if r[1])


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bulkwalk(exe: str, ports: list[int], n: int, max_repetitions: int) -> tuple[float, float, int]:
    """All n snmpbulkwalk processes at once; return (wall s, CPU s, lines of output)."""
    cpu0, t0 = children_cpu_s(), time.perf_counter()
    procs = [
        subprocess.Popen([exe, "-v2c", "-c", community(i), "-m", "", "-On", "-Oq", f"-Cr{max_repetitions}",
                          "-t", "3", "-r", "2", f"127.0.0.1:{ports[i % len(ports)]}", ".1"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        for i in range(n)
    ]
    lines = 0
    for proc in procs:
        out, _ = proc.communicate(timeout=300)
        lines += out.count(b"\n")
    return time.perf_counter() - t0, children_cpu_s() - cpu0, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.switch", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,10,100")
    parser.add_argument("--concurrency", type=int, default=32, help="switches polled at once")
    parser.add_argument("--max-repetitions", type=int, default=50)
    parser.add_argument("--agents", type=int, default=2, help="snmpsim processes sharing the switches")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    exe = shutil.which("snmpbulkwalk")
    with tempfile.TemporaryDirectory(prefix="sn-bench-") as tmp:
        walks = {community(i): benchmark_snmprec(i) for i in range(max(sizes))}
        oids_per_switch = walks[community(0)].count("\n")
        agents = [
            SnmpAgent(Path(tmp) / f"agent{k}",
                      {c: w for i, (c, w) in enumerate(walks.items()) if i % args.agents == k},
                      v3_auth="bench-auth-key", v3_priv="bench-priv-key")
            for k in range(min(args.agents, len(walks)))
        ]
        try:
            ports = [agent.start() for agent in agents]
            print(f"{len(agents)} snmpsim agent(s) on udp 127.0.0.1:{','.join(map(str, ports))}: {len(walks)} "
                  f"switches, {oids_per_switch} OIDs each (48 x 1G + 2 x 10G ports); {os.cpu_count()} CPUs; "
                  f"max-repetitions {args.max_repetitions}; schoolnet concurrency {args.concurrency}", file=sys.stderr)
            asyncio.run(poll(ports, len(ports), 1, args.max_repetitions))  # warm each agent's index and caches
            header = (f"{'N':>4} | {'schoolnet wall s':>16} {'CPU s':>7} {'OIDs':>7} {'ok':>4} | "
                      f"{'snmpbulkwalk wall s':>19} {'CPU s':>7} {'OIDs':>7} | {'wall ratio':>10}")
            print(header)
            print("-" * len(header))
            for n in sizes:
                cpu0, t0 = time.process_time(), time.perf_counter()
                oids, ok = asyncio.run(poll(ports, n, args.concurrency, args.max_repetitions))
                wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
                if exe:
                    b_wall, b_cpu, b_oids = bulkwalk(exe, ports, n, args.max_repetitions)
                    ratio = f"{wall / b_wall:>9.2f}x"
                    peer = f"{b_wall:>19.2f} {b_cpu:>7.2f} {b_oids:>7}"
                else:
                    ratio, peer = "-", f"{'(snmpbulkwalk not installed)':>35}"
                print(f"{n:>4} | {wall:>16.2f} {cpu:>7.2f} {oids:>7} {ok:>4} | {peer} | {ratio:>10}", flush=True)
        finally:
            for agent in agents:
                agent.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
