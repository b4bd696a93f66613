"""The outcome a check returns (the status vocabulary itself is in contract.status)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from contract.status import SEVERITY_ORDER, Status, worst  # noqa: F401  (re-exported for checks)


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
