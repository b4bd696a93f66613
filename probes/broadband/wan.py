"""Backup connection evidence: the WAN links on the edge router, read over SNMP (IF-MIB) with pysnmp 7 asyncio.

pysnmp 7 bundles no IF-MIB (and cannot fetch one offline), so the walk uses numeric OIDs and the small name
map below. Which interfaces are WAN links: those named in ``wan_interfaces`` (ifName, ifDescr or ifAlias), or
else those whose alias/name/description matches ``wan_pattern`` ("WAN", "Internet", "Dialer", ...).
A link's line type is taken from a declared link of the same name, or guessed from its alias ("FTTP backup").
The SNMP client is the one in probes/snmp.py; the community and keys arrive resolved (never in evidence or logs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from contract.errors import Reason
from contract.evidence.broadband import BroadbandLinks, WanLink
from probes.broadband.common import MeasurementError
from probes.broadband.settings import DeclaredWanLink, WanRouter
from probes.snmp import (
    IF_ADMIN,
    IF_ALIAS,
    IF_DESCR,
    IF_HIGH_SPEED,
    IF_NAME,
    IF_OPER,
    IF_SPEED,
    Oid,
    SnmpError,
    SnmpSession,
    Walk,
    column,
)


@dataclass
class Interface:
    """One row of the router's IF-MIB, as read (None where the router did not say)."""

    descr: str | None = None
    name: str | None = None
    alias: str | None = None
    admin: int | None = None  # ifAdminStatus: 1 up, 2 down
    oper: int | None = None  # ifOperStatus: 1 up, 2 down, 7 lowerLayerDown ...
    speed_bps: int | None = None
    high_speed_mbps: int | None = None

    def labels(self) -> list[str]:
        return [label for label in (self.name, self.descr, self.alias) if label]


# The IF-MIB columns read for each interface (the OIDs live with the one SNMP client, probes/snmp.py).
COLUMNS: dict[Oid, str] = {
    IF_DESCR: "descr",
    IF_SPEED: "speed_bps",
    IF_ADMIN: "admin",
    IF_OPER: "oper",
    IF_NAME: "name",
    IF_HIGH_SPEED: "high_speed_mbps",
    IF_ALIAS: "alias",
}
_TEXT_COLUMNS = ("descr", "name", "alias")


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


def rows_from_walk(walk: Walk) -> dict[int, Interface]:
    """{ifIndex: Interface} from a walk of COLUMNS."""
    rows: dict[int, Interface] = {}
    for col, name in COLUMNS.items():
        for index, value in column(walk, col).items():
            if len(index) != 1:
                continue
            if name in _TEXT_COLUMNS:
                raw = value if isinstance(value, bytes) else str(value).encode()
                setattr(rows.setdefault(index[0], Interface()), name, raw.decode("utf-8", "replace").strip("\x00 "))
            elif isinstance(value, int):
                setattr(rows.setdefault(index[0], Interface()), name, value)
    return rows


def select_wan(
    rows: dict[int, Interface], wan_interfaces: list[str], wan_pattern: str,
    declared: list[DeclaredWanLink] | None = None,
) -> list[WanLink]:
    wanted = {w.lower() for w in wan_interfaces}
    declared_types = {d.name.lower(): d.type for d in declared or []}
    pattern = re.compile(wan_pattern)
    links = []
    for index in sorted(rows):
        row = rows[index]
        labels = row.labels()
        if wanted:
            if not any(label.lower() in wanted for label in labels):
                continue
        elif not any(pattern.search(label) for label in labels):
            continue
        name = row.name or row.descr or f"ifIndex {index}"
        speed = row.high_speed_mbps or (row.speed_bps // 1_000_000 if row.speed_bps else None)
        line_type = next((declared_types[label.lower()] for label in labels if label.lower() in declared_types), None)
        links.append(WanLink(
            name=name,
            if_index=index,
            alias=row.alias or None,
            oper_up=row.oper == 1 if row.oper is not None else None,  # IF-MIB: 1 up, 2 down, 7 lowerLayerDown ...
            speed_mbps=speed or None,
            type=line_type or type_from_text(" ".join(labels)),
        ))
    return links


async def walk_interfaces(router: WanRouter) -> Walk:
    """Bulk-walk the IF-MIB columns; MeasurementError with the reason when the router does not answer."""
    session = SnmpSession()
    try:
        return await session.walk(router.host, router.snmp.port, router.snmp.auth, columns=tuple(COLUMNS),
                                  timeout_s=router.snmp.timeout_s, retries=router.snmp.retries, max_repetitions=25)
    except SnmpError as exc:
        if exc.reason is Reason.protocol_error:
            raise MeasurementError(f"the router {router.host} refused the SNMP walk: {exc.why}",
                                   reason=exc.reason) from None
        raise MeasurementError(f"the router {router.host} did not answer SNMP: {exc.why}", reason=exc.reason) from None
    finally:
        session.close()


async def poll_wan_links(
    router: WanRouter, *, declared: list[DeclaredWanLink] | None = None, today: datetime
) -> BroadbandLinks:
    rows = rows_from_walk(await walk_interfaces(router))
    if not rows:
        raise MeasurementError(f"the router {router.host} returned no IF-MIB interfaces")
    links = select_wan(rows, list(router.wan_interfaces), router.wan_pattern, declared)
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
