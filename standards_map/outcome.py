"""Statuses and the outcome a check returns."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Status(StrEnum):
    """The contract's status vocabulary."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"
    MANUAL = "manual"


# Worst first: how several results of one requirement roll up into one status.
SEVERITY_ORDER: tuple[Status, ...] = (
    Status.FAIL,
    Status.WARN,
    Status.UNKNOWN,
    Status.MANUAL,
    Status.PASS,
    Status.NOT_APPLICABLE,
)


def worst(statuses: list[Status]) -> Status:
    """The most severe status of a list (not_applicable when empty)."""
    for status in SEVERITY_ORDER:
        if status in statuses:
            return status
    return Status.NOT_APPLICABLE


class Outcome(BaseModel):
    """What a check decided about one piece of evidence."""

    model_config = ConfigDict(frozen=True)

    status: Status
    detail: str
    measured: str | None = None  # the figure seen, with its unit ("412 Mbps")
    expected: str | None = None  # the threshold it was held against (">= 1000 Mbps")


def passed(detail: str, measured: str | None = None, expected: str | None = None) -> Outcome:
    return Outcome(status=Status.PASS, detail=detail, measured=measured, expected=expected)


def failed(detail: str, measured: str | None = None, expected: str | None = None) -> Outcome:
    return Outcome(status=Status.FAIL, detail=detail, measured=measured, expected=expected)


def warned(detail: str, measured: str | None = None, expected: str | None = None) -> Outcome:
    return Outcome(status=Status.WARN, detail=detail, measured=measured, expected=expected)


def unknown(detail: str, measured: str | None = None, expected: str | None = None) -> Outcome:
    return Outcome(status=Status.UNKNOWN, detail=detail, measured=measured, expected=expected)


def not_applicable(detail: str) -> Outcome:
    return Outcome(status=Status.NOT_APPLICABLE, detail=detail)
