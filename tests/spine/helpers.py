"""Builders for spine tests: a small synthetic standards map and evidence records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from contract.evidence import EvidenceRecord
from contract.evidence.broadband import BroadbandSpeed
from contract.site import SiteProfile
from standards_map.model import StandardsMap

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SOURCE = "https://www.gov.uk/guidance/meeting-digital-and-technology-standards-in-schools-and-colleges/x"


def requirement(rid: str, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": rid,
        "standard": rid.split(".")[1],
        "ref": "T-1",
        "headline": "A test requirement",
        "title": "A DfE title",
        "summary": "What it asks.",
        "source": SOURCE,
        "text_taken_on": "2026-09-16",
        "when_to_meet": "Now.",
        "due": "now",
        "assessment": "automated",
        "remediation": "Fix it.",
    }
    base.update(overrides)
    return base


def smap(*requirements: dict[str, Any]) -> StandardsMap:
    return StandardsMap.model_validate(
        {
            "version": "test-1",
            "standards": [{"id": "broadband", "title": "Broadband internet", "source": SOURCE}],
            "requirements": list(requirements),
        }
    )


def site(phase: str = "secondary", **overrides: Any) -> SiteProfile:
    return SiteProfile.model_validate({"id": "S1", "name": "Test School", "phase": phase, **overrides})


def speed_record(download_mbps: float | None, upload_mbps: float | None = None, **fields: Any) -> EvidenceRecord:
    evidence = BroadbandSpeed(
        backend="http",
        server="http://127.0.0.1:1/",
        download_mbps=download_mbps,
        upload_mbps=upload_mbps,
        **fields,
    )
    return EvidenceRecord.of("ev-0001", "broadband", "http://127.0.0.1:1/", NOW, evidence)


def failed_speed_record(error: str) -> EvidenceRecord:
    return EvidenceRecord.failed("ev-0002", "broadband", "broadband.speed", "http://127.0.0.1:1/", NOW, error)
