"""Config sections shared by every probe: the site, the agent, probe limits, thresholds, attestations."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contract.site import Phase


class Strict(BaseModel):
    """Every config model forbids unknown keys, so a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteConfig(Strict):
    id: str = Field(min_length=1, description="Stable site id, e.g. the school's DfE URN")
    name: str = Field(min_length=1)
    phase: Phase
    trust: str | None = None


class AgentConfig(Strict):
    id: str | None = Field(default=None, description="Agent id; defaults to the host name")
    state_dir: Path = Field(default=Path("~/.local/state/schoolnet"), description="keys, outbox, history")
    output_dir: Path = Path("schoolnet-report")

    @field_validator("state_dir", "output_dir")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()


class ProbeLimits(Strict):
    target_timeout_s: float = Field(default=120.0, gt=0, description="per device / server / capture")
    concurrency: int = Field(default=8, ge=1, le=128)


class Thresholds(Strict):
    """Site-chosen thresholds where DfE gives none (industry practice, labelled as such in reports)."""

    wifi_signal_min_dbm: int = Field(default=-67, ge=-100, le=-30)
    broadband_latency_increase_warn_ms: float = Field(default=100.0, gt=0)
