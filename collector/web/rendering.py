"""The stored report, decoded and rendered by the same renderer the agent uses (one place for these imports)."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import pydantic_core
from pydantic import ValidationError

from contract.report import Report
from contract.site import Attestation
from reports.writers import STATUS_LABEL, report_html_text
from standards_map.evaluate import evaluate, requirement_statuses
from standards_map.model import StandardsMap

__all__ = ["STATUS_LABEL", "Report", "payload_of", "report_of", "report_html", "rejudge_with"]


def payload_of(envelope: bytes) -> bytes:
    """The report bytes inside a stored envelope (its signature was verified at ingest)."""
    data = pydantic_core.from_json(envelope)
    return base64.b64decode(data["payload"])


def report_dict(envelope: bytes) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(payload_of(envelope))
    return result


def report_of(envelope: bytes) -> Report | None:
    """The report as the agent's model, or None when this version cannot read it (an older or newer agent)."""
    try:
        return Report.model_validate_json(payload_of(envelope))
    except (ValidationError, ValueError, KeyError):
        return None


def report_html(report: Report, standards: StandardsMap | None = None) -> str:
    return report_html_text(report, standards)


def rejudge_with(
    report: Report, standards: StandardsMap, attestations: list[Attestation], now: datetime
) -> dict[str, str]:
    """Each requirement's status when the stored evidence is judged by ``standards`` with these attestations
    (the report's own plus those recorded on the collector): the evaluator is pure, so this is exact."""
    results = evaluate(standards, report.evidence, report.site_profile, [*report.attestations, *attestations], now)
    return {status.id: status.status.value for status in requirement_statuses(standards, results)}
