"""The on-disk outbox: every signed report waits here, written atomically, until the collector acknowledges it.

Layout under ``<state_dir>/outbox/``:
- ``<report_id>.envelope.json``: the signed envelope, exactly the bytes that will be sent;
- ``<report_id>.state.json``: attempts, the last error and when the next attempt is due;
- ``rejected/``: envelopes the collector refused for good (kept, never deleted silently, with the reason).
The envelope file is written (temp file, fsync, rename, fsync of the directory) before any network call, so a
crash or power cut at any point leaves either no entry or a complete one.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.files import fsync_dir, write_atomic

OUTBOX_DIR = "outbox"
REJECTED_DIR = "rejected"
ENVELOPE_SUFFIX = ".envelope.json"
STATE_SUFFIX = ".state.json"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class OutboxItem:
    """One waiting report."""

    report_id: str
    envelope_path: Path
    created_at: datetime
    attempts: int = 0
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    site_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def size_bytes(self) -> int:
        try:
            return self.envelope_path.stat().st_size
        except FileNotFoundError:
            return 0

    def reason(self) -> str:
        """Why it is still waiting, in one phrase."""
        if self.attempts == 0:
            return (
                f"not sent yet ({self.meta['waiting_because']})" if self.meta.get("waiting_because") else "not sent yet"
            )
        return f"{self.attempts} attempt(s) failed; last: {self.last_error or 'unknown error'}"

    def state_dict(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "created_at": self.created_at.isoformat(),
            "attempts": self.attempts,
            "last_error": self.last_error,
            "last_attempt_at": self.last_attempt_at.isoformat() if self.last_attempt_at else None,
            "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
            "site_id": self.site_id,
            **self.meta,
        }


class Outbox:
    def __init__(self, state_dir: Path) -> None:
        self.directory = state_dir.expanduser() / OUTBOX_DIR
        self.rejected_directory = self.directory / REJECTED_DIR

    def _paths(self, report_id: str, rejected: bool = False) -> tuple[Path, Path]:
        if "/" in report_id or report_id.startswith("."):
            raise ValueError(f"bad report id {report_id!r}")
        base = self.rejected_directory if rejected else self.directory
        return base / f"{report_id}{ENVELOPE_SUFFIX}", base / f"{report_id}{STATE_SUFFIX}"

    def put(self, report_id: str, envelope: bytes, *, site_id: str | None = None) -> OutboxItem:
        """Store a signed envelope durably (idempotent: the same report id replaces its earlier entry)."""
        envelope_path, state_path = self._paths(report_id)
        item = OutboxItem(report_id=report_id, envelope_path=envelope_path, created_at=_now(), site_id=site_id)
        # State first: an envelope without state is still listed (see items()), never the other way round.
        write_atomic(state_path, json.dumps(item.state_dict()).encode())
        write_atomic(envelope_path, envelope)
        return item

    def items(self) -> list[OutboxItem]:
        """Waiting reports, oldest first."""
        if not self.directory.is_dir():
            return []
        found = [self._load(p, rejected=False) for p in self.directory.glob(f"*{ENVELOPE_SUFFIX}")]
        return sorted(found, key=lambda i: (i.created_at, i.report_id))

    def rejected(self) -> list[OutboxItem]:
        if not self.rejected_directory.is_dir():
            return []
        found = [self._load(p, rejected=True) for p in self.rejected_directory.glob(f"*{ENVELOPE_SUFFIX}")]
        return sorted(found, key=lambda i: (i.created_at, i.report_id))

    def _load(self, envelope_path: Path, *, rejected: bool) -> OutboxItem:
        report_id = envelope_path.name[: -len(ENVELOPE_SUFFIX)]
        _, state_path = self._paths(report_id, rejected)
        try:
            state = json.loads(state_path.read_text())
        except (OSError, ValueError):
            stat = envelope_path.stat()
            state = {"created_at": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat()}
        known = {"report_id", "created_at", "attempts", "last_error", "last_attempt_at", "next_attempt_at", "site_id"}
        return OutboxItem(
            report_id=report_id,
            envelope_path=envelope_path,
            created_at=datetime.fromisoformat(state["created_at"]),
            attempts=int(state.get("attempts") or 0),
            last_error=state.get("last_error"),
            last_attempt_at=_parse_time(state.get("last_attempt_at")),
            next_attempt_at=_parse_time(state.get("next_attempt_at")),
            site_id=state.get("site_id"),
            meta={k: v for k, v in state.items() if k not in known},
        )

    def read(self, item: OutboxItem) -> bytes:
        return item.envelope_path.read_bytes()

    def record_failure(self, item: OutboxItem, error: str, next_attempt_at: datetime | None) -> None:
        item.attempts += 1
        item.last_error = error
        item.last_attempt_at = _now()
        item.next_attempt_at = next_attempt_at
        item.meta.pop("waiting_because", None)
        _, state_path = self._paths(item.report_id)
        write_atomic(state_path, json.dumps(item.state_dict()).encode())

    def note_waiting(self, item: OutboxItem, reason: str) -> None:
        """Say why an entry was not tried in this run (attempts unchanged)."""
        item.meta["waiting_because"] = reason
        _, state_path = self._paths(item.report_id)
        write_atomic(state_path, json.dumps(item.state_dict()).encode())

    def remove(self, item: OutboxItem) -> None:
        """Only after the collector acknowledged the report (or said it already has it, identical)."""
        envelope_path, state_path = self._paths(item.report_id)
        envelope_path.unlink(missing_ok=True)
        state_path.unlink(missing_ok=True)
        fsync_dir(self.directory)

    def move_to_rejected(self, item: OutboxItem, reason: str) -> None:
        """The collector refused it for good: keep it aside with the reason, so a person can look."""
        item.attempts += 1
        item.last_error = reason
        item.last_attempt_at = _now()
        item.next_attempt_at = None
        item.meta["rejected"] = True
        envelope_path, state_path = self._paths(item.report_id)
        new_envelope, new_state = self._paths(item.report_id, rejected=True)
        self.rejected_directory.mkdir(parents=True, exist_ok=True)
        write_atomic(new_state, json.dumps(item.state_dict()).encode())
        os.replace(envelope_path, new_envelope)
        state_path.unlink(missing_ok=True)
        fsync_dir(self.directory)
        item.envelope_path = new_envelope

    @contextmanager
    def lock(self) -> Iterator[None]:
        """One sender at a time (a nightly scan and a manual `schoolnet upload` must not race)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
