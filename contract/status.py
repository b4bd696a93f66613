"""The status vocabulary of the contract, and how several statuses roll up into one."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """The contract's status vocabulary."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"
    MANUAL = "manual"


# The words every command and report uses for each status (one vocabulary: scan, wifi analyze, switch
# audit-config, the HTML/CSV report, the dashboard).
STATUS_LABEL: dict[str, str] = {
    Status.PASS: "Met",
    Status.FAIL: "Not met",
    Status.WARN: "Attention",
    Status.UNKNOWN: "Not measured",
    Status.NOT_APPLICABLE: "Not applicable",
    Status.MANUAL: "Needs confirming",
}


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
