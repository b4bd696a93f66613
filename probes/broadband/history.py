"""Runs kept over time in the agent's state dir, and what the report says about them.

One test at 2 a.m. says little about 11 a.m., so every scheduled run is appended to
``<state_dir>/broadband/history.jsonl`` (one JSON object a line, oldest first, capped). The report shows the
median of the recent runs and the runs by time of day, naming the slowest time band. The aggregation functions
here are pure (no I/O) and import only the evidence models, so the report writer can use them.
"""

from __future__ import annotations

import logging
import os
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from contract.evidence.broadband import HistoryPoint

log = logging.getLogger("schoolnet.broadband")

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


def history_path(state_dir: Path | None, history_dir: Path | None = None) -> Path | None:
    """``history_dir`` (when configured) or ``<state_dir>/broadband``, holding ``history.jsonl``."""
    folder = history_dir or (state_dir / "broadband" if state_dir is not None else None)
    return folder.expanduser() / "history.jsonl" if folder is not None else None


def load(path: Path) -> list[HistoryPoint]:
    """Every stored run, oldest first; unreadable lines are skipped (a crash mid-write loses one line only)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    points = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            points.append(HistoryPoint.model_validate_json(line))
        except ValueError as exc:
            log.warning("%s:%d: skipped an unreadable history line (%s)", path, number, exc.__class__.__name__)
    return sorted(points, key=lambda p: p.started_at)


def append(path: Path, point: HistoryPoint, max_runs: int) -> list[HistoryPoint]:
    """Add ``point``, keep the newest ``max_runs``, write atomically; return the kept runs."""
    points = [*load(path), point][-max_runs:]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(p.model_dump_json() + "\n" for p in points), encoding="utf-8")
    os.replace(tmp, path)
    return points


def recent(points: list[HistoryPoint], now: datetime, days: int) -> list[HistoryPoint]:
    since = now - timedelta(days=days)
    return [p for p in points if p.started_at >= since]


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(statistics.median(present)) if present else None


def median_download(points: list[HistoryPoint]) -> float | None:
    return _median([p.download_mbps for p in points])


def median_upload(points: list[HistoryPoint]) -> float | None:
    return _median([p.upload_mbps for p in points])


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
