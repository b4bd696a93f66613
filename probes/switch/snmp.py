"""SNMP collection with pysnmp 7 (asyncio): bulk walks of only the columns the checks need.

pysnmp 7 ships no IF-MIB, ENTITY-MIB or LLDP-MIB, so every object is named here by its numeric OID
(the names in comments are the MIB's). Walking is kept apart from reading: :func:`walk_device`
returns a plain ``{oid tuple: value}`` map, and :func:`facts_from_walk` turns any such map (a live
walk, or a recorded ``.snmprec`` file through :func:`parse_snmprec`) into switch facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from probes.switch.common import Facts, capabilities, neighbour

Oid = tuple[int, ...]
Walk = dict[Oid, Any]  # values: int, bytes (OCTET STRING / IpAddress) or Oid (OBJECT IDENTIFIER)


def _o(text: str) -> Oid:
    return tuple(int(x) for x in text.split("."))


# Scalars fetched with one GET.
SYS_DESCR = _o("1.3.6.1.2.1.1.1.0")  # SNMPv2-MIB::sysDescr.0
SYS_OBJECT_ID = _o("1.3.6.1.2.1.1.2.0")  # sysObjectID.0
SYS_NAME = _o("1.3.6.1.2.1.1.5.0")  # sysName.0
SYS_SERVICES = _o("1.3.6.1.2.1.1.7.0")  # sysServices.0: bit value 2 = layer 2 (a bridge, i.e. a switch)
STP_PROTOCOL = _o("1.3.6.1.2.1.17.2.1.0")  # BRIDGE-MIB::dot1dStpProtocolSpecification.0
STP_VERSION = _o("1.3.6.1.2.1.17.2.16.0")  # RSTP-MIB::dot1dStpVersion.0
IF_NUMBER = _o("1.3.6.1.2.1.2.1.0")  # IF-MIB::ifNumber.0, sizes the bulk requests
SCALARS: tuple[Oid, ...] = (SYS_DESCR, SYS_OBJECT_ID, SYS_NAME, SYS_SERVICES, STP_PROTOCOL, STP_VERSION, IF_NUMBER)

# Table columns walked (each a subtree).
IF_DESCR = _o("1.3.6.1.2.1.2.2.1.2")
IF_TYPE = _o("1.3.6.1.2.1.2.2.1.3")
IF_ADMIN = _o("1.3.6.1.2.1.2.2.1.7")
IF_OPER = _o("1.3.6.1.2.1.2.2.1.8")
IF_IN_ERRORS = _o("1.3.6.1.2.1.2.2.1.14")
IF_OUT_ERRORS = _o("1.3.6.1.2.1.2.2.1.20")
IF_NAME = _o("1.3.6.1.2.1.31.1.1.1.1")  # IF-MIB::ifName (ifXTable)
IF_HIGH_SPEED = _o("1.3.6.1.2.1.31.1.1.1.15")  # ifHighSpeed, Mbit/s
IF_ALIAS = _o("1.3.6.1.2.1.31.1.1.1.18")
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


# A GETBULK response holds about this many values at most (a 48-port switch's port columns in one request),
# and carries at most this many columns; both keep responses well under a UDP datagram (~40 bytes a value).
_VARBIND_BUDGET = 1000
_MAX_COLUMNS_PER_REQUEST = 40
_FIRST_ROUND_ROWS = 8


class SnmpError(RuntimeError):
    """The agent did not answer properly (timeout, authentication, unknown user): the reason is the message."""


@dataclass(frozen=True)
class SnmpAuth:
    """How to authenticate. Secrets are plain strings only here, in memory, never logged or stored."""

    version: str  # "v2c" or "v3"
    community: str | None = None
    user: str | None = None
    auth_key: str | None = None
    priv_key: str | None = None
    auth_protocol: str = "sha"  # sha, sha256
    priv_protocol: str = "aes"  # aes, aes256
    context: str = ""

    def __repr__(self) -> str:  # never show keys in a traceback or log
        return f"SnmpAuth(version={self.version!r}, user={self.user!r})"

    def secrets(self) -> list[str]:
        return [s for s in (self.community, self.auth_key, self.priv_key) if s]


# ---------------------------------------------------------------------------------------------- walking


def _auth_data(auth: SnmpAuth) -> Any:
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        UsmUserData,
        usmAesCfb128Protocol,
        usmAesCfb256Protocol,
        usmHMAC192SHA256AuthProtocol,
        usmHMACSHAAuthProtocol,
    )

    if auth.version == "v2c":
        return CommunityData(auth.community or "", mpModel=1)
    auth_proto = {"sha": usmHMACSHAAuthProtocol, "sha256": usmHMAC192SHA256AuthProtocol}[auth.auth_protocol]
    priv_proto = {"aes": usmAesCfb128Protocol, "aes256": usmAesCfb256Protocol}[auth.priv_protocol]
    return UsmUserData(auth.user or "", authKey=auth.auth_key, privKey=auth.priv_key,
                       authProtocol=auth_proto, privProtocol=priv_proto)


def _value(value: Any) -> Any:
    """A pysnmp value as int, bytes or an OID tuple."""
    name = type(value).__name__
    if name == "ObjectIdentifier":
        return tuple(value)
    if hasattr(value, "asOctets"):
        return bytes(value.asOctets())
    if name in ("NoSuchObject", "NoSuchInstance", "EndOfMibView", "Null"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)


class SnmpSession:
    """One engine shared by many devices (an engine's first request costs ~0.3 s; reuse it)."""

    def __init__(self) -> None:
        from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

        self.engine = SnmpEngine()

    def close(self) -> None:
        self.engine.close_dispatcher()

    async def walk_device(self, host: str, port: int, auth: SnmpAuth, *, timeout_s: float = 2.0, retries: int = 1,
                          max_repetitions: int = 50, columns: Iterable[Oid] = COLUMNS) -> Walk:
        """GET the scalars, then bulk-walk every column concurrently; raise SnmpError with the reason."""
        from pysnmp.hlapi.v3arch.asyncio import ContextData, ObjectIdentity, ObjectType, UdpTransportTarget, get_cmd

        target = await UdpTransportTarget.create((host, port), timeout=timeout_s, retries=retries)
        auth_data = _auth_data(auth)
        context = ContextData(contextName=auth.context.encode())
        err_ind, err_stat, _idx, var_binds = await get_cmd(
            self.engine, auth_data, target, context,
            *(ObjectType(ObjectIdentity(".".join(map(str, o)))) for o in SCALARS), lookupMib=False,
        )
        if err_ind:
            raise SnmpError(f"SNMP {host}:{port} did not answer: {err_ind}")
        if err_stat:
            raise SnmpError(f"SNMP {host}:{port} refused the request: {err_stat.prettyPrint()}")
        walk: Walk = {}
        for name, value in var_binds:
            converted = _value(value)
            if converted is not None:
                walk[tuple(name)] = converted
        if_number = walk.get(IF_NUMBER)
        expected_rows = if_number if isinstance(if_number, int) and 0 < if_number < 10000 else None
        walk.update(await self._walk_columns(auth_data, target, context, tuple(columns), max_repetitions,
                                             f"{host}:{port}", expected_rows))
        return walk

    async def _walk_columns(self, auth_data: Any, target: Any, context: Any, columns: tuple[Oid, ...],
                            max_repetitions: int, where: str, expected_rows: int | None = None) -> Walk:
        """Walk many columns together: each GETBULK carries every unfinished column (like a table walk), so a
        switch takes a few round trips instead of one walk per column.

        The first round asks for a few rows of every column (most tables of a switch are short: chassis,
        power supplies, LLDP neighbours, VLANs). The columns still going are per-port tables, so the next
        round asks for just past ``expected_rows`` (ifNumber) rows of each: the agent then does not serve,
        and we do not decode, long runs of values beyond the end of each column."""
        from pysnmp.hlapi.v3arch.asyncio import ObjectIdentity, ObjectType, bulk_cmd

        rows: Walk = {}
        cursors: dict[Oid, Oid] = {col: col for col in columns}
        seen: dict[Oid, int] = dict.fromkeys(columns, 0)
        first_round = True
        while cursors:
            active = list(cursors.items())
            for start in range(0, len(active), _MAX_COLUMNS_PER_REQUEST):
                chunk = active[start:start + _MAX_COLUMNS_PER_REQUEST]
                if first_round:
                    wanted = _FIRST_ROUND_ROWS
                elif expected_rows is not None:
                    wanted = max(expected_rows + 1 - seen[col] for col, _cursor in chunk)
                else:
                    wanted = max_repetitions
                reps = max(1, min(wanted, _VARBIND_BUDGET // len(chunk)))
                err_ind, err_stat, _idx, var_binds = await bulk_cmd(
                    self.engine, auth_data, target, context, 0, reps,
                    *(ObjectType(ObjectIdentity(".".join(map(str, cursor)))) for _col, cursor in chunk),
                    lookupMib=False,
                )
                if err_ind:
                    raise SnmpError(f"SNMP {where} stopped answering during a walk: {err_ind}")
                width = len(chunk)
                if err_stat or not var_binds:
                    for col, _cursor in chunk:  # e.g. noSuchName from a v1-style agent: these columns are absent
                        cursors.pop(col, None)
                    continue
                for k, (col, _cursor) in enumerate(chunk):
                    finished, moved = False, False
                    for rep in range(len(var_binds) // width):
                        name, value = var_binds[rep * width + k]
                        oid = tuple(name)
                        if oid[: len(col)] != col or type(value).__name__ == "EndOfMibView":
                            finished = True
                            break
                        converted = _value(value)
                        if converted is not None:
                            rows[oid] = converted
                        cursors[col] = oid
                        seen[col] += 1
                        moved = True
                    if finished or not moved:
                        cursors.pop(col, None)
            first_round = False
        return rows

    async def system(self, host: str, port: int, auth: SnmpAuth, *, timeout_s: float = 1.0, retries: int = 0
                     ) -> dict[str, Any] | None:
        """sysName/sysDescr/sysServices of whatever answers at host:port, or None when nothing does."""
        try:
            walk = await self.walk_device(host, port, auth, timeout_s=timeout_s, retries=retries, columns=())
        except SnmpError:
            return None
        services = walk.get(SYS_SERVICES)
        return {"name": _text(walk.get(SYS_NAME)), "description": _text(walk.get(SYS_DESCR)),
                "layer2": isinstance(services, int) and bool(services & 2)}

    async def ups_status(self, host: str, port: int, auth: SnmpAuth, *, timeout_s: float = 2.0) -> str:
        """UPS-MIB upsOutputSource as a word (normal, battery, bypass, none ...)."""
        from pysnmp.hlapi.v3arch.asyncio import ContextData, ObjectIdentity, ObjectType, UdpTransportTarget, get_cmd

        target = await UdpTransportTarget.create((host, port), timeout=timeout_s, retries=1)
        err_ind, err_stat, _idx, var_binds = await get_cmd(
            self.engine, _auth_data(auth), target, ContextData(contextName=auth.context.encode()),
            ObjectType(ObjectIdentity(".".join(map(str, UPS_OUTPUT_SOURCE)))), lookupMib=False,
        )
        if err_ind or err_stat:
            raise SnmpError(f"UPS {host}:{port} did not answer: {err_ind or err_stat.prettyPrint()}")
        value = _value(var_binds[0][1])
        if not isinstance(value, int):
            raise SnmpError(f"UPS {host}:{port} has no UPS-MIB upsOutputSource")
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


def _column(walk: Mapping[Oid, Any], column: Oid) -> dict[Oid, Any]:
    n = len(column)
    return {oid[n:]: v for oid, v in walk.items() if oid[:n] == column and len(oid) > n}


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip("\x00").strip() or None
    if value is None:
        return None
    return str(value).strip() or None


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
        port_id = _text(rem_pdesc.get(idx)) or (
            _text(rem_port.get(idx)) if isinstance(rem_port.get(idx), bytes) and rem_port.get(idx).isascii() else None
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
