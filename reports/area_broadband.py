"""The HTML report's broadband history table: the recent runs by time of day, and the slowest time.

One test at 2 a.m. says little about 11 a.m.: the table shows, for each band of the day, how many runs there
were and their median download and upload, with the slowest band marked. The intro gives the median of all
recent runs and this scan's own figures. Read from the report's ``broadband.speed`` evidence (which carries the
recent history), so a re-judged report shows the same table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contract.evidence.broadband import BroadbandSpeed
from contract.history import by_time_of_day, median_download, median_upload, slowest_band
from reports.sections import Cell, Table

if TYPE_CHECKING:
    from contract.report import Report


def _mbps(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} Mbps"


def latest_speed(report: Report) -> BroadbandSpeed | None:
    found: list[tuple[object, BroadbandSpeed]] = []
    for record in report.evidence:
        if record.kind != BroadbandSpeed.kind or not record.ok:
            continue
        model = record.model()
        if isinstance(model, BroadbandSpeed):
            found.append((record.collected_at, model))
    if not found:
        return None
    return max(found, key=lambda pair: pair[0])[1]  # type: ignore[arg-type, return-value]


def history_table(report: Report) -> Table | None:
    """Runs by time of day with the slowest band marked; None when no speed was measured."""
    speed = latest_speed(report)
    if speed is None:
        return None
    points = speed.history
    now = f"This scan ({speed.local_time or 'now'}): {_mbps(speed.download_mbps)} down, {_mbps(speed.upload_mbps)} up."
    if not points:
        return Table(
            title="Broadband over time",
            intro=f"{now} No earlier runs are stored yet; schedule nightly runs (schoolnet schedule install) "
            "to see how the line varies through the day.",
            columns=["Time of day", "Runs", "Median download", "Median upload"],
        )
    slowest = slowest_band(points)
    days = (points[-1].started_at - points[0].started_at).days + 1
    intro = (
        f"Median of the {len(points)} runs over the last {days} day{'s' if days != 1 else ''}: "
        f"{_mbps(median_download(points))} down, {_mbps(median_upload(points))} up. {now}"
    )
    if slowest is not None:
        intro += f" Slowest time of day: {slowest.label} ({_mbps(slowest.median_download_mbps)} down)."
    if any(p.backend == "simulated" for p in points):
        intro += " Earlier runs here are simulated (demo)."
    rows = []
    for band in by_time_of_day(points):
        mark = "warn" if slowest is not None and band.label == slowest.label else None
        rows.append([
            Cell(band.label + (" (slowest)" if mark else ""), mark),
            Cell(str(band.runs)),
            Cell(_mbps(band.median_download_mbps), mark),
            Cell(_mbps(band.median_upload_mbps), mark),
        ])
    return Table(
        title="Broadband over time",
        intro=intro,
        columns=["Time of day", "Runs", "Median download", "Median upload"],
        rows=rows,
    )
