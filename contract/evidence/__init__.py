"""Evidence: what a probe saw, typed, frozen, units in field names.

Every evidence model names its ``kind`` (for example ``broadband.speed``); an :class:`EvidenceRecord`
wraps one model with where and when it was seen, or with the reason the probe could not see it.
These modules import only pydantic, so the collector can re-evaluate stored evidence without scapy,
netmiko or pysnmp installed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

_KINDS: dict[str, type[Evidence]] = {}


class Evidence(BaseModel):
    """Base of every evidence model. Subclasses set ``kind`` and are registered by it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            _KINDS[cls.kind] = cls


def evidence_model(kind: str) -> type[Evidence]:
    """The model registered for ``kind``; raises KeyError naming the kind when unknown."""
    _import_all()
    try:
        return _KINDS[kind]
    except KeyError:
        raise KeyError(f"unknown evidence kind {kind!r}; known: {sorted(_KINDS)}") from None


def known_kinds() -> list[str]:
    _import_all()
    return sorted(_KINDS)


def _import_all() -> None:
    # Importing the area modules registers their kinds; they import only pydantic.
    from contract.evidence import broadband, filtering, firewall_config, firewall_network, switch, wifi  # noqa: F401


class EvidenceRecord(BaseModel):
    """One observation (or failed attempt) by a probe, as stored in report.json ``evidence``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Stable within a report; results point here through evidence_ref")
    kind: str = Field(description="Evidence kind, e.g. broadband.speed, switch.device, wifi.scan")
    probe: str = Field(description="The probe that collected it: switches, wifi, broadband, firewall")
    target: str = Field(description="Device, SSID, location or server it is about")
    collected_at: AwareDatetime
    ok: bool = Field(description="False when the probe could not collect; error then says why")
    error: str | None = None
    data: dict[str, Any] | None = Field(
        default=None, description="The evidence model's fields (secrets already scrubbed)"
    )

    @classmethod
    def of(cls, id: str, probe: str, target: str, collected_at: datetime, evidence: Evidence) -> EvidenceRecord:
        return cls(
            id=id,
            kind=evidence.kind,
            probe=probe,
            target=target,
            collected_at=collected_at,
            ok=True,
            data=evidence.model_dump(mode="json"),
        )

    @classmethod
    def failed(
        cls, id: str, probe: str, kind: str, target: str, collected_at: datetime, error: str
    ) -> EvidenceRecord:
        return cls(id=id, kind=kind, probe=probe, target=target, collected_at=collected_at, ok=False, error=error)

    def model(self) -> Evidence | None:
        """The typed evidence, or None when the probe failed."""
        if not self.ok or self.data is None:
            return None
        return evidence_model(self.kind).model_validate(self.data)
