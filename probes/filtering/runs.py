"""The audit's runs: each run (one segment) appended to a JSON-lines file; the latest per segment combined.

A technician walks the laptop from network to network, running ``schoolnet filtering test`` on each; the
scan (and the collector, from uploaded reports) combines them into one category x segment table.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from contract.evidence.filtering import FilteringAudit, FilteringSafeSearch, FilteringTest, combine_runs

MAX_RUNS_KEPT = 500
MAX_FILE_BYTES = 50_000_000


class RunsFileError(RuntimeError):
    """The runs file cannot be read; the message names the file and line."""


class StoredRun(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    test: FilteringTest
    safe_search: FilteringSafeSearch | None = None


def append_run(path: Path, run: StoredRun) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    lines = [*lines[-(MAX_RUNS_KEPT - 1):], run.model_dump_json()]
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


def load_runs(path: Path) -> list[StoredRun]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise RunsFileError(f"{path}: larger than {MAX_FILE_BYTES} bytes; not a runs file")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise RunsFileError(f"{path}: cannot read the filtering runs file: {exc}") from None
    runs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            runs.append(StoredRun.model_validate(json.loads(line)))
        except (ValueError, ValidationError) as exc:
            raise RunsFileError(f"{path}:{number}: not a filtering run ({str(exc).splitlines()[0]})") from None
    return runs


def latest_per_segment(runs: list[StoredRun], now: datetime, window_days: int) -> list[StoredRun]:
    """The newest run of each segment within the window, oldest segment first."""
    since = now - timedelta(days=window_days)
    latest: dict[str, StoredRun] = {}
    for run in runs:
        if run.test.tested_at < since:
            continue
        seen = latest.get(run.test.segment)
        if seen is None or run.test.tested_at >= seen.test.tested_at:
            latest[run.test.segment] = run
    return sorted(latest.values(), key=lambda r: r.test.tested_at)


def audit(runs: list[StoredRun], now: datetime, window_days: int) -> FilteringAudit:
    return combine_runs([r.test for r in latest_per_segment(runs, now, window_days)], window_days)
