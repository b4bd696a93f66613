"""The HTML report's Wi-Fi rooms table: one row per survey location, coloured by signal.

For each room: the best signal of each staff/student SSID against the threshold, the school's access
points heard (of all networks heard), 2.4 GHz channel health (school radios off 1/6/11 overlap their
neighbours; co-channel = other networks on a school radio's channel, loud enough to share airtime),
and the room's result. Read from the report's ``wifi.survey`` evidence, so a re-judged report shows
the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from contract.evidence.wifi import WifiNetwork, WifiSurvey
from contract.site import SiteProfile
from reports.charts import Bar, Chart, bar_chart
from reports.sections import Cell, Table

if TYPE_CHECKING:
    from contract.report import Report

NON_OVERLAPPING_24 = (1, 6, 11)
# Another network this loud on the same channel makes the school's radio wait its turn (CCA, 20 MHz).
CO_CHANNEL_MIN_DBM = -82
DEFAULT_THRESHOLD_DBM = -67


@dataclass(frozen=True)
class RoomSummary:
    location: str
    samples: int
    best_dbm: dict[str, int | None]  # wanted SSID -> best signal heard (None: not heard)
    school_aps: int
    networks_heard: int
    overlapping_24: list[str]  # "Riverside-Staff ch 3"
    co_channel: int
    status: str  # pass / warn (below the good-practice level) / fail (not heard) / unknown
    estimated: bool


def _wanted(site: SiteProfile) -> list[str]:
    wanted = [s.ssid for s in site.wifi.ssids if s.role in ("staff", "student")]
    return wanted or [s.ssid for s in site.wifi.ssids]


def _is_school(n: WifiNetwork, site: SiteProfile) -> bool:
    if site.wifi.known_bssids or site.wifi.known_ouis:
        known = n.bssid in site.wifi.known_bssids or n.bssid.startswith(tuple(o + ":" for o in site.wifi.known_ouis))
        return known
    return site.wifi.role_of(n.ssid) is not None


def summarise_room(survey: WifiSurvey, site: SiteProfile, threshold_dbm: int) -> RoomSummary:
    wanted = _wanted(site)
    best: dict[str, int | None] = {ssid: None for ssid in wanted}
    for n in survey.networks:
        if n.ssid in best and n.signal_dbm is not None and _is_school(n, site):
            current = best[n.ssid]
            best[n.ssid] = n.signal_dbm if current is None else max(current, n.signal_dbm)
    school = [n for n in survey.networks if _is_school(n, site)]
    overlapping = sorted(
        {f"{n.ssid or n.bssid} ch {n.channel}" for n in school
         if n.band == "2.4" and n.channel is not None and n.channel not in NON_OVERLAPPING_24}
    )
    school_channels = {(n.band, n.channel) for n in school if n.channel is not None}
    co_channel = sum(
        1
        for n in survey.networks
        if not _is_school(n, site)
        and (n.band, n.channel) in school_channels
        and (n.signal_dbm is None or n.signal_dbm >= CO_CHANNEL_MIN_DBM)
    )
    if not survey.samples or not wanted:
        status = "unknown"
    elif any(v is None for v in best.values()):
        status = "fail"  # DfE: "a fully functional signal ... throughout": not heard at all is not met
    elif any(v is not None and v < threshold_dbm for v in best.values()):
        status = "warn"  # below the industry design level: good practice, not a DfE figure
    else:
        status = "pass"
    return RoomSummary(
        location=survey.location or "?",
        samples=survey.samples or 0,
        best_dbm=best,
        school_aps=len(school),
        networks_heard=len(survey.networks),
        overlapping_24=overlapping,
        co_channel=co_channel,
        status=status,
        estimated=any(n.signal_estimated for n in survey.networks),
    )


def _threshold(site: SiteProfile) -> int:
    value = site.overrides.get("wifi_signal_coverage", {}).get("min_signal_dbm", DEFAULT_THRESHOLD_DBM)
    return int(value)


def rooms_table(report: Report) -> Table | None:
    """Rooms coloured by signal; None when the report holds no survey."""
    surveys = [
        model
        for record in report.evidence
        if record.kind == WifiSurvey.kind and (model := record.model()) is not None
    ]
    if not surveys:
        return None
    site = report.site_profile
    threshold = _threshold(site)
    rooms = [summarise_room(s, site, threshold) for s in surveys if isinstance(s, WifiSurvey)]
    wanted = _wanted(site)
    columns = ["Room", "Samples", *[f"{ssid} (best dBm)" for ssid in wanted], "School APs / all heard",
               "2.4 GHz off 1/6/11", "Co-channel neighbours", "Result"]
    rows = []
    for room in rooms:
        cells = [Cell(room.location), Cell(str(room.samples))]
        for ssid in wanted:
            value = room.best_dbm.get(ssid)
            if not room.samples:
                cells.append(Cell("-", "unknown"))
            elif value is None:
                cells.append(Cell("not heard", "fail"))
            else:
                mark = "~" if room.estimated else ""
                cells.append(Cell(f"{mark}{value}", "pass" if value >= threshold else "warn"))
        cells.append(Cell(f"{room.school_aps} / {room.networks_heard}"))
        cells.append(Cell(", ".join(room.overlapping_24) or "none", "warn" if room.overlapping_24 else None))
        cells.append(Cell(str(room.co_channel), "warn" if room.co_channel else None))
        label = {"pass": "Met: good signal", "warn": "Attention: weak signal", "fail": "Not met: no signal",
                 "unknown": "Not measured: not surveyed"}[room.status]
        cells.append(Cell(label, room.status))
        rows.append(cells)
    failing = [r.location for r in rooms if r.status == "fail"]
    weak = [r.location for r in rooms if r.status == "warn"]
    unsurveyed = [r.location for r in rooms if r.status == "unknown"]
    intro = (
        f"Best signal of each staff and student network in every surveyed room, against {threshold} dBm "
        "(industry practice for reliable classroom use, not a DfE figure; set in [thresholds]). "
        + (f"No signal at all in: {', '.join(failing)}. " if failing else "")
        + (f"Weak signal in: {', '.join(weak)}. " if weak else "")
        + ("Every surveyed room has a good signal. " if not failing and not weak else "")
        + (f"Not surveyed yet: {', '.join(unsurveyed)}. " if unsurveyed else "")
        + ("Values marked ~ are estimated from nmcli's signal percentage." if any(r.estimated for r in rooms) else "")
    ).strip()
    return Table(title="Wi-Fi coverage by room", intro=intro, columns=columns, rows=rows, standard="wireless",
                 chart=rooms_chart(rooms, threshold))


def rooms_chart(rooms: list[RoomSummary], threshold_dbm: int) -> Chart | None:
    """The weakest staff/student network's best signal in each room, against the coverage level."""
    if not rooms:
        return None
    bars = []
    for room in rooms:
        heard = [v for v in room.best_dbm.values() if v is not None]
        if not room.samples:
            bars.append(Bar(room.location, None, "not surveyed"))
        elif len(heard) < len(room.best_dbm) or not heard:
            bars.append(Bar(room.location, None, "a school network not heard"))
        else:
            bars.append(Bar(room.location, float(min(heard)), "(estimated)" if room.estimated else ""))
    return bar_chart(
        bars,
        title="Wi-Fi signal by room",
        unit="dBm",
        threshold=float(threshold_dbm),
        threshold_label=f"coverage level {threshold_dbm} dBm (industry practice)",
        floor=-95.0,
    )
