"""Config sections shared by every probe: the site, the agent, probe limits, thresholds, attestations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo

from contract.site import Phase


class Strict(BaseModel):
    """Every config model forbids unknown keys, so a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteConfig(Strict):
    id: str = Field(min_length=1, description="Stable site id, e.g. the school's DfE URN")
    name: str = Field(min_length=1)
    phase: Phase
    trust: str | None = None


# load_config passes the config file's folder in the validation context under this key.
CONFIG_DIR = "config_dir"


def resolve_config_path(value: Path, info: ValidationInfo) -> Path:
    """``~`` expanded; a relative path is relative to the config file's folder, not to the current directory
    (under systemd or cron that is ``/``, so reports would land in ``/schoolnet-report``)."""
    value = value.expanduser()
    base = (info.context or {}).get(CONFIG_DIR) if info is not None else None
    if base is not None and not value.is_absolute():
        return Path(base) / value
    return value


# Every path a user writes in the config: ``~`` expanded, relative to the config file's folder. One type, so a
# new path setting cannot forget the rule (nightly runs start in ``/``).
ConfigPath = Annotated[Path, AfterValidator(resolve_config_path)]


class AgentConfig(Strict):
    id: str | None = Field(default=None, description="Agent id; defaults to the host name")
    state_dir: ConfigPath = Field(default=Path("~/.local/state/schoolnet"), description="keys, outbox, history")
    output_dir: ConfigPath = Field(
        default=Path("schoolnet-report"), description="reports of a manual scan; relative to the config's folder"
    )
    report_retention_days: int = Field(
        default=90, ge=1, le=3650, description="nightly runs keep their dated report folders this many days"
    )


class ProbeLimits(Strict):
    target_timeout_s: float = Field(default=120.0, gt=0, description="per device / server / capture")
    concurrency: int = Field(default=8, ge=1, le=128)


class Thresholds(Strict):
    """Site-chosen thresholds where DfE gives none (industry practice, labelled as such in reports)."""

    wifi_signal_min_dbm: int = Field(default=-67, ge=-100, le=-30)
    broadband_latency_increase_warn_ms: float = Field(default=100.0, gt=0)
