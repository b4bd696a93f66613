"""SNMP collection with pysnmp 7 (asyncio): bulk walks of only the columns the checks need.

pysnmp 7 ships no IF-MIB, ENTITY-MIB or LLDP-MIB, so every object is named by its numeric OID (the names in
comments are the MIB's; the system group and IF-MIB are shared with the WAN-link reader in :mod:`probes.snmp`,
the one SNMP client). Walking is kept apart from reading: :func:`walk_device`
returns a plain ``{oid tuple: value}`` map, and :func:`facts_from_walk` turns any such map (a live
walk, or a recorded ``.snmprec`` file through :func:`parse_snmprec`) into switch facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from contract.errors import Reason
from probes import snmp
from probes.snmp import (
    IF_ADMIN,
    IF_ALIAS,
    IF_DESCR,
    IF_HIGH_SPEED,
    IF_IN_ERRORS,
    IF_NAME,
    IF_NUMBER,
    IF_OPER,
    IF_OUT_ERRORS,
    IF_TYPE,
    SYS_DESCR,
    SYS_NAME,
    SYS_OBJECT_ID,
    SYS_SERVICES,
    Oid,
    SnmpAuth,
    SnmpError,
    Walk,
)
from probes.snmp import column as _column
from probes.snmp import oid as _o
from probes.snmp import text as _text
from probes.switch.common import Facts, capabilities, neighbour

__all__ = ["COLUMNS", "SCALARS", "SnmpAuth", "SnmpError", "SnmpSession", "facts_from_walk", "parse_snmprec"]

# Scalars fetched with one GET.
STP_PROTOCOL = _o("1.3.6.1.2.1.17.2.1.0")  # BRIDGE-MIB::dot1dStpProtocolSpecification.0
STP_VERSION = _o("1.3.6.1.2.1.17.2.16.0")  # RSTP-MIB::dot1dStpVersion.0
SCALARS: tuple[Oid, ...] = (SYS_DESCR, SYS_OBJECT_ID, SYS_NAME, SYS_SERVICES, STP_PROTOCOL, STP_VERSION, IF_NUMBER)

# Table columns walked (each a subtree).
ENT_DESCR = _o("1.3.6.1.2.1.47.1.1.1.1.2")  # ENTITY-MIB::entPhysicalDescr
ENT_CLASS = _o("1.3.6.1.2.1.47.1.1.1.1.5")  # entPhysicalClass: 3 chassis, 6 powerSupply
ENT_SOFTWARE = _o("1.3.6.1.2.1.47.1.1.1.1.10")
ENT_SERIAL = _o("1.3.6.1.2.1.47.1.1.1.1.11")
ENT_MODEL = _o("1.3.6.1.2.1.47.1.1.1.1.13")
ENT_STATE_OPER = _o("1.3.6.1.2.1.131.1.1.1.3")  # ENTITY-STATE-MIB::entStateOper: 3 enabled
CISCO_SUPPLY_STATE = _o("1.3.6.1.4.1.9.9.13.1.5.1.3")  # CISCO-ENVMON-MIB::ciscoEnvMonSupplyState: 1 normal
LLDP_LOC_PORT_ID = _o("1.0.8802.1.1.2.1.3.7.1.3")
LLDP_LOC_PORT_DESC = _o("1.0.8802.1.1.2.1.3.7.1.4")
LLDP_REM_PORT_ID = _o("1.0.8802.1.1.2.1.4.1.1.7")
LLDP_REM_PORT_DESC = _o("1.0.8802.1.1.2.1.4.1.1.8")
LLDP_REM_SYS_NAME = _o("1.0.8802.1.1.2.1.4.1.1.9")
LLDP_REM_SYS_DESC = _o("1.0.8802.1.1.2.1.4.1.1.10")
LLDP_REM_CAP_ENABLED = _o("1.0.8802.1.1.2.1.4.1.1.12")
LLDP_REM_MAN_ADDR = _o("1.0.8802.1.1.2.1.4.2.1.3")  # lldpRemManAddrIfSubtype: the address is in the index
PETH_PORT_DETECTION = _o("1.3.6.1.2.1.105.1.1.1.6")  # POWER-ETHERNET-MIB: 3 deliveringPower
PETH_MAIN_POWER = _o("1.3.6.1.2.1.105.1.3.1.1.2")  # pethMainPsePower, W
PETH_MAIN_CONSUMPTION = _o("1.3.6.1.2.1.105.1.3.1.1.4")  # pethMainPseConsumptionPower, W
BASE_PORT_IFINDEX = _o("1.3.6.1.2.1.17.1.4.1.2")  # BRIDGE-MIB::dot1dBasePortIfIndex
Q_VLAN_NAME = _o("1.3.6.1.2.1.17.7.1.4.3.1.1")  # Q-BRIDGE-MIB::dot1qVlanStaticName
Q_VLAN_EGRESS = _o("1.3.6.1.2.1.17.7.1.4.3.1.2")  # dot1qVlanStaticEgressPorts (bitmap of bridge ports)
Q_VLAN_UNTAGGED = _o("1.3.6.1.2.1.17.7.1.4.3.1.4")  # dot1qVlanStaticUntaggedPorts
Q_PVID = _o("1.3.6.1.2.1.17.7.1.4.5.1.1")  # dot1qPvid
CISCO_VTP_VLAN_STATE = _o("1.3.6.1.4.1.9.9.46.1.3.1.1.2")  # CISCO-VTP-MIB::vtpVlanState

COLUMNS: tuple[Oid, ...] = (
    IF_DESCR, IF_TYPE, IF_ADMIN, IF_OPER, IF_IN_ERRORS, IF_OUT_ERRORS, IF_NAME, IF_HIGH_SPEED, IF_ALIAS,
    ENT_DESCR, ENT_CLASS, ENT_SOFTWARE, ENT_SERIAL, ENT_MODEL, ENT_STATE_OPER, CISCO_SUPPLY_STATE,
    LLDP_LOC_PORT_ID, LLDP_LOC_PORT_DESC, LLDP_REM_PORT_ID, LLDP_REM_PORT_DESC, LLDP_REM_SYS_NAME,
    LLDP_REM_SYS_DESC, LLDP_REM_CAP_ENABLED, LLDP_REM_MAN_ADDR, PETH_PORT_DETECTION, PETH_MAIN_POWER,
    PETH_MAIN_CONSUMPTION, BASE_PORT_IFINDEX, Q_VLAN_NAME, Q_VLAN_EGRESS, Q_VLAN_UNTAGGED, Q_PVID,
    CISCO_VTP_VLAN_STATE,
)

UPS_OUTPUT_SOURCE = _o("1.3.6.1.2.1.33.1.4.1.0")  # UPS-MIB (RFC 1628)::upsOutputSource.0
UPS_SOURCES = {1: "other", 2: "none", 3: "normal", 4: "bypass", 5: "battery", 6: "booster", 7: "reducer"}

_ENTERPRISES = {9: "Cisco", 11: "HPE Aruba (ProCurve)", 47196: "HPE Aruba Networking", 2636: "Juniper Networks",
                14823: "HPE Aruba Networking", 25506: "H3C", 4526: "Netgear", 674: "Dell"}
_ETHERNET_TYPES = {6, 62, 69, 117}  # ethernetCsmacd, fastEther, fastEtherFX, gigabitEthernet
# lldpRemSysCapEnabled BITS, bit 0 = most significant bit of the first octet.
_LLDP_CAP_BITS = ("other", "repeater", "bridge", "wlan-ap", "router", "telephone", "docsis", "station")


class SnmpSession(snmp.SnmpSession):
    """The shared SNMP client, with the switch's own requests: the device walk and the UPS status."""

    async def walk_device(self, host: str, port: int, auth: SnmpAuth, *, timeout_s: float = 2.0, retries: int = 1,
                          max_repetitions: int = 50, columns: Iterable[Oid] = COLUMNS) -> Walk:
        """GET the scalars, then bulk-walk every column concurrently; raise SnmpError with the reason."""
        return await self.walk(host, port, auth, scalars=SCALARS, columns=columns, timeout_s=timeout_s,
                               retries=retries, max_repetitions=max_repetitions)

    async def ups_status(self, host: str, port: int, auth: SnmpAuth, *, timeout_s: float = 2.0) -> str:
        """UPS-MIB upsOutputSource as a word (normal, battery, bypass, none ...)."""
        try:
            walk = await self.get(host, port, auth, (UPS_OUTPUT_SOURCE,), timeout_s=timeout_s, retries=1)
        except SnmpError as exc:
            raise SnmpError(f"UPS {host}:{port} did not answer: {exc.why}", why=exc.why, reason=exc.reason) from None
        value = walk.get(UPS_OUTPUT_SOURCE)
        if not isinstance(value, int):
            raise SnmpError(f"UPS {host}:{port} has no UPS-MIB upsOutputSource", reason=Reason.protocol_error)
        return UPS_SOURCES.get(value, "other")


# ---------------------------------------------------------------------------------------------- reading


def parse_snmprec(text: str) -> Walk:
    """A recorded snmpsim ``.snmprec`` file (OID|tag|value lines) as a walk map."""
    walk: Walk = {}
    for line in text.splitlines():
        parts = line.rstrip("\r\n").split("|", 2)
        if len(parts) != 3 or not parts[0]:
            continue
        oid_text, tag, raw = parts
        try:
            oid = _o(oid_text)
        except ValueError:
            continue
        base = tag.rstrip("x:e")
        if tag.endswith("x"):
            value: Any = bytes.fromhex(raw)
        elif base == "4":
            value = raw.encode()
        elif base == "6":
            value = _o(raw) if raw else ()
        elif base == "64":
            value = bytes(int(x) for x in raw.split(".")) if raw.count(".") == 3 else raw.encode()
        else:
            try:
                value = int(raw)
            except ValueError:
                value = raw.encode()
        walk[oid] = value
    return walk


_FIRMWARE = (
    re.compile(r"Version ([\w.()]+)"),  # Cisco
    re.compile(r"revision ([A-Z]{1,2}\.\d+\.\d+(?:\.\d+)?)"),  # ProCurve / AOS-S
    re.compile(r"JUNOS ([\w.\-]+)"),  # Junos
    re.compile(r"\b([A-Z]{2}\.\d+\.\d+\.\d+)\b"),  # AOS-CX
)


def firmware_from_descr(descr: str | None) -> str | None:
    for pattern in _FIRMWARE:
        m = pattern.search(descr or "")
        if m:
            return m.group(1).rstrip(",")
    return None


def _bitmap_ports(value: Any) -> set[int]:
    if not isinstance(value, bytes):
        return set()
    return {i * 8 + bit + 1 for i, byte in enumerate(value) for bit in range(8) if byte & (0x80 >> bit)}


def facts_from_walk(walk: Mapping[Oid, Any]) -> Facts:
    """Switch facts from a walk map; a table that is absent leaves its facts unset (unknown)."""
    f: Facts = {"collection_errors": []}
    descr = _text(walk.get(SYS_DESCR))
    f["hostname"] = _text(walk.get(SYS_NAME))
    obj_id = walk.get(SYS_OBJECT_ID)
    if isinstance(obj_id, tuple) and len(obj_id) > 6 and obj_id[:6] == (1, 3, 6, 1, 4, 1):
        f["vendor"] = _ENTERPRISES.get(obj_id[6])
    f["firmware_version"] = firmware_from_descr(descr)
    hp_model = re.match(r"^(?:HP |Hewlett-Packard )?(.*?(?:Switch|Swch)[^,]*), revision", descr or "")
    if hp_model:  # AOS-S names its product in sysDescr before ", revision"
        f["model"] = hp_model.group(1).strip()

    classes = _column(walk, ENT_CLASS)
    chassis = sorted(idx for idx, c in classes.items() if c == 3)
    if chassis:
        first = chassis[0]
        f["model"] = (_text(_column(walk, ENT_MODEL).get(first)) or _text(_column(walk, ENT_DESCR).get(first))
                      or f.get("model"))
        f["serial"] = _text(_column(walk, ENT_SERIAL).get(first))
        software = _text(_column(walk, ENT_SOFTWARE).get(first))
        if software and not f["firmware_version"]:
            f["firmware_version"] = software
    supplies = [idx for idx, c in classes.items() if c == 6]
    cisco_states = _column(walk, CISCO_SUPPLY_STATE)
    if supplies:
        f["power_supplies_total"] = len(supplies)
        oper = _column(walk, ENT_STATE_OPER)
        if oper:
            f["power_supplies_ok"] = sum(1 for idx in supplies if oper.get(idx) == 3)
    if cisco_states:
        f["power_supplies_total"] = max(f.get("power_supplies_total") or 0, len(cisco_states))
        f["power_supplies_ok"] = sum(1 for s in cisco_states.values() if s == 1)

    names = {idx[0]: _text(v) for idx, v in _column(walk, IF_NAME).items()}
    descrs = {idx[0]: _text(v) for idx, v in _column(walk, IF_DESCR).items()}
    types = {idx[0]: v for idx, v in _column(walk, IF_TYPE).items()}
    admin = {idx[0]: v for idx, v in _column(walk, IF_ADMIN).items()}
    oper_status = {idx[0]: v for idx, v in _column(walk, IF_OPER).items()}
    speed = {idx[0]: v for idx, v in _column(walk, IF_HIGH_SPEED).items()}
    alias = {idx[0]: _text(v) for idx, v in _column(walk, IF_ALIAS).items()}
    in_err = {idx[0]: v for idx, v in _column(walk, IF_IN_ERRORS).items()}
    out_err = {idx[0]: v for idx, v in _column(walk, IF_OUT_ERRORS).items()}
    if_names = {i: names.get(i) or descrs.get(i) or str(i) for i in set(types) | set(names)}

    # VLAN membership from Q-BRIDGE: tagged anywhere -> trunk; untagged in one VLAN -> access in it.
    base_port = {idx[0]: v for idx, v in _column(walk, BASE_PORT_IFINDEX).items()}
    egress = _column(walk, Q_VLAN_EGRESS)
    untagged = _column(walk, Q_VLAN_UNTAGGED)
    tagged_ifs: set[int] = set()
    access_vlan: dict[int, int] = {}
    for idx, bitmap in egress.items():
        vid = idx[-1]
        members = _bitmap_ports(bitmap)
        plain = _bitmap_ports(untagged.get(idx))
        for bp in members:
            ifindex = base_port.get(bp, bp)
            if bp in plain:
                access_vlan[ifindex] = vid
            else:
                tagged_ifs.add(ifindex)
    vlan_ids = {idx[-1] for idx in _column(walk, Q_VLAN_NAME)} | {
        idx[-1] for idx, state in _column(walk, CISCO_VTP_VLAN_STATE).items() if state == 1
    }
    if vlan_ids:
        f["vlans"] = sorted(v for v in vlan_ids if v < 4095 and v not in (1002, 1003, 1004, 1005))

    # LLDP neighbours: local port number -> our port name through lldpLocPortId/Desc or ifIndex.
    by_name = {name: i for i, name in if_names.items()}
    loc_id = {idx[0]: _text(v) for idx, v in _column(walk, LLDP_LOC_PORT_ID).items()}
    loc_desc = {idx[0]: _text(v) for idx, v in _column(walk, LLDP_LOC_PORT_DESC).items()}

    def local_name(num: int) -> str:
        for candidate in (loc_id.get(num), loc_desc.get(num)):
            if candidate and candidate in by_name:
                return candidate
        return if_names.get(num) or loc_id.get(num) or str(num)

    addresses: dict[tuple[int, int], str] = {}
    for idx in _column(walk, LLDP_REM_MAN_ADDR):
        if len(idx) >= 9 and idx[3] == 1 and idx[4] == 4:
            addresses[(idx[1], idx[2])] = ".".join(str(x) for x in idx[5:9])
    rem_names = _column(walk, LLDP_REM_SYS_NAME)
    rem_port = _column(walk, LLDP_REM_PORT_ID)
    rem_pdesc = _column(walk, LLDP_REM_PORT_DESC)
    rem_desc = _column(walk, LLDP_REM_SYS_DESC)
    rem_caps = _column(walk, LLDP_REM_CAP_ENABLED)
    neighbours = []
    for idx in sorted(set(rem_names) | set(rem_desc) | set(rem_caps)):
        if len(idx) < 3:
            continue
        caps = [c for bit, c in enumerate(_LLDP_CAP_BITS) if bit in {b - 1 for b in _bitmap_ports(rem_caps.get(idx))}]
        raw_port = rem_port.get(idx)
        port_id = _text(rem_pdesc.get(idx)) or (
            _text(raw_port) if isinstance(raw_port, bytes) and raw_port.isascii() else None
        )
        neighbours.append(neighbour(local_name(idx[1]), _text(rem_names.get(idx)), port_id,
                                    addresses.get((idx[1], idx[2])), _text(rem_desc.get(idx)),
                                    capabilities(" ".join(caps))))
    if rem_names or rem_desc or _column(walk, LLDP_LOC_PORT_ID):
        f["lldp_neighbours"] = neighbours
    neighbour_by_port = {n.local_port: n for n in neighbours}

    ports = []
    for ifindex in sorted(types):
        if types[ifindex] not in _ETHERNET_TYPES:
            continue
        name = if_names[ifindex]
        up = oper_status.get(ifindex) == 1 if ifindex in oper_status else None
        mode = "trunk" if ifindex in tagged_ifs else ("access" if ifindex in access_vlan else "unknown")
        seen = neighbour_by_port.get(name)
        uplink = mode == "trunk" or bool(seen and seen.is_switch and not seen.is_ap)
        ports.append({
            "name": name,
            "description": alias.get(ifindex),
            "admin_up": admin.get(ifindex) == 1 if ifindex in admin else None,
            "oper_up": up,
            "speed_mbps": int(speed[ifindex]) if up and speed.get(ifindex) else None,
            "mode": mode,
            "vlan": access_vlan.get(ifindex),
            "uplink": uplink,
            "neighbour": (seen.system_name or seen.description) if seen else None,
            "neighbour_is_ap": bool(seen and seen.is_ap),
            "in_errors": in_err.get(ifindex),
            "out_errors": out_err.get(ifindex),
        })
    if ports:
        f["ports"] = ports

    budget = list(_column(walk, PETH_MAIN_POWER).values())
    used = list(_column(walk, PETH_MAIN_CONSUMPTION).values())
    if budget:
        f["poe_budget_w"] = float(sum(budget))
        f["poe_used_w"] = float(sum(used)) if used else None
    detection = _column(walk, PETH_PORT_DETECTION)
    if detection:
        f["poe_ports_delivering"] = sum(1 for v in detection.values() if v == 3)

    protocol = walk.get(STP_PROTOCOL)
    version = walk.get(STP_VERSION)
    if isinstance(version, int):
        f["stp_mode"] = {0: "stp", 2: "rstp", 3: "mst"}.get(version, "stp")
    elif protocol == 3:
        f["stp_mode"] = "stp"
    return {k: v for k, v in f.items() if v is not None}
