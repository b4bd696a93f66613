"""Where an unattended (nightly) run leaves its reports, and the record `schedule status` reads back.

A run started with ``schoolnet scan --nightly`` (the schedule's units pass it) writes to a dated folder under the
state directory, ``<state_dir>/reports/2026-12-02T0200Z/`` (UTC, minute resolution; ``-2``, ``-3`` ... when two
runs start in the same minute), points ``<state_dir>/reports/latest`` at it, and removes dated folders older than
``[agent] report_retention_days``. Only folders whose names have exactly that shape are ever removed, never the
one just written. Every nightly run, also one that could not start (a broken config), leaves
``<state_dir>/last-run.json``: when, the exit code, and which configured targets could not be measured.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.files import write_atomic

log = logging.getLogger("schoolnet.nightly")

REPORTS_DIR = "reports"
LATEST = "latest"
LAST_RUN_FILE = "last-run.json"
FOLDER_FORMAT = "%Y-%m-%dT%H%MZ"
_FOLDER = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{4}Z)(?:-(\d{1,4}))?$")
MAX_LAST_RUN_BYTES = 1024 * 1024


def dated_folder(state_dir: Path, started_at: datetime) -> Path:
    """A new, empty folder for this run's reports (created 0755: reports are not secret, the state dir is)."""
    root = state_dir / REPORTS_DIR
    root.mkdir(parents=True, exist_ok=True)
    name = started_at.astimezone(UTC).strftime(FOLDER_FORMAT)
    for suffix in range(1, 1000):
        candidate = root / (name if suffix == 1 else f"{name}-{suffix}")
        try:
            candidate.mkdir(mode=0o755)
            return candidate
        except FileExistsError:
            continue
    raise RuntimeError(f"{root}: 999 runs started in the minute {name}?")


def point_latest(folder: Path) -> Path:
    """Make ``reports/latest`` a relative symlink to ``folder``, replaced atomically (a reader never sees none)."""
    link = folder.parent / LATEST
    temporary = folder.parent / f".{LATEST}.{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(folder.name)
    os.replace(temporary, link)
    return link


def folder_time(name: str) -> datetime | None:
    """The start time a dated folder's name gives, or None for any other name (which is never pruned)."""
    match = _FOLDER.match(name)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), FOLDER_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def prune(reports_root: Path, retention_days: int, now: datetime, keep: Path | None = None) -> list[Path]:
    """Remove dated folders that started more than ``retention_days`` before ``now``; returns what was removed."""
    if not reports_root.is_dir():
        return []
    cutoff = now - timedelta(days=retention_days)
    removed = []
    for entry in sorted(reports_root.iterdir()):
        started = folder_time(entry.name)
        if started is None or started >= cutoff or entry.is_symlink() or not entry.is_dir():
            continue
        if keep is not None and entry.resolve() == keep.resolve():
            continue
        shutil.rmtree(entry)
        removed.append(entry)
    if removed:
        log.info("removed %d report folder(s) older than %d days", len(removed), retention_days)
    return removed


@dataclass
class LastRun:
    """What `schedule status` shows of the latest nightly run."""

    started_at: str
    finished_at: str
    exit_code: int
    report_dir: str | None = None
    unmeasured: list[dict[str, str]] = field(default_factory=list)  # {probe, target, reason}
    summary: dict[str, int | dict[str, int]] = field(default_factory=dict)
    error: str | None = None  # why it could not run at all (exit 2 or 3)
    uploaded: bool | None = None  # None: upload not enabled

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2).encode()


def write_last_run(state_dir: Path, record: LastRun) -> Path:
    path = state_dir / LAST_RUN_FILE
    write_atomic(path, record.to_json())
    return path


def read_last_run(state_dir: Path) -> dict[str, Any] | None:
    """The record, or None when there is none yet; a damaged one is reported as such, not raised."""
    path = state_dir / LAST_RUN_FILE
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_LAST_RUN_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return {"error": f"{path}: cannot be read: {exc.strerror}"}
    try:
        value = json.loads(data) if len(data) <= MAX_LAST_RUN_BYTES else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        return {"error": f"{path}: not a last-run record"}
    return value
