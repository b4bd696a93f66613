"""Broadband checks: speeds against the phase minimum, backup link, full fibre hint, latency under load."""

from __future__ import annotations

from contract.evidence.broadband import BroadbandLinks, BroadbandSpeed
from standards_map.checks import check
from standards_map.outcome import Outcome, failed, passed, unknown, warned


def _meets_minimum(
    measured_mbps: float | None,
    direction: str,
    ev: BroadbandSpeed,
    min_mbps: float,
    overhead_allowance_percent: float,
) -> Outcome:
    expected = f">= {min_mbps:g} Mbps"
    if measured_mbps is None:
        return unknown(f"No {direction} figure was measured ({ev.backend} via {ev.server}).", expected=expected)
    if ev.link_speed_mbps is not None and ev.link_speed_mbps < min_mbps:
        return unknown(
            f"The agent's network link ({ev.interface or 'interface'}) runs at {ev.link_speed_mbps} Mbps, "
            f"so it cannot show whether the line carries {min_mbps:g} Mbps; test from a faster port.",
            measured=f"{measured_mbps:.0f} Mbps",
            expected=expected,
        )
    if ev.server_limit_mbps is not None and ev.server_limit_mbps < min_mbps:
        return unknown(
            f"The test server is limited to {ev.server_limit_mbps:g} Mbps, below the {min_mbps:g} Mbps "
            "being tested; use a faster server.",
            measured=f"{measured_mbps:.0f} Mbps",
            expected=expected,
        )
    # A line of N Mbps carries at most ~94% of N as TCP payload (Ethernet, IP and TCP framing).
    floor = min_mbps * (1 - overhead_allowance_percent / 100)
    measured = f"{measured_mbps:.0f} Mbps"
    if measured_mbps >= floor:
        return passed(f"Measured {direction} {measured} meets the {min_mbps:g} Mbps minimum.", measured, expected)
    return failed(
        f"Measured {direction} {measured} is below the {min_mbps:g} Mbps minimum "
        f"(allowing {overhead_allowance_percent:g}% for protocol overhead: {floor:.0f} Mbps).",
        measured,
        expected,
    )


@check(evidence=BroadbandSpeed)
def broadband_download_meets_minimum(
    ev: BroadbandSpeed, *, min_mbps: float, overhead_allowance_percent: float = 6.0
) -> Outcome:
    """Pass when the median measured download reaches the phase minimum."""
    return _meets_minimum(ev.download_mbps, "download", ev, min_mbps, overhead_allowance_percent)


@check(evidence=BroadbandSpeed)
def broadband_upload_meets_minimum(
    ev: BroadbandSpeed, *, min_mbps: float, overhead_allowance_percent: float = 6.0
) -> Outcome:
    """Pass when the median measured upload reaches the phase minimum."""
    return _meets_minimum(ev.upload_mbps, "upload", ev, min_mbps, overhead_allowance_percent)


@check(evidence=BroadbandSpeed)
def broadband_latency_under_load(ev: BroadbandSpeed, *, max_increase_ms: float = 100.0) -> Outcome:
    """Latency stays low while the line is busy (no bufferbloat); warns when it rises beyond the bound."""
    if ev.latency_idle_ms is None or ev.latency_loaded_ms is None:
        hint = f" (the {ev.backend} backend measures no idle and loaded latency pair; use the http backend)" if (
            ev.backend in ("speedtest", "iperf3")) else ""
        return unknown(f"Latency was not measured both idle and under load{hint}.")
    increase = max(0.0, ev.latency_loaded_ms - ev.latency_idle_ms)
    measured = f"+{increase:.0f} ms under load ({ev.latency_idle_ms:.0f} ms idle)"
    expected = f"<= +{max_increase_ms:g} ms"
    if increase <= max_increase_ms:
        return passed("Latency stays low while the line is busy.", measured, expected)
    return warned(
        f"Latency rises by {increase:.0f} ms when the line is busy; video calls and cloud apps will stutter.",
        measured,
        expected,
    )


# Line types as a contract names them (agent.config.broadband.ConnectionType); kept here so checks stay pure.
FULL_FIBRE_TYPES = ("leased_line", "fttp")
LINE_TYPE_NAMES = {
    "leased_line": "a leased line", "fttp": "FTTP (full fibre)", "fttc": "FTTC (fibre to the cabinet, copper "
    "to the school)", "sogea": "SOGEA (copper)", "adsl": "ADSL (copper)", "cable": "cable (coaxial)",
    "fixed_wireless": "fixed wireless", "4g": "4G mobile", "5g": "5G mobile", "satellite": "satellite",
    "other": "another type",
}


@check(evidence=BroadbandSpeed)
def broadband_full_fibre(
    ev: BroadbandSpeed, *, copper_max_down_mbps: float = 80, copper_max_up_mbps: float = 20
) -> Outcome:
    """The line type declared from the contract decides; measured speeds beyond copper's reach are a hint."""
    beyond_copper = (
        ev.download_mbps is not None and ev.upload_mbps is not None
        and ev.download_mbps > copper_max_down_mbps and ev.upload_mbps > copper_max_up_mbps
    )
    measured = (
        f"{ev.download_mbps:.0f}/{ev.upload_mbps:.0f} Mbps"
        if ev.download_mbps is not None and ev.upload_mbps is not None else None
    )
    if ev.connection_type is not None:
        kind = LINE_TYPE_NAMES.get(ev.connection_type, ev.connection_type)
        source = f" ({ev.connection_type_source})" if ev.connection_type_source else ""
        declared = f"declared: {ev.connection_type}"
        if ev.connection_type in FULL_FIBRE_TYPES:
            if measured is not None and not beyond_copper:
                return warned(
                    f"The main line is declared as {kind}{source}, but measured speeds ({measured}) are within "
                    "what copper lines deliver; check the contracted speed with the supplier.",
                    declared, "full fibre",
                )
            return passed(f"The main line is declared as {kind}{source}.", declared, "full fibre")
        return failed(f"The main line is declared as {kind}{source}, which is not full fibre.", declared, "full fibre")
    if measured is None:
        return unknown("No speeds were measured and no line type was declared ([broadband] connection_type).")
    if beyond_copper:
        return passed("Measured speeds are beyond what copper lines deliver, consistent with full fibre "
                      "(a hint: confirm the line type from the contract).", measured)
    return warned(
        f"Measured speeds are within what copper (FTTC) lines deliver (up to {copper_max_down_mbps:g}/"
        f"{copper_max_up_mbps:g} Mbps); confirm the connection type with the supplier.",
        measured,
    )


@check(evidence=BroadbandLinks)
def broadband_backup_connection(
    ev: BroadbandLinks, *, min_links: int = 2, failover_test_max_age_days: int = 365
) -> Outcome:
    """At least two WAN links of different service types, with automatic failover between them.

    DfE asks for "multiple broadband services of different types", "multiple routers" and "automatic
    failover": what nobody has recorded (line types, failover) stays unknown rather than passing. The routers
    are judged by ``firewall_ha_or_second_router`` from the firewall's configuration.
    """
    # A declared link is in service by declaration; a polled one must be operationally up.
    up = [link for link in ev.links if link.oper_up or (ev.source == "declared" and link.oper_up is None)]
    names = ", ".join(link.name for link in up)
    where = "declared" if ev.source == "declared" else f"up on {ev.router}"
    measured = f"{len(up)} WAN link(s) {where}"
    expected = f">= {min_links} of different types, automatic failover"
    if len(up) < min_links:
        down = [link.name for link in ev.links if link not in up]
        extra = f" ({', '.join(down)} down)" if down else ""
        return failed(
            f"Only {len(up)} WAN link {where}{extra}: a single broadband failure takes the school offline.",
            measured,
            expected,
        )
    types = {link.type for link in up if link.type}
    if len(types) == 1 and all(link.type for link in up):
        return failed(
            f"{len(up)} WAN links ({names}) are all {next(iter(types))}: DfE asks for a backup of a different "
            "type, so one fault does not take both down.",
            measured,
            expected,
        )
    if ev.automatic_failover is False:
        return failed(f"{len(up)} WAN links ({names}), but failover between them is not automatic.",
                      measured, expected)
    missing = []
    if len(types) < 2 or not all(link.type for link in up):
        missing.append("the links' service types")
    if ev.automatic_failover is None:
        missing.append("whether failover is automatic")
    if missing:
        return unknown(
            f"{len(up)} WAN links are {where} ({names}), but nobody has recorded {' or '.join(missing)} "
            "([broadband] wan_links, or the link aliases on the router).",
            measured,
            expected,
        )
    if ev.failover_tested_on is None:
        return warned(f"{len(up)} WAN links are {where} ({names}) but no failover test date is recorded.",
                      measured, expected)
    if ev.checked_on is not None:
        age = (ev.checked_on - ev.failover_tested_on).days
        if age > failover_test_max_age_days:
            return warned(
                f"{len(up)} WAN links ({names}); the last failover test was {age} days ago "
                f"({ev.failover_tested_on.isoformat()}): test it again.",
                measured,
                expected,
            )
    return passed(
        f"{len(up)} WAN links of different types are {where} ({names}) with automatic failover.", measured, expected
    )
