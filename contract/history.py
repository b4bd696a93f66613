"""Broadband history summaries: medians and the school day's time bands.

Pure functions of the recorded history points, shared by the probe (which keeps the history file), the
report and the collector's trend pages, so that each computes "the median of recent runs" the same way.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from contract.evidence.broadband import HistoryPoint

# Bands of the school day (local time): the teaching day is where a slow line hurts.
TIME_BANDS: tuple[tuple[str, int, int], ...] = (
    ("00:00-06:00", 0, 6),
    ("06:00-09:00", 6, 9),
    ("09:00-12:00", 9, 12),
    ("12:00-15:00", 12, 15),
    ("15:00-18:00", 15, 18),
    ("18:00-24:00", 18, 24),
)


@dataclass(frozen=True)
class BandSummary:
    label: str
    runs: int
    median_download_mbps: float | None
    median_upload_mbps: float | None


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(statistics.median(present)) if present else None


def median_download(points: list[HistoryPoint]) -> float | None:
    return median([p.download_mbps for p in points])


def median_upload(points: list[HistoryPoint]) -> float | None:
    return median([p.upload_mbps for p in points])


def band_of(hour: int) -> str:
    for label, start, end in TIME_BANDS:
        if start <= hour < end:
            return label
    raise ValueError(f"hour {hour} is not 0-23")


def by_time_of_day(points: list[HistoryPoint]) -> list[BandSummary]:
    """Every band that has at least one run, in the order of the day."""
    out = []
    for label, start, end in TIME_BANDS:
        mine = [p for p in points if start <= p.local_hour < end]
        if mine:
            out.append(BandSummary(label, len(mine), median_download(mine), median_upload(mine)))
    return out


def slowest_band(points: list[HistoryPoint]) -> BandSummary | None:
    """The band with the lowest median download (None with fewer than two bands: nothing to compare)."""
    bands = [b for b in by_time_of_day(points) if b.median_download_mbps is not None]
    if len(bands) < 2:
        return None
    return min(bands, key=lambda b: b.median_download_mbps or 0.0)
