"""Simulated broadband for the demo: a speed-test server shaped to a known rate, and an edge router over SNMP.

- ``schoolnet speed-server`` in a child process on 127.0.0.1, paced to ``LINE_MBPS`` (a server-side token bucket:
  works without root; the benchmark uses network namespaces and ``tc tbf`` instead). The demo site is a secondary
  school, so a 400 Mbps line shows the "below 1 Gbps" finding the standard is about.
- snmpsim answering IF-MIB for an edge router with two WAN links up (leased line + FTTP backup) and a 4G link down,
  when snmpsim is installed (the ``lab`` extra); otherwise the links are declared, as a school without SNMP would.
- A week of earlier nightly runs at different hours, marked ``backend = "simulated"``, seeds the history so the
  report's time-of-day table has something to show.

Every process is stopped by its own pid in ``stop()``, which never raises.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.lab.procs import die_with_parent, free_port, start_snmpsim, stop_process, wait_tcp

log = logging.getLogger("schoolnet.lab")

LINE_MBPS = 400.0
ROUTER_COMMUNITY = "lab-router"  # the snmprec file name is the community (snmpsim's rule)
IF_TABLE = "1.3.6.1.2.1.2.2.1"
IF_X_TABLE = "1.3.6.1.2.1.31.1.1.1"
# ifIndex, ifName, ifDescr, ifAlias, oper status (1 up, 2 down), speed Mbps
ROUTER_INTERFACES: tuple[tuple[int, str, str, str, int, int], ...] = (
    (1, "Gi0/0", "GigabitEthernet0/0", "WAN1 leased line (primary)", 1, 1000),
    (2, "Gi0/1", "GigabitEthernet0/1", "WAN2 FTTP backup", 1, 900),
    (3, "Gi0/2", "GigabitEthernet0/2", "LAN core uplink", 1, 1000),
    (4, "Ce0", "Cellular0", "4G backup", 2, 50),
    (5, "Lo0", "Loopback0", "", 1, 0),
)


def router_snmprec(interfaces: tuple[tuple[int, str, str, str, int, int], ...] = ROUTER_INTERFACES) -> str:
    """An snmpsim data file (OID|tag|value, sorted by OID) with the system group, ifTable and ifXTable."""
    records: list[tuple[tuple[int, ...], str, str]] = [
        ((1, 3, 6, 1, 2, 1, 1, 1, 0), "4", "Simulated edge router (schoolnet lab)"),
        ((1, 3, 6, 1, 2, 1, 1, 5, 0), "4", "lab-edge-router"),
    ]

    def oid(prefix: str, *rest: int) -> tuple[int, ...]:
        return tuple(int(p) for p in prefix.split(".")) + rest

    for index, name, descr, alias, oper, mbps in interfaces:
        records += [
            (oid(IF_TABLE, 1, index), "2", str(index)),
            (oid(IF_TABLE, 2, index), "4", descr),
            (oid(IF_TABLE, 5, index), "66", str(min(mbps * 1_000_000, 4_294_967_295))),
            (oid(IF_TABLE, 7, index), "2", "1"),
            (oid(IF_TABLE, 8, index), "2", str(oper)),
            (oid(IF_X_TABLE, 1, index), "4", name),
            (oid(IF_X_TABLE, 15, index), "66", str(mbps)),
            (oid(IF_X_TABLE, 18, index), "4", alias),
        ]
    records.sort(key=lambda r: r[0])
    return "".join(f"{'.'.join(map(str, o))}|{tag}|{value}\n" for o, tag, value in records)


def seed_history(folder: Path, now: datetime, days: int = 7) -> None:
    """Simulated nightly and daytime runs of the past week: slower in the teaching day, as real lines are."""
    from contract.evidence.broadband import HistoryPoint
    from probes.broadband.history import append

    path = folder / "history.jsonl"
    profile = {2: 0.97, 8: 0.9, 11: 0.62, 14: 0.7, 17: 0.85, 21: 0.93}  # local hour -> share of the line rate
    for day in range(days, 0, -1):
        for hour, share in profile.items():
            started = (now - timedelta(days=day)).replace(hour=hour, minute=5, second=0, microsecond=0)
            jitter = 1 + ((day * 7 + hour) % 5 - 2) / 100
            rate = round(LINE_MBPS * 0.956 * share * jitter, 1)
            append(path, HistoryPoint(started_at=started, local_hour=hour, download_mbps=rate,
                                      upload_mbps=round(rate * 0.98, 1), backend="simulated"), max_runs=500)


class BroadbandLab:
    name = "broadband"

    def __init__(self, line_mbps: float = LINE_MBPS, with_router: bool = True) -> None:
        self.line_mbps = line_mbps
        self.with_router = with_router
        self.server: subprocess.Popen[bytes] | None = None
        self.snmpsim: subprocess.Popen[bytes] | None = None

    def start(self, workdir: Path) -> dict[str, Any]:
        try:
            return self._start(workdir)
        except BaseException:
            self.stop()
            raise

    def _start(self, workdir: Path) -> dict[str, Any]:
        port = free_port()
        self.server = subprocess.Popen(
            [sys.executable, "-m", "agent.speed_server", "--host", "127.0.0.1", "--port", str(port),
             "--shape-mbps", f"{self.line_mbps:g}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent,
        )
        if wait_tcp(port, 5.0, proc=self.server):
            raise RuntimeError(f"the lab speed server did not start on 127.0.0.1:{port}")
        history_dir = workdir / "broadband-history"
        seed_history(history_dir, datetime.now(UTC).astimezone())
        section: dict[str, Any] = {
            "enabled": True,
            "backend": "http",
            "server": f"http://127.0.0.1:{port}",
            "runs": 2,
            "streams": 4,
            "duration_s": 2.5,
            "warmup_s": 0.5,
            "ping_count": 5,
            "history_dir": str(history_dir),
            "connection_type": "leased_line",
            "connection_type_source": "Simulated contract: 1 Gbps leased line, signed 2025-04-01",
        }
        declared = [
            {"name": "Gi0/0", "type": "leased_line", "failover_tested_on": "2026-09-12", "automatic_failover": True},
            {"name": "Gi0/1", "type": "fttp", "failover_tested_on": "2026-09-12", "automatic_failover": True},
        ]
        if self.with_router:
            try:
                snmp_port = free_port(socket.SOCK_DGRAM)
                self.snmpsim = start_snmpsim(workdir, {ROUTER_COMMUNITY: router_snmprec()}, snmp_port)
                secret = workdir / "router-community.txt"
                secret.write_text(ROUTER_COMMUNITY, encoding="utf-8")
                secret.chmod(0o600)
                section["router"] = {
                    "host": "127.0.0.1", "port": snmp_port, "community": {"file": str(secret)},
                    "timeout_s": 1.0, "retries": 3,  # snmpsim needs ~0.5 s to index its data at start
                }
            except FileNotFoundError as exc:
                log.info("no simulated router: %s; the WAN links are declared instead", exc)
        section["wan_links"] = declared  # line types and the failover test date, as a person would declare them
        return {"broadband": section}

    def stop(self) -> None:
        for proc in (self.server, self.snmpsim):
            try:
                stop_process(proc)
            except Exception as exc:  # stop() must not raise; say what was left
                log.warning("broadband lab: could not stop pid %s: %s", getattr(proc, "pid", "?"), exc)
        self.server = self.snmpsim = None
