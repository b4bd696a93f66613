"""The one small interface every probe implements.

A probe turns its config section into :class:`ProbeTask` objects, one per target (a switch, a
capture file, a speed-test server). The orchestrator runs the tasks concurrently with a timeout each;
a task that raises or times out becomes an ``unknown`` observation with the reason, so one broken
device never stops a scan. Tasks return observations; they never judge.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from contract.evidence import Evidence


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Observation:
    """What a task saw about one target (evidence), or why it could not see it (error)."""

    kind: str
    target: str
    evidence: Evidence | None = None
    error: str | None = None
    collected_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        if (self.evidence is None) == (self.error is None):
            raise ValueError("an observation has either evidence or an error, not both or neither")


# A task body is either a coroutine function or a plain blocking function (run in a worker thread).
TaskBody = Callable[[], Awaitable[list[Observation]]] | Callable[[], list[Observation]]


@dataclass(frozen=True)
class ProbeTask:
    target: str  # shown in progress and used as the observation target on failure
    kind: str  # evidence kind recorded when the task fails
    run: TaskBody
    timeout_s: float | None = None  # overrides the config's per-target timeout


class Probe(Protocol):
    """A probe area: switches, wifi, broadband, firewall."""

    name: str

    def tasks(self) -> list[ProbeTask]:
        """One task per configured target; an empty list when nothing is configured."""
        ...
