"""Backup connection evidence: the WAN links on the edge router, read over SNMP (IF-MIB) with pysnmp 7 asyncio.

pysnmp 7 bundles no IF-MIB (and cannot fetch one offline), so the walk uses numeric OIDs and the small name
map below. Which interfaces are WAN links: those named in ``wan_interfaces`` (ifName, ifDescr or ifAlias), or
else those whose alias/name/description matches ``wan_pattern`` ("WAN", "Internet", "Dialer", ...).
A link's line type is taken from a declared link of the same name, or guessed from its alias ("FTTP backup").
The community and keys are read from their SecretRef only here and never reach evidence or logs.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from contract.evidence.broadband import BroadbandLinks, WanLink
from probes.broadband.common import MeasurementError

if TYPE_CHECKING:
    from agent.config.broadband import DeclaredWanLink, RouterConfig

IF_TABLE = "1.3.6.1.2.1.2.2.1"
IF_X_TABLE = "1.3.6.1.2.1.31.1.1.1"
COLUMNS = {
    f"{IF_TABLE}.2": "descr",
    f"{IF_TABLE}.5": "speed_bps",
    f"{IF_TABLE}.7": "admin",
    f"{IF_TABLE}.8": "oper",
    f"{IF_X_TABLE}.1": "name",
    f"{IF_X_TABLE}.15": "high_speed_mbps",
    f"{IF_X_TABLE}.18": "alias",
}
# Words in an interface alias that name the line type (first match wins).
TYPE_HINTS: tuple[tuple[str, str], ...] = (
    (r"leased|ethernet\s*first\s*mile|efm|\bll\b", "leased_line"),
    (r"fttp|ftth|full\s*fibre|full\s*fiber|gpon", "fttp"),
    (r"fttc|vdsl", "fttc"),
    (r"sogea", "sogea"),
    (r"adsl", "adsl"),
    (r"docsis|cable", "cable"),
    (r"\b5g\b", "5g"),
    (r"\b4g\b|\blte\b", "4g"),
    (r"satellite|starlink|vsat", "satellite"),
)


def type_from_text(text: str) -> str | None:
    for pattern, line_type in TYPE_HINTS:
        if re.search(pattern, text, flags=re.IGNORECASE):
            return line_type
    return None


def rows_from_varbinds(varbinds: list[tuple[str, Any]]) -> dict[int, dict[str, Any]]:
    """{ifIndex: {descr, name, alias, oper, admin, speed_bps, high_speed_mbps}} from (oid, value) pairs."""
    rows: dict[int, dict[str, Any]] = {}
    for oid, value in varbinds:
        column, _, index = oid.rpartition(".")
        name = COLUMNS.get(column)
        if name is None or not index.isdigit():
            continue
        if name in ("descr", "name", "alias"):
            raw = value.asOctets() if hasattr(value, "asOctets") else str(value).encode()
            rows.setdefault(int(index), {})[name] = raw.decode("utf-8", "replace").strip("\x00 ")
        else:
            rows.setdefault(int(index), {})[name] = int(value)
    return rows


def select_wan(
    rows: dict[int, dict[str, Any]], wan_interfaces: list[str], wan_pattern: str,
    declared: list[DeclaredWanLink] | None = None,
) -> list[WanLink]:
    wanted = {w.lower() for w in wan_interfaces}
    declared_types = {d.name.lower(): d.type for d in declared or []}
    pattern = re.compile(wan_pattern)
    links = []
    for index in sorted(rows):
        row = rows[index]
        labels = [row.get(k, "") for k in ("name", "descr", "alias") if row.get(k)]
        if wanted:
            if not any(label.lower() in wanted for label in labels):
                continue
        elif not any(pattern.search(label) for label in labels):
            continue
        name = row.get("name") or row.get("descr") or f"ifIndex {index}"
        speed = row.get("high_speed_mbps") or (row["speed_bps"] // 1_000_000 if row.get("speed_bps") else None)
        line_type = next((declared_types[label.lower()] for label in labels if label.lower() in declared_types), None)
        links.append(WanLink(
            name=name,
            if_index=index,
            alias=row.get("alias") or None,
            oper_up=row.get("oper") == 1 if "oper" in row else None,  # IF-MIB: 1 up, 2 down, 7 lowerLayerDown ...
            speed_mbps=speed or None,
            type=line_type or type_from_text(" ".join(labels)),
        ))
    return links


async def walk_interfaces(router: RouterConfig) -> list[tuple[str, Any]]:
    """Bulk-walk ifTable and ifXTable; MeasurementError with the reason when the router does not answer."""
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        UsmUserData,
        bulk_walk_cmd,
        usmAesCfb128Protocol,
        usmAesCfb256Protocol,
        usmDESPrivProtocol,
        usmHMAC192SHA256AuthProtocol,
        usmHMACMD5AuthProtocol,
        usmHMACSHAAuthProtocol,
    )

    if router.version == "v2c":
        assert router.community is not None
        auth: Any = CommunityData(router.community.resolve().get_secret_value(), mpModel=1)
    else:
        auth_proto = {"sha": usmHMACSHAAuthProtocol, "sha256": usmHMAC192SHA256AuthProtocol,
                      "md5": usmHMACMD5AuthProtocol}[router.auth_protocol]
        priv_proto = {"aes": usmAesCfb128Protocol, "aes256": usmAesCfb256Protocol,
                      "des": usmDESPrivProtocol}[router.priv_protocol]
        keys: dict[str, Any] = {}
        if router.auth_key is not None:
            keys.update(authKey=router.auth_key.resolve().get_secret_value(), authProtocol=auth_proto)
        if router.priv_key is not None:
            keys.update(privKey=router.priv_key.resolve().get_secret_value(), privProtocol=priv_proto)
        auth = UsmUserData(router.username or "", **keys)
    engine = SnmpEngine()
    try:
        target = await UdpTransportTarget.create((router.host, router.port), timeout=router.timeout_s,
                                                 retries=router.retries)
        varbinds: list[tuple[str, Any]] = []
        for table in (IF_TABLE.rsplit(".", 1)[0], IF_X_TABLE.rsplit(".", 1)[0]):
            async for error_indication, error_status, _index, rows in bulk_walk_cmd(
                engine, auth, target, ContextData(contextName=router.context_name.encode()), 0, 25,
                ObjectType(ObjectIdentity(table)), lexicographicMode=False, lookupMib=False,
            ):
                if error_indication:
                    raise MeasurementError(f"the router {router.host} did not answer SNMP: {error_indication}")
                if error_status:
                    status = error_status.prettyPrint()
                    raise MeasurementError(f"the router {router.host} refused the SNMP walk: {status}")
                varbinds.extend((str(oid), value) for oid, value in rows)
    finally:
        engine.close_dispatcher()
    return varbinds


async def poll_wan_links(
    router: RouterConfig, *, declared: list[DeclaredWanLink] | None = None, today: datetime
) -> BroadbandLinks:
    rows = rows_from_varbinds(await walk_interfaces(router))
    if not rows:
        raise MeasurementError(f"the router {router.host} returned no IF-MIB interfaces")
    links = select_wan(rows, router.wan_interfaces, router.wan_pattern, declared)
    tested = [d.failover_tested_on for d in declared or [] if d.failover_tested_on is not None]
    automatic = [d.automatic_failover for d in declared or [] if d.automatic_failover is not None]
    return BroadbandLinks(
        router=router.host,
        source="snmp",
        links=links,
        checked_on=today.date(),
        failover_tested_on=max(tested) if tested else None,
        automatic_failover=all(automatic) if automatic else None,
    )
