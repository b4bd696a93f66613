"""[filtering] section: the test list, this network's segment, what each segment must block, block pages.

```toml
[filtering]
tests_file = "/etc/schoolnet/filtering-tests.csv"   # category,url lines; default: built-in neutral list
segment = "student"                 # this network's segment when neither --segment nor the Wi-Fi SSID says
timeout_s = 5.0                     # per address (DNS and HTTP together)
concurrency = 64                    # addresses tried at once
sinkhole_ranges = ["192.0.2.0/24"]  # the filter's block-page / sinkhole addresses

[[filtering.segments]]
name = "student"
role = "student"                    # staff | student | guest | other
ssids = ["School-Student"]          # on this Wi-Fi network, the run is this segment's
expect_blocked = ["iwf", "ctiru", "adult", "gambling", "proxy", "vpn"]
expect_allowed = ["allowed"]

[[filtering.block_pages]]           # your provider's block page (the common providers' are built in)
provider = "Our filter"
pattern = "Access to this site has been blocked by"
```
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, field_validator, model_validator

from agent.config.sections import ConfigPath, Strict
from agent.errors import ConfigError, UsageError
from contract.evidence.filtering import SegmentRole, SegmentSource
from probes.filtering.settings import (
    DEFAULT_SIGNATURES,
    AuditSettings,
    BlockPageSignature,
    FilteringSettings,
    IpNetwork,
    TestEntry,
)
from probes.filtering.testlist import TestListError, default_tests, load_tests

if TYPE_CHECKING:
    from agent.config import Config
    from probes.filtering.probe import FilteringProbe

ROLE_NAMES: tuple[str, ...] = ("staff", "student", "guest")


class SegmentConfig(Strict):
    name: str = Field(min_length=1, max_length=64)
    role: SegmentRole = "other"
    ssids: list[str] = Field(default_factory=list, description="Wi-Fi networks that belong to this segment")
    expect_blocked: list[str] = Field(default_factory=list, description="categories this segment must block")
    expect_allowed: list[str] = Field(default_factory=list, description="categories this segment must allow")

    @field_validator("expect_blocked", "expect_allowed")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value]


class FilteringConfig(Strict):
    enabled: bool = True
    tests_file: ConfigPath | None = Field(default=None, description="CSV category,url; default: built-in neutral list")
    segment: str | None = Field(default=None, description="this network's segment when --segment/SSID do not say")
    resolvers: list[str] = Field(default_factory=list, description="default: the system resolver")
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    concurrency: int = Field(default=64, ge=1, le=512)
    sinkhole_ranges: list[IpNetwork] = Field(default_factory=list)
    ca_bundle: ConfigPath | None = Field(default=None, description="trusted public CAs; default: the system's")
    safe_search: bool = True
    test_here: bool = Field(default=True, description="scan tests from this machine; false: only combine runs")
    audit_window_days: int = Field(default=30, ge=1, le=366)
    runs_file: ConfigPath | None = Field(default=None, description="default: <agent.state_dir>/filtering-runs.jsonl")
    segments: list[SegmentConfig] = Field(default_factory=list)
    block_pages: list[BlockPageSignature] = Field(default_factory=list, description="added to the built-in ones")
    builtin_block_pages: bool = Field(default=True, description="also match the common providers' block pages")

    @field_validator("resolvers")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_address(item)  # ValueError names the bad one
        return value

    @model_validator(mode="after")
    def _unique(self) -> FilteringConfig:
        names = [s.name for s in self.segments]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"segment names must be unique: {', '.join(dupes)}")
        return self

    def segment_named(self, name: str) -> SegmentConfig | None:
        return next((s for s in self.segments if s.name == name), None)

    def segment_of_ssid(self, ssid: str) -> SegmentConfig | None:
        return next((s for s in self.segments if ssid in s.ssids), None)


def current_ssid() -> str | None:
    """The Wi-Fi network this machine is on (iwgetid, else nmcli); None on a wired link or without tools."""
    for argv in (["iwgetid", "-r"], ["nmcli", "-t", "-f", "active,ssid", "dev", "wifi"]):
        if shutil.which(argv[0]) is None:
            continue
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=5, check=False).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        if argv[0] == "iwgetid" and out.strip():
            return out.strip()
        for line in out.splitlines():
            if line.startswith("yes:"):
                return line[4:].replace("\\:", ":")
    return None


def resolve_segment(
    fc: FilteringConfig, flag: str | None, ssid: str | None
) -> tuple[str, SegmentRole, SegmentSource]:
    """(segment name, role, source): --segment, then the SSID's segment, then the config's, else 'unspecified'."""
    source: SegmentSource
    if flag:
        name, source = flag, "flag"
    elif ssid and fc.segment_of_ssid(ssid):
        name, source = fc.segment_of_ssid(ssid).name, "ssid"  # type: ignore[union-attr]
    elif fc.segment:
        name, source = fc.segment, "config"
    else:
        name, source = "unspecified", "default"
    configured = fc.segment_named(name)
    role: SegmentRole = configured.role if configured else (name if name in ROLE_NAMES else "other")  # type: ignore[assignment]
    return name, role, source


def load_test_list(fc: FilteringConfig, tests_file: Path | None) -> tuple[list[TestEntry], str]:
    path = tests_file or fc.tests_file
    if path is None:
        return default_tests(), "built-in neutral defaults"
    try:
        return load_tests(path), path.name
    except TestListError as exc:
        raise UsageError(str(exc)) from None


def build_settings(
    fc: FilteringConfig, *, segment: str | None = None, tests_file: Path | None = None, ssid: str | None = None,
) -> FilteringSettings:
    """The probe's settings for a run from this network. Raises UsageError naming a bad test list line."""
    name, role, source = resolve_segment(fc, segment, ssid)
    configured = fc.segment_named(name)
    tests, list_name = load_test_list(fc, tests_file)
    signatures = [*fc.block_pages, *(DEFAULT_SIGNATURES if fc.builtin_block_pages else ())]
    return FilteringSettings(
        segment=name, role=role, segment_source=source, ssid=ssid, tests=tests, test_list=list_name,
        expect_blocked=configured.expect_blocked if configured else [],
        expect_allowed=configured.expect_allowed if configured else [],
        resolvers=fc.resolvers, timeout_s=fc.timeout_s, concurrency=fc.concurrency,
        sinkhole_ranges=fc.sinkhole_ranges, block_pages=signatures, ca_bundle=fc.ca_bundle,
        safe_search=fc.safe_search,
    )


def audit_settings(fc: FilteringConfig, state_dir: Path) -> AuditSettings:
    return AuditSettings(runs_file=fc.runs_file or state_dir / "filtering-runs.jsonl",
                         window_days=fc.audit_window_days)


def filtering_probe(config: Config) -> FilteringProbe:
    """The probe registry's factory: this network's settings from the config (and the Wi-Fi SSID)."""
    from probes.filtering.probe import FilteringProbe

    fc = config.filtering
    if fc is None or not fc.enabled:
        # Not configured: no task (it would test the live network from wherever the agent runs).
        idle = FilteringConfig()
        return FilteringProbe(build_settings(idle), audit_settings(idle, config.agent.state_dir), enabled=False)
    try:
        settings = build_settings(fc, ssid=current_ssid())
    except UsageError as exc:
        raise ConfigError(str(exc)) from None
    return FilteringProbe(settings, audit_settings(fc, config.agent.state_dir), test_here=fc.test_here)
