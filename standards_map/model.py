"""The standards map: requirements as data (``standards_map/data/*.yaml``) and its loader."""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from contract.results import Due
from contract.site import PHASES, Phase

StandardId = Literal["broadband", "switching", "wireless", "cyber", "filtering"]
Assessment = Literal["automated", "partial", "manual"]
STANDARD_FILES: tuple[StandardId, ...] = ("broadband", "switching", "wireless", "cyber", "filtering")


class GoodPractice(BaseModel):
    """Where a check that DfE does not ask for comes from (a CIS benchmark, NCSC guidance, a vendor's guide)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    source: str = Field(min_length=1, description="Who recommends it, e.g. 'NCSC: Logging and monitoring'")
    url: str | None = Field(default=None, description="A public page that says it (https)")

    @field_validator("url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError(f"good-practice url {value!r} is not an https:// address")
        return value


PhaseKey = Literal["all", "primary", "secondary", "all_through", "college"]


def _all_phases() -> dict[PhaseKey, dict[str, Any]]:
    return {"all": {}}


class CheckRef(BaseModel):
    """A check that decides (part of) a requirement, with its thresholds per school phase.

    ``params`` maps a phase (or ``all``) to the check's keyword arguments. A phase with no entry (and no
    ``all``) means the check does not apply to that phase.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    check: str
    params: dict[PhaseKey, dict[str, Any]] = Field(default_factory=_all_phases)
    note: str | None = Field(default=None, description="Where a threshold comes from when it is not DfE's")
    good_practice: GoodPractice | None = Field(
        default=None,
        description="Set when DfE's text does not ask for this check: it can make the requirement warn at most",
    )

    def params_for(self, phase: Phase) -> dict[str, Any] | None:
        if phase in self.params:
            return dict(self.params[phase])
        if "all" in self.params:
            return dict(self.params["all"])
        return None


class AttestationSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    prompt: str
    review_every_days: int | None = Field(
        default=None, description="How old an attestation may be before it is stale (DfE review period)"
    )
    when_stale: Literal["fail", "warn"] = "warn"
    warn_after_days: int | None = Field(
        default=None,
        description="An earlier, lighter review period (e.g. termly within an annual cycle): older is a warning",
    )


class Requirement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    standard: StandardId
    ref: str = Field(description="Short reference used in our research notes, e.g. BB-2")
    headline: str = Field(description="A few plain words naming it, for report headings")
    title: str = Field(description="DfE title, verbatim")
    summary: str = Field(description="What it asks, in plain words")
    source: str
    text_taken_on: date = Field(
        description="The date of the GOV.UK page version the title and text were transcribed from (its update stamp)"
    )
    when_to_meet: str = Field(description="DfE's 'When to meet the standard' line, quoted")
    due: Due = Field(description="When DfE expects it met, from the when-to-meet line")
    assessment: Assessment
    phases: list[Phase] = Field(default_factory=lambda: list(PHASES))
    checks: list[CheckRef] = Field(default_factory=list)
    remediation: str
    attestation: AttestationSpec | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        parts = value.split(".")
        if len(parts) != 3 or parts[0] != "dfe" or not parts[2] or parts[2] != parts[2].lower():
            raise ValueError(f"requirement id {value!r} is not dfe.<standard>.<slug>")
        return value


class Standard(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: StandardId
    title: str
    source: str
    core: bool = True
    ask: str = Field(
        default="IT support",
        description="Who DfE says is responsible, i.e. who the report tells the school to ask",
    )


class StandardsMap(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    standards: list[Standard]
    requirements: list[Requirement]

    def requirement(self, requirement_id: str) -> Requirement:
        for req in self.requirements:
            if req.id == requirement_id:
                return req
        raise KeyError(requirement_id)

    def standard(self, standard_id: str) -> Standard:
        for std in self.standards:
            if std.id == standard_id:
                return std
        raise KeyError(standard_id)


@cache
def load_map() -> StandardsMap:
    """Read the packaged map (once per process)."""
    data_dir = resources.files("standards_map") / "data"
    index = yaml.safe_load((data_dir / "map.yaml").read_text(encoding="utf-8"))
    standards: list[dict[str, Any]] = []
    requirements: list[dict[str, Any]] = []
    for standard_id in STANDARD_FILES:
        doc = yaml.safe_load((data_dir / f"{standard_id}.yaml").read_text(encoding="utf-8"))
        standards.append({"id": standard_id, **doc["standard"]})
        for req in doc["requirements"]:
            requirements.append({"standard": standard_id, **req})
    return StandardsMap(version=str(index["version"]), standards=standards, requirements=requirements)
