"""The one SNMP client (pysnmp 7, asyncio), used by the switch probe and the broadband WAN-link reader.

pysnmp 7 ships no IF-MIB (and cannot fetch one offline), so objects are named by numeric OID, once, here (the
names in comments are the MIB's). :class:`SnmpAuth` is the one authentication model: every SNMP table in the
agent's config (a switch's ``snmp``, a UPS, discovery, the edge router) is turned into it by the agent, with
its secrets already resolved. pysnmp's errors become :class:`SnmpError` (a CollectionError) here, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from contract.errors import CollectionError, Reason
from contract.secrets import Secret, known, reveal

Oid = tuple[int, ...]
Walk = dict[Oid, Any]  # values: int, bytes (OCTET STRING / IpAddress) or Oid (OBJECT IDENTIFIER)


def oid(text: str) -> Oid:
    return tuple(int(x) for x in text.split("."))


# SNMPv2-MIB system group and IF-MIB: the objects every reader shares.
SYS_DESCR = oid("1.3.6.1.2.1.1.1.0")  # SNMPv2-MIB::sysDescr.0
SYS_OBJECT_ID = oid("1.3.6.1.2.1.1.2.0")  # sysObjectID.0
SYS_NAME = oid("1.3.6.1.2.1.1.5.0")  # sysName.0
SYS_SERVICES = oid("1.3.6.1.2.1.1.7.0")  # sysServices.0: bit value 2 = layer 2 (a bridge, i.e. a switch)
IF_NUMBER = oid("1.3.6.1.2.1.2.1.0")  # IF-MIB::ifNumber.0, sizes the bulk requests
IF_DESCR = oid("1.3.6.1.2.1.2.2.1.2")  # ifDescr
IF_TYPE = oid("1.3.6.1.2.1.2.2.1.3")  # ifType
IF_SPEED = oid("1.3.6.1.2.1.2.2.1.5")  # ifSpeed, bit/s (saturates at 4.29 Gbit/s: ifHighSpeed beyond)
IF_ADMIN = oid("1.3.6.1.2.1.2.2.1.7")  # ifAdminStatus: 1 up, 2 down
IF_OPER = oid("1.3.6.1.2.1.2.2.1.8")  # ifOperStatus: 1 up, 2 down, 7 lowerLayerDown ...
IF_IN_ERRORS = oid("1.3.6.1.2.1.2.2.1.14")
IF_OUT_ERRORS = oid("1.3.6.1.2.1.2.2.1.20")
IF_NAME = oid("1.3.6.1.2.1.31.1.1.1.1")  # IF-MIB::ifName (ifXTable)
IF_HIGH_SPEED = oid("1.3.6.1.2.1.31.1.1.1.15")  # ifHighSpeed, Mbit/s
IF_ALIAS = oid("1.3.6.1.2.1.31.1.1.1.18")  # ifAlias: the description an administrator gave the port

# A GETBULK response holds about this many values at most (a 48-port switch's port columns in one request),
# and carries at most this many columns; both keep responses well under a UDP datagram (~40 bytes a value).
_VARBIND_BUDGET = 1000
_MAX_COLUMNS_PER_REQUEST = 40
_FIRST_ROUND_ROWS = 8


class SnmpError(CollectionError):
    """The agent did not answer properly (timeout, authentication, unknown user): the reason is the message;
    ``why`` is pysnmp's own words, for callers that phrase their own sentence."""

    def __init__(self, message: str, *, why: str = "", reason: Reason | None = None) -> None:
        super().__init__(message, reason=reason)
        self.why = why or message


@dataclass(frozen=True)
class SnmpAuth:
    """How to authenticate: v2c with a community, or v3 (USM) with a user and keys. The one SNMP auth model.

    Secrets are :class:`contract.secrets.Secret` (resolved by the agent; plain strings are accepted for the lab
    and tests) and are revealed only when a request is sent; never logged or stored.
    """

    version: Literal["v2c", "v3"]
    community: Secret | str | None = None
    user: str | None = None
    auth_key: Secret | str | None = None
    priv_key: Secret | str | None = None
    auth_protocol: Literal["sha", "sha256", "md5"] = "sha"
    priv_protocol: Literal["aes", "aes256", "des"] = "aes"
    context: str = ""

    def __repr__(self) -> str:  # never show keys in a traceback or log
        return f"SnmpAuth(version={self.version!r}, user={self.user!r})"

    def secrets(self) -> list[str]:
        """The secret values that were read (to scrub them from anything printed)."""
        return [s for s in (known(self.community), known(self.auth_key), known(self.priv_key)) if s]


def auth_data(auth: SnmpAuth) -> Any:
    """pysnmp's CommunityData/UsmUserData; SecretUnavailable when a secret could not be read by the agent."""
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        UsmUserData,
        usmAesCfb128Protocol,
        usmAesCfb256Protocol,
        usmDESPrivProtocol,
        usmHMAC192SHA256AuthProtocol,
        usmHMACMD5AuthProtocol,
        usmHMACSHAAuthProtocol,
    )

    if auth.version == "v2c":
        return CommunityData(reveal(auth.community) or "", mpModel=1)
    keys: dict[str, Any] = {}
    if auth.auth_key is not None:
        keys.update(authKey=reveal(auth.auth_key), authProtocol={
            "sha": usmHMACSHAAuthProtocol, "sha256": usmHMAC192SHA256AuthProtocol, "md5": usmHMACMD5AuthProtocol,
        }[auth.auth_protocol])
    if auth.priv_key is not None:
        keys.update(privKey=reveal(auth.priv_key), privProtocol={
            "aes": usmAesCfb128Protocol, "aes256": usmAesCfb256Protocol, "des": usmDESPrivProtocol,
        }[auth.priv_protocol])
    return UsmUserData(auth.user or "", **keys)


def value_of(value: Any) -> Any:
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


def column(walk: Mapping[Oid, Any], col: Oid) -> dict[Oid, Any]:
    """{index suffix: value} of one column of a walk."""
    n = len(col)
    return {k[n:]: v for k, v in walk.items() if k[:n] == col and len(k) > n}


def text(value: Any) -> str | None:
    """An OCTET STRING as text (NULs and edge spaces stripped); None when empty or absent."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip("\x00").strip() or None
    if value is None:
        return None
    return str(value).strip() or None


@dataclass(frozen=True)
class SystemInfo:
    """What an agent says about itself (SNMPv2-MIB system group)."""

    name: str | None
    description: str | None
    layer2: bool  # sysServices says it bridges: a switch (a printer or a server answers SNMP too)


class SnmpSession:
    """One engine shared by many devices (an engine's first request costs ~0.3 s; reuse it)."""

    def __init__(self) -> None:
        from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

        self.engine = SnmpEngine()

    def close(self) -> None:
        self.engine.close_dispatcher()

    async def get(self, host: str, port: int, auth: SnmpAuth, oids: Iterable[Oid], *, timeout_s: float = 2.0,
                  retries: int = 1) -> Walk:
        """GET scalars; SnmpError with the reason when the agent does not answer or refuses."""
        from pysnmp.hlapi.v3arch.asyncio import ContextData, UdpTransportTarget

        target = await UdpTransportTarget.create((host, port), timeout=timeout_s, retries=retries)
        context = ContextData(contextName=auth.context.encode())
        return await self._get(auth_data(auth), target, context, tuple(oids), f"{host}:{port}")

    async def _get(self, auth_data: Any, target: Any, context: Any, oids: tuple[Oid, ...], where: str) -> Walk:
        from pysnmp.hlapi.v3arch.asyncio import ObjectIdentity, ObjectType, get_cmd

        err_ind, err_stat, _idx, var_binds = await get_cmd(
            self.engine, auth_data, target, context,
            *(ObjectType(ObjectIdentity(".".join(map(str, o)))) for o in oids), lookupMib=False,
        )
        if err_ind:
            raise SnmpError(f"SNMP {where} did not answer: {err_ind}", why=str(err_ind))
        if err_stat:
            why = err_stat.prettyPrint()
            raise SnmpError(f"SNMP {where} refused the request: {why}", why=why, reason=Reason.protocol_error)
        walk: Walk = {}
        for name, value in var_binds:
            converted = value_of(value)
            if converted is not None:
                walk[tuple(name)] = converted
        return walk

    async def walk(self, host: str, port: int, auth: SnmpAuth, *, scalars: Iterable[Oid] = (),
                   columns: Iterable[Oid] = (), timeout_s: float = 2.0, retries: int = 1,
                   max_repetitions: int = 50) -> Walk:
        """GET the scalars (and ifNumber, which sizes the requests), then bulk-walk every column concurrently;
        raise SnmpError with the reason."""
        from pysnmp.hlapi.v3arch.asyncio import ContextData, UdpTransportTarget

        target = await UdpTransportTarget.create((host, port), timeout=timeout_s, retries=retries)
        credentials = auth_data(auth)
        context = ContextData(contextName=auth.context.encode())
        asked = tuple(scalars)
        where = f"{host}:{port}"
        walk = await self._get(credentials, target, context, asked if IF_NUMBER in asked else (*asked, IF_NUMBER),
                               where)
        if_number = walk.get(IF_NUMBER) if IF_NUMBER in asked else walk.pop(IF_NUMBER, None)
        expected_rows = if_number if isinstance(if_number, int) and 0 < if_number < 10000 else None
        cols = tuple(columns)
        if cols:
            walk.update(await self._walk_columns(credentials, target, context, cols, max_repetitions, where,
                                                 expected_rows))
        return walk

    async def system(self, host: str, port: int, auth: SnmpAuth, *, timeout_s: float = 1.0, retries: int = 0
                     ) -> SystemInfo | None:
        """sysName/sysDescr/sysServices of whatever answers at host:port, or None when nothing does."""
        try:
            walk = await self.get(host, port, auth, (SYS_DESCR, SYS_NAME, SYS_SERVICES), timeout_s=timeout_s,
                                  retries=retries)
        except SnmpError:
            return None
        services = walk.get(SYS_SERVICES)
        return SystemInfo(name=text(walk.get(SYS_NAME)), description=text(walk.get(SYS_DESCR)),
                          layer2=isinstance(services, int) and bool(services & 2))

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
                        converted = value_of(value)
                        if converted is not None:
                            rows[oid] = converted
                        cursors[col] = oid
                        seen[col] += 1
                        moved = True
                    if finished or not moved:
                        cursors.pop(col, None)
            first_round = False
        return rows



@dataclass(frozen=True)
class SnmpAccess:
    """How to poll one agent (everything but its address): the shared SNMP settings of every probe."""

    auth: SnmpAuth
    port: int = 161
    timeout_s: float = 2.0
    retries: int = 1
