"""Runs kept over time in the agent's state dir, and what the report says about them.

One test at 2 a.m. says little about 11 a.m., so every scheduled run is appended to
``<state_dir>/broadband/history.jsonl`` (one JSON object a line, oldest first, capped). The report shows the
median of the recent runs and the runs by time of day, naming the slowest time band.
The pure summaries (medians, time bands) are in contract.history, shared with the report and the collector.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

from contract.evidence.broadband import HistoryPoint

log = logging.getLogger("schoolnet.broadband")

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
