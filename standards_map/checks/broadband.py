"""Broadband checks: speeds against the phase minimum, backup link, full fibre hint, latency under load."""

from __future__ import annotations

from probes.evidence.broadband import BroadbandLinks, BroadbandSpeed
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
    """Warn when latency rises by more than the bound while the line is saturated (bufferbloat)."""
    if ev.latency_idle_ms is None or ev.latency_loaded_ms is None:
        return unknown("Latency was not measured both idle and under load.")
    increase = ev.latency_loaded_ms - ev.latency_idle_ms
    measured = f"+{increase:.0f} ms under load ({ev.latency_idle_ms:.0f} ms idle)"
    expected = f"<= +{max_increase_ms:g} ms"
    if increase <= max_increase_ms:
        return passed("Latency stays low while the line is busy.", measured, expected)
    return warned(
        f"Latency rises by {increase:.0f} ms when the line is busy; video calls and cloud apps will stutter.",
        measured,
        expected,
    )


@check(evidence=BroadbandSpeed)
def broadband_full_fibre(
    ev: BroadbandSpeed, *, copper_max_down_mbps: float = 80, copper_max_up_mbps: float = 20
) -> Outcome:
    """A hint only: speeds beyond what copper (FTTC/ADSL) delivers suggest full fibre."""
    if ev.download_mbps is None or ev.upload_mbps is None:
        return unknown("No speeds were measured, so there is no hint about the connection type.")
    measured = f"{ev.download_mbps:.0f}/{ev.upload_mbps:.0f} Mbps"
    if ev.download_mbps > copper_max_down_mbps and ev.upload_mbps > copper_max_up_mbps:
        return passed("Measured speeds are beyond what copper lines deliver, consistent with full fibre.", measured)
    return warned(
        f"Measured speeds are within what copper (FTTC) lines deliver (up to {copper_max_down_mbps:g}/"
        f"{copper_max_up_mbps:g} Mbps); confirm the connection type with the supplier.",
        measured,
    )


@check(evidence=BroadbandLinks)
def broadband_backup_connection(ev: BroadbandLinks, *, min_links: int = 2) -> Outcome:
    """Pass when the edge router has at least two WAN links up."""
    up = [link.name for link in ev.links if link.oper_up]
    measured = f"{len(up)} WAN link(s) up on {ev.router}"
    if len(up) >= min_links:
        return passed(f"{len(up)} WAN links are up ({', '.join(up)}).", measured, f">= {min_links}")
    return failed(
        f"Only {len(up)} WAN link is up on {ev.router}: a single broadband failure takes the school offline.",
        measured,
        f">= {min_links}",
    )
