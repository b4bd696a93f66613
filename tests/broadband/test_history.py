"""History of runs: the store in the state dir, and the aggregation the report shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contract import history as summary
from contract.evidence.broadband import HistoryPoint
from probes.broadband import history

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def point(days_ago: float, hour: int, down: float | None, up: float | None = None) -> HistoryPoint:
    return HistoryPoint(started_at=NOW - timedelta(days=days_ago), local_hour=hour, download_mbps=down,
                        upload_mbps=up if up is not None else down)


def test_append_load_and_cap(tmp_path):
    path = history.history_path(tmp_path / "state")
    assert path == tmp_path / "state" / "broadband" / "history.jsonl"
    for i in range(5):
        kept = history.append(path, point(5 - i, 2, 100.0 + i), max_runs=3)
    assert [p.download_mbps for p in kept] == [102.0, 103.0, 104.0]
    assert history.load(path) == kept
    assert history.history_path(None) is None
    assert history.history_path(None, tmp_path / "h") == tmp_path / "h" / "history.jsonl"


def test_unreadable_lines_are_skipped(tmp_path):
    path = tmp_path / "history.jsonl"
    good = point(1, 2, 500.0)
    path.write_text("{not json\n" + good.model_dump_json() + "\n\n")
    assert history.load(path) == [good]
    assert history.load(tmp_path / "absent.jsonl") == []


def test_recent_and_medians():
    points = [point(20, 2, 10.0), point(3, 2, 900.0), point(2, 11, 500.0), point(1, 14, 700.0, 300.0)]
    recent = history.recent(points, NOW, days=14)
    assert len(recent) == 3
    assert summary.median_download(recent) == 700.0
    assert summary.median_upload(recent) == 500.0
    assert summary.median_download([point(1, 1, None)]) is None


def test_time_of_day_bands_and_slowest():
    points = [point(3, 2, 940.0), point(2, 2, 930.0), point(2, 10, 520.0), point(1, 11, 480.0),
              point(1, 16, 800.0)]
    bands = summary.by_time_of_day(points)
    assert [(b.label, b.runs, b.median_download_mbps) for b in bands] == [
        ("00:00-06:00", 2, 935.0), ("09:00-12:00", 2, 500.0), ("15:00-18:00", 1, 800.0)]
    slowest = summary.slowest_band(points)
    assert slowest is not None and slowest.label == "09:00-12:00"


def test_slowest_needs_two_bands():
    assert summary.slowest_band([point(1, 2, 900.0), point(2, 3, 100.0)]) is None
    assert summary.slowest_band([]) is None


def test_band_of_every_hour():
    assert {summary.band_of(h) for h in range(24)} == {label for label, _, _ in summary.TIME_BANDS}
    with pytest.raises(ValueError):
        summary.band_of(24)
