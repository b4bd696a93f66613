"""Simulated switches for the demo and the end-to-end tests: fakenos over SSH, snmpsim over SNMP.

Both run as subprocesses started here and stopped by PID, so a blocked fakenos thread (a failed SSH
login leaves one behind) or a slow snmpsim shutdown can never hang the demo or a test run. The SSH
devices answer the allow-listed commands from the recorded outputs in ``switch_data/`` (the same
folders the fixture test walks); the SNMP walks are generated from those same recordings, so SSH and
SNMP tell one consistent story about each switch.

Run ``python -m agent.lab.switches fakenos SPEC.json`` to start only the SSH devices (used internally).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.lab.procs import (
    SnmpSimMissing,
    SnmpV3User,
    die_with_parent,
    free_port,
    lab_secret,
    start_snmpsim,
    stop_process,
    wait_tcp,
)

log = logging.getLogger("schoolnet.lab.switches")

DATA = Path(__file__).resolve().parent / "switch_data"
SESSION_COMMANDS = ("terminal length 0", "terminal width 511", "no page", "set cli screen-length 0",
                    "set cli screen-width 511", "terminal datadump")
LAB_USER = "auditor"
# Lab communities look like canaries on purpose: the secrets tests prove none reaches a report or log.
UPS_COMMUNITY = "ups-CANARYcommunity"
DISCOVERY_COMMUNITY = "discovery-CANARYcommunity"
UNLISTED_ADDRESS = "127.0.0.9"  # a switch someone plugged in: answers SNMP, is in no config
DISCOVERY_RANGE = "127.0.0.8/30"


def _community(switch: LabSwitch) -> str:
    """The v2c community (a secret) or v3 context name (not one) that selects this switch's walk in snmpsim."""
    return switch.name.lower() if switch.snmp == "v3" else f"{switch.name.lower()}-CANARYcommunity"
V3_AUTH_PROTO, V3_PRIV_PROTO = "SHA", "AES"


@dataclass(frozen=True)
class LabSwitch:
    """One simulated switch: which recording it answers from and how the agent reaches it."""

    name: str
    platform: str
    case: str  # folder under switch_data/<platform>/ (or an absolute path)
    role: str = "edge"
    ssh: bool = True
    snmp: str | None = None  # "v2c", "v3" or None
    ups: bool = False
    hang_on: tuple[str, ...] = ()  # commands that never return (a device that hangs mid-command)
    wrong_password: bool = False  # the config gets a password the device refuses
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def canonical(self) -> str:
        """The platform's canonical name (the lab's recordings and simulator quirks are kept under it)."""
        from probes.switch.platforms import platform_for

        return platform_for(self.platform).name

    @property
    def folder(self) -> Path:
        path = Path(self.case)
        return path if path.is_absolute() else DATA / self.canonical / self.case


DEMO_SWITCHES: tuple[LabSwitch, ...] = (
    LabSwitch("CORE-SW1", "cisco_ios", "core_good", role="core", snmp="v3", ups=True),
    LabSwitch("EDGE-SW2", "cisco_ios", "edge_bad", snmp="v2c"),
    LabSwitch("PROCURVE-SW3", "hp_procurve", "edge_mixed"),
    LabSwitch("CX-SW4", "aruba_aoscx", "edge_good", snmp="v3"),
)


def outputs_of(folder: Path) -> dict[str, str]:
    """Recorded outputs: <command with spaces as underscores>.txt -> {command: text}."""
    return {f.stem.replace("_", " "): f.read_text(encoding="utf-8") for f in sorted(folder.glob("*.txt"))}


# ------------------------------------------------------------------------------------------ SNMP walks


def _oid(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


class Snmprec:
    """Builds an snmpsim ``.snmprec`` (OID|tag|value, sorted numerically)."""

    def __init__(self) -> None:
        self.records: dict[tuple[int, ...], tuple[str, str]] = {}

    def add(self, oid: str, tag: str | int, value: object) -> None:
        tag = str(tag)
        text = str(value)
        if tag == "4" and (not text.isascii() or "|" in text or "\n" in text):
            tag, text = "4x", text.encode().hex()
        self.records[_oid(oid)] = (tag, text)

    def octets(self, oid: str, data: bytes) -> None:
        self.records[_oid(oid)] = ("4x", data.hex())

    def text(self) -> str:
        return "".join(f"{'.'.join(map(str, o))}|{t}|{v}\n" for o, (t, v) in sorted(self.records.items()))


def _bitmap(ports: Iterable[int], size: int) -> bytes:
    data = bytearray((size + 7) // 8)
    for p in ports:
        data[(p - 1) // 8] |= 0x80 >> ((p - 1) % 8)
    return bytes(data)


def switch_snmprec(
    *,
    sys_descr: str,
    sys_object_id: str,
    sys_name: str,
    model: str | None,
    serial: str | None,
    firmware: str | None,
    ports: list[dict[str, Any]],
    psus_ok: list[bool] = (),  # type: ignore[assignment]
    neighbours: list[dict[str, Any]] = (),  # type: ignore[assignment]
    vlans: dict[int, str] | None = None,
    poe_budget_w: int | None = None,
    poe_delivering: Iterable[int] = (),
    stp_version: int | None = None,
    full_if_table: bool = True,
) -> str:
    """A walk of the MIBs the probe reads, for one switch. ``ports``: name, admin_up, oper_up, speed_mbps,
    alias, vlan (untagged access VLAN) or trunk=True."""
    rec = Snmprec()
    rec.add("1.3.6.1.2.1.1.1.0", 4, sys_descr)
    rec.add("1.3.6.1.2.1.1.2.0", 6, sys_object_id)
    rec.add("1.3.6.1.2.1.1.3.0", 67, 123456789)
    rec.add("1.3.6.1.2.1.1.4.0", 4, "IT Office")
    rec.add("1.3.6.1.2.1.1.5.0", 4, sys_name)
    rec.add("1.3.6.1.2.1.1.6.0", 4, "Riverside Academy")
    rec.add("1.3.6.1.2.1.1.7.0", 2, 6)
    rec.add("1.3.6.1.2.1.2.1.0", 2, len(ports))
    if stp_version is not None:
        rec.add("1.3.6.1.2.1.17.2.1.0", 2, 3)
        rec.add("1.3.6.1.2.1.17.2.16.0", 2, stp_version)
    n = len(ports)
    for i, port in enumerate(ports, start=1):
        b, x = "1.3.6.1.2.1.2.2.1", "1.3.6.1.2.1.31.1.1.1"
        speed = int(port.get("speed_mbps") or 1000)
        rec.add(f"{b}.1.{i}", 2, i)
        rec.add(f"{b}.2.{i}", 4, port["name"])
        rec.add(f"{b}.3.{i}", 2, 6)
        rec.add(f"{b}.7.{i}", 2, 1 if port.get("admin_up", True) else 2)
        rec.add(f"{b}.8.{i}", 2, 1 if port.get("oper_up") else 2)
        rec.add(f"{b}.14.{i}", 65, i % 3)
        rec.add(f"{b}.20.{i}", 65, 0)
        if full_if_table:  # the columns a real agent also serves, which a careless walker would fetch too
            rec.add(f"{b}.4.{i}", 2, 1500)
            rec.add(f"{b}.5.{i}", 66, min(speed * 1_000_000, 4294967295))
            rec.octets(f"{b}.6.{i}", bytes([0x70, 0xEA, 0x1A, 0, i // 256, i % 256]))
            rec.add(f"{b}.9.{i}", 67, 1000 + i)
            for col in (10, 11, 12, 13, 15, 16, 17, 18, 19, 21):
                rec.add(f"{b}.{col}.{i}", 65, i * 1000 + col)
            rec.add(f"{b}.22.{i}", 6, "0.0")
            for col, tag in ((2, 65), (3, 65), (4, 65), (5, 65), (6, 70), (7, 70), (8, 70), (9, 70), (10, 70),
                             (11, 70), (12, 70), (13, 70)):
                rec.add(f"{x}.{col}.{i}", tag, i * 7 + col)
            rec.add(f"{x}.14.{i}", 2, 1)
            rec.add(f"{x}.16.{i}", 2, 2)
            rec.add(f"{x}.17.{i}", 2, 1)
            rec.add(f"{x}.19.{i}", 67, 0)
        rec.add(f"{x}.1.{i}", 4, port["name"])
        rec.add(f"{x}.15.{i}", 66, speed)
        rec.add(f"{x}.18.{i}", 4, port.get("alias") or "")
        rec.add(f"1.3.6.1.2.1.17.1.4.1.2.{i}", 2, i)  # bridge port i is ifIndex i
        rec.add(f"1.0.8802.1.1.2.1.3.7.1.2.{i}", 2, 5)
        rec.add(f"1.0.8802.1.1.2.1.3.7.1.3.{i}", 4, port["name"])
        rec.add(f"1.0.8802.1.1.2.1.3.7.1.4.{i}", 4, port.get("alias") or port["name"])
    # ENTITY-MIB: chassis 1, power supplies 10.., with ENTITY-STATE-MIB oper state.
    e = "1.3.6.1.2.1.47.1.1.1.1"
    rec.add(f"{e}.2.1", 4, model or "switch")
    rec.add(f"{e}.5.1", 2, 3)
    rec.add(f"{e}.7.1", 4, "Chassis")
    rec.add(f"{e}.10.1", 4, firmware or "")
    rec.add(f"{e}.11.1", 4, serial or "")
    rec.add(f"{e}.13.1", 4, model or "")
    for k, ok in enumerate(psus_ok, start=10):
        rec.add(f"{e}.2.{k}", 4, f"Power Supply {k - 9}")
        rec.add(f"{e}.5.{k}", 2, 6)
        rec.add(f"{e}.7.{k}", 4, f"PS{k - 9}")
        rec.add(f"{e}.11.{k}", 4, f"PSU{k:04d}")
        rec.add(f"{e}.13.{k}", 4, "PWR-1100WAC")
        rec.add(f"1.3.6.1.2.1.131.1.1.1.3.{k}", 2, 3 if ok else 2)
    # LLDP-MIB remote table: timeMark 0, local port = ifIndex, remote index 1.
    by_name = {p["name"]: i for i, p in enumerate(ports, start=1)}
    for nb in neighbours:
        local = by_name.get(nb["local_port"])
        if local is None:
            continue
        r = f"0.{local}.1"
        caps = _bitmap([{"repeater": 2, "bridge": 3, "wlan-ap": 4, "router": 5, "telephone": 6, "station": 8}[c]
                        for c in nb.get("capabilities", []) if c in ("repeater", "bridge", "wlan-ap", "router",
                                                                     "telephone", "station")], 8)[:1]
        rec.add(f"1.0.8802.1.1.2.1.4.1.1.4.{r}", 2, 4)
        rec.add(f"1.0.8802.1.1.2.1.4.1.1.7.{r}", 4, nb.get("port") or "")
        rec.add(f"1.0.8802.1.1.2.1.4.1.1.8.{r}", 4, nb.get("port") or "")
        rec.add(f"1.0.8802.1.1.2.1.4.1.1.9.{r}", 4, nb.get("system_name") or "")
        rec.add(f"1.0.8802.1.1.2.1.4.1.1.10.{r}", 4, nb.get("description") or "")
        rec.octets(f"1.0.8802.1.1.2.1.4.1.1.11.{r}", caps)
        rec.octets(f"1.0.8802.1.1.2.1.4.1.1.12.{r}", caps)
        if nb.get("mgmt_ip"):
            rec.add(f"1.0.8802.1.1.2.1.4.2.1.3.{r}.1.4.{nb['mgmt_ip']}", 2, 2)
    # Q-BRIDGE: static VLANs with egress/untagged bitmaps, and each port's PVID.
    vlans = vlans or {1: "default"}
    for vid, name in sorted(vlans.items()):
        members = [i for i, p in enumerate(ports, start=1) if p.get("trunk") or p.get("vlan") == vid]
        plain = [i for i, p in enumerate(ports, start=1) if not p.get("trunk") and p.get("vlan") == vid]
        q = "1.3.6.1.2.1.17.7.1.4.3.1"
        rec.add(f"{q}.1.{vid}", 4, name)
        rec.octets(f"{q}.2.{vid}", _bitmap(members, n))
        rec.octets(f"{q}.4.{vid}", _bitmap(plain, n))
        rec.add(f"{q}.5.{vid}", 2, 1)
    for i, port in enumerate(ports, start=1):
        rec.add(f"1.3.6.1.2.1.17.7.1.4.5.1.1.{i}", 66, port.get("vlan") or 1)
    if poe_budget_w is not None:
        delivering = set(poe_delivering)
        for i in range(1, n + 1):
            rec.add(f"1.3.6.1.2.1.105.1.1.1.3.1.{i}", 2, 1)
            rec.add(f"1.3.6.1.2.1.105.1.1.1.6.1.{i}", 2, 3 if i in delivering else 2)
        rec.add("1.3.6.1.2.1.105.1.3.1.1.2.1", 66, poe_budget_w)
        rec.add("1.3.6.1.2.1.105.1.3.1.1.3.1", 2, 1)
        rec.add("1.3.6.1.2.1.105.1.3.1.1.4.1", 66, 15 * len(delivering))
    return rec.text()


def ups_snmprec(output_source: int = 3) -> str:
    rec = Snmprec()
    rec.add("1.3.6.1.2.1.1.1.0", 4, "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.8.2 PN:apc_hw05_aos_682.bin)")
    rec.add("1.3.6.1.2.1.1.2.0", 6, "1.3.6.1.4.1.318.1.3.27")
    rec.add("1.3.6.1.2.1.1.5.0", 4, "UPS-SERVER-ROOM")
    rec.add("1.3.6.1.2.1.33.1.1.2.0", 4, "Smart-UPS SRT 3000")
    rec.add("1.3.6.1.2.1.33.1.2.1.0", 2, 2)  # upsBatteryStatus: batteryNormal
    rec.add("1.3.6.1.2.1.33.1.2.3.0", 2, 42)  # upsEstimatedMinutesRemaining
    rec.add("1.3.6.1.2.1.33.1.4.1.0", 2, output_source)
    return rec.text()


_OBJECT_IDS = {"cisco_ios": "1.3.6.1.4.1.9.1.2494", "hp_procurve": "1.3.6.1.4.1.11.2.3.7.11.181",
               "aruba_aoscx": "1.3.6.1.4.1.47196.4.1.1.1.300", "juniper_junos": "1.3.6.1.4.1.2636.1.1.1.2.132"}


def snmprec_from_recording(switch: LabSwitch) -> str:
    """A walk consistent with the switch's recorded CLI output (same ports, neighbours, hardware)."""
    from probes.switch.platforms import platform_for

    facts = platform_for(switch.platform).parse(outputs_of(switch.folder))
    ports = [
        {"name": p["name"], "admin_up": p.get("admin_up", True), "oper_up": p.get("oper_up", p.get("admin_up")),
         "speed_mbps": p.get("speed_mbps") or (10000 if p.get("mode") == "trunk" else 1000),
         "alias": p.get("description"), "vlan": p.get("vlan"), "trunk": p.get("mode") == "trunk"}
        for p in facts.get("ports", [])
    ]
    neighbours = [n.model_dump() for n in facts.get("lldp_neighbours") or []]
    firmware = facts.get("firmware_version") or ""
    descr = {
        "cisco_ios": f"Cisco IOS Software, {facts.get('model')} Software, Version {firmware}, RELEASE SOFTWARE",
        "hp_procurve": f"HP {facts.get('model')} Switch, revision {firmware}, ROM YA.15.20",
        "aruba_aoscx": f"Aruba {facts.get('model')} {firmware}",
        "juniper_junos": f"Juniper Networks, Inc. {facts.get('model')} Ethernet Switch, kernel JUNOS {firmware}",
    }[switch.canonical]
    vlans = {v: f"VLAN{v:04d}" for v in facts.get("vlans") or [1]}
    return switch_snmprec(
        sys_descr=descr, sys_object_id=_OBJECT_IDS[switch.canonical], sys_name=facts.get("hostname") or switch.name,
        model=facts.get("model"), serial=facts.get("serial"), firmware=firmware, ports=ports,
        psus_ok=[True, True] if switch.role == "core" else [True], neighbours=neighbours, vlans=vlans,
        poe_budget_w=740, poe_delivering=[i for i, p in enumerate(facts.get("ports", []), 1)
                                          if (p.get("poe_draw_w") or 0) > 0 or p.get("neighbour_is_ap")],
        stp_version={"rstp": 2, "mst": 3}.get(facts.get("stp_mode") or "", None),
    )


def unlisted_switch_snmprec() -> str:
    """LAB-SW9: an old 8-port switch under a lab bench, on nobody's list."""
    ports = [{"name": f"Gi0/{i}", "oper_up": i < 3, "speed_mbps": 1000, "vlan": 1} for i in range(1, 9)]
    return switch_snmprec(
        sys_descr="Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 12.2(55)SE12, RELEASE SOFTWARE",
        sys_object_id="1.3.6.1.4.1.9.1.1208", sys_name="LAB-SW9", model="WS-C2960-8TC-L", serial="FOC1234X0AB",
        firmware="12.2(55)SE12", ports=ports, psus_ok=[True], full_if_table=False,
    )


def benchmark_snmprec(index: int, ports: int = 48) -> str:
    """A 48-port edge switch with two 10G uplinks, LLDP, PoE and VLANs (for the benchmark)."""
    port_list = [
        {"name": f"GigabitEthernet1/0/{i}", "admin_up": i % 7 != 0, "oper_up": i % 3 != 0, "speed_mbps": 1000,
         "alias": f"Room {i}", "vlan": 20 if i % 2 else 10}
        for i in range(1, ports + 1)
    ] + [{"name": f"TenGigabitEthernet1/1/{i}", "oper_up": True, "speed_mbps": 10000, "trunk": True,
          "alias": "Uplink to core"} for i in (1, 2)]
    neighbours = [{"local_port": f"TenGigabitEthernet1/1/{i}", "system_name": "CORE-SW1", "port": f"Te1/0/{i}",
                   "mgmt_ip": "10.99.0.1", "description": "Cisco IOS-XE", "capabilities": ["bridge", "router"]}
                  for i in (1, 2)]
    return switch_snmprec(
        sys_descr="Cisco IOS Software, C9200L Software, Version 17.9.4a, RELEASE SOFTWARE",
        sys_object_id="1.3.6.1.4.1.9.1.2685", sys_name=f"BENCH-SW{index:03d}", model="C9200L-48P-4X",
        serial=f"JAE{index:08d}", firmware="17.9.4a", ports=port_list, psus_ok=[True],
        neighbours=neighbours, vlans={1: "default", 10: "STAFF", 20: "STUDENTS", 99: "MGMT"}, poe_budget_w=740,
        poe_delivering=range(1, 13), stp_version=2,
    )


# ------------------------------------------------------------------------------------------ processes


class SnmpAgent:
    """snmpsim on 127.0.0.1 serving ``{name}.snmprec`` files: v2c by community = name, v3 by context = name."""

    def __init__(self, workdir: Path, walks: dict[str, str], *, v3_auth: str, v3_priv: str,
                 extra_addresses: Iterable[str] = ()) -> None:
        self.workdir = workdir
        self.extra_addresses = list(extra_addresses)  # more loopback addresses answering on the same port
        self.walks = walks
        self.v3_auth = v3_auth
        self.v3_priv = v3_priv
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> int:
        self.port = free_port(socket.SOCK_DGRAM)
        v3 = SnmpV3User(LAB_USER, self.v3_auth, self.v3_priv, V3_AUTH_PROTO, V3_PRIV_PROTO)
        self.proc = start_snmpsim(self.workdir, self.walks, self.port, v3=v3, extra_addresses=self.extra_addresses,
                                  log_file=self.workdir / "snmpsim.log")
        first = next(iter(self.walks))
        deadline_s = 10.0 + 0.25 * len(self.walks)  # snmpsim indexes every file before it answers
        if not self._wait_ready(first, deadline_s):
            self.stop()
            raise RuntimeError(f"snmpsim did not answer on udp 127.0.0.1:{self.port} within {deadline_s:g} s")
        return self.port

    def _wait_ready(self, community: str, deadline_s: float) -> bool:
        from probes.switch.snmp import SnmpAuth, SnmpError, SnmpSession

        async def probe() -> bool:
            session = SnmpSession()
            try:
                end = time.monotonic() + deadline_s
                while time.monotonic() < end:
                    if self.proc is not None and self.proc.poll() is not None:
                        return False
                    try:
                        await session.walk_device("127.0.0.1", self.port, SnmpAuth("v2c", community=community),
                                                  timeout_s=0.3, retries=0, columns=())
                        return True
                    except SnmpError:
                        await asyncio.sleep(0.1)
                return False
            finally:
                session.close()

        return asyncio.run(probe())

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None


class SwitchLab:
    """The lab component: SSH switches (fakenos) and their SNMP agent (snmpsim) plus a UPS, on loopback."""

    name = "switches"

    def __init__(self, switches: Iterable[LabSwitch] = DEMO_SWITCHES, *, password: str = "lab-CANARYssh-Pa55",
                 snmp: bool = True) -> None:
        self.switches = list(switches)
        self.password = password
        self.snmp_enabled = snmp
        self.fakenos: subprocess.Popen[bytes] | None = None
        self.agent: SnmpAgent | None = None
        self.ports: dict[str, int] = {}
        self.snmp_port = 0

    def start(self, workdir: Path) -> dict[str, Any]:
        workdir = workdir / "switch-lab"
        (workdir / "secrets").mkdir(parents=True, exist_ok=True)
        try:
            return self._start(workdir)
        except BaseException:
            self.stop()
            raise

    def _start(self, workdir: Path) -> dict[str, Any]:
        ssh = [s for s in self.switches if s.ssh]
        self.ports = {s.name: free_port() for s in ssh}
        if ssh:
            spec = {
                "devices": [
                    {"name": s.name, "port": self.ports[s.name], "platform": s.canonical, "folder": str(s.folder),
                     "hang_on": list(s.hang_on), "password": self.password}
                    for s in ssh
                ]
            }
            spec_path = workdir / "fakenos.json"
            spec_path.write_text(json.dumps(spec), encoding="utf-8")
            spec_path.chmod(0o600)
            self.fakenos = subprocess.Popen(
                [sys.executable, "-m", "agent.lab.switches", "fakenos", str(spec_path)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(workdir / "fakenos.log", "wb"),
                cwd=str(Path(__file__).resolve().parents[2]), preexec_fn=die_with_parent,
            )
            closed = wait_tcp(self.ports.values(), 15.0, proc=self.fakenos)
            if closed:
                log_tail = (workdir / "fakenos.log").read_text(encoding="utf-8", errors="replace").strip()
                raise RuntimeError(f"fakenos switches did not open ports {closed}: "
                                   f"{log_tail.splitlines()[-1] if log_tail else 'no output'}")
        v3_auth, v3_priv = "lab-CANARYv3-auth", "lab-CANARYv3-priv"
        snmp_users = [s for s in self.switches if s.snmp]
        walks: dict[str, str] = {}
        if self.snmp_enabled and (snmp_users or any(s.ups for s in self.switches)):
            for s in snmp_users:
                walks[_community(s)] = snmprec_from_recording(s)
            walks[UPS_COMMUNITY] = ups_snmprec()
            walks[DISCOVERY_COMMUNITY] = unlisted_switch_snmprec()
            agent = SnmpAgent(workdir / "snmp", walks, v3_auth=v3_auth, v3_priv=v3_priv,
                              extra_addresses=[UNLISTED_ADDRESS])
            try:
                self.snmp_port = agent.start()
                self.agent = agent
            except SnmpSimMissing as exc:  # the demo still runs, over SSH only
                log.warning("switch lab without SNMP: %s", exc)
        devices: list[dict[str, Any]] = []
        password_ref = lab_secret(workdir, "ssh-password", self.password)
        wrong_ref = lab_secret(workdir, "ssh-wrong-password", self.password + "-nope")
        v3 = {"user": LAB_USER, "auth_key": lab_secret(workdir, "snmp-v3-auth", v3_auth),
              "priv_key": lab_secret(workdir, "snmp-v3-priv", v3_priv)}
        for s in self.switches:
            device: dict[str, Any] = {"name": s.name, "host": "127.0.0.1", "platform": s.platform, "role": s.role}
            if s.ssh:
                device.update(port=self.ports[s.name], username="admin",
                              password=wrong_ref if s.wrong_password else password_ref)
            if s.snmp and self.agent is not None:
                # snmpsim picks the walk by community (v2c) or context name (v3): one agent, many switches.
                if s.snmp == "v2c":
                    device["snmp"] = {"version": "v2c", "port": self.snmp_port, "timeout_s": 1.0,
                                      "community": lab_secret(workdir, f"community-{s.name.lower()}",
                                                                _community(s))}
                else:
                    device["snmp"] = {"version": "v3", "port": self.snmp_port, "timeout_s": 1.0, "v3": v3,
                                      "context": _community(s)}
            if s.ups and self.agent is not None:
                device["ups"] = "ups-room-a"
            device.update(s.extra)
            devices.append(device)
        fragment: dict[str, Any] = {"switches": {"devices": devices, "connect_timeout_s": 8.0,
                                                 "read_timeout_s": 6.0}}
        if self.agent is not None:
            fragment["switches"]["ups"] = [{
                "name": "ups-room-a", "host": "127.0.0.1",
                "snmp": {"version": "v2c", "port": self.snmp_port, "timeout_s": 1.0,
                         "community": lab_secret(workdir, "community-ups", UPS_COMMUNITY)},
            }]
            # The sweep finds LAB-SW9 (also behind an access port of the core, by LLDP) at its own address.
            fragment["switches"]["discovery"] = {
                "hosts": [DISCOVERY_RANGE],
                "snmp": {"version": "v2c", "port": self.snmp_port, "timeout_s": 0.5, "retries": 0,
                         "community": lab_secret(workdir, "community-discovery", DISCOVERY_COMMUNITY)},
            }
        return fragment

    def stop(self) -> None:
        stop_process(self.fakenos)
        self.fakenos = None
        if self.agent is not None:
            self.agent.stop()
            self.agent = None


# ------------------------------------------------------------------------------------------ fakenos child


def _nos_for(device: dict[str, Any]) -> Any:
    from fakenos.core.nos import Nos

    prompt = "{base_prompt}>" if device["platform"] == "juniper_junos" else "{base_prompt}#"
    prompts = ["{base_prompt}#", "{base_prompt}>"]
    commands: dict[str, Any] = {c: {"output": "", "help": c, "prompt": prompts} for c in SESSION_COMMANDS}
    # Junos confirms its session settings, and netmiko waits for those words.
    commands["set cli screen-width 511"]["output"] = "Screen width set to 511"
    commands["set cli screen-length 0"]["output"] = "Screen length set to 0"
    for command, text in outputs_of(Path(device["folder"])).items():
        commands[command] = {"output": text.rstrip("\n"), "help": command, "prompt": prompts}
    for command in device.get("hang_on", []):
        commands[command] = {"output": _hang, "help": command, "prompt": prompts}
    commands["_default_"] = {"output": "% Invalid input detected at '^' marker.", "help": "", "prompt": prompts}
    return Nos(name=f"lab_{device['name'].lower()}", commands=commands, initial_prompt=prompt)


# What each platform prints before its first prompt (netmiko's ProCurve driver waits for the "Copyright").
_BANNERS = {
    "hp_procurve": "HP J9773A 2530-24G-PoEP Switch\r\nSoftware revision YA.16.10.0020\r\n\r\n"
                   "(C) Copyright 2020 Hewlett Packard Enterprise Development LP\r\n",
}


def _hang(*_args: Any, **_kwargs: Any) -> str:
    time.sleep(3600)  # a device stuck mid-command; the lab kills this process by PID
    return ""


def run_fakenos(spec_path: Path) -> None:
    """Child process: serve every device of the spec until SIGTERM."""
    from fakenos import FakeNOS

    logging.basicConfig(level=logging.CRITICAL)
    for noisy in ("fakenos", "paramiko"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    plugins = [_nos_for(d) for d in spec["devices"]]
    inventory = {
        "default": {"server": {"plugin": "ParamikoSshServer",
                               "configuration": {"address": "127.0.0.1", "timeout": 1}}},
        "hosts": {
            d["name"]: {"port": d["port"], "username": "admin", "password": d["password"],
                        "nos": {"plugin": f"lab_{d['name'].lower()}"},
                        "shell": {"plugin": "CMDShell",
                                  "configuration": {"intro": _BANNERS.get(d["platform"], "")}}}
            for d in spec["devices"]
        },
    }
    net = FakeNOS(inventory=inventory, plugins=plugins)
    stop = False

    def on_term(_signum: int, _frame: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    net.start()
    try:
        while not stop:
            time.sleep(0.2)
    finally:
        # Blocked accept threads (failed logins) would keep the interpreter alive: leave at once.
        os._exit(0)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "fakenos":
        run_fakenos(Path(sys.argv[2]))
    else:
        sys.exit("usage: python -m agent.lab.switches fakenos SPEC.json")
