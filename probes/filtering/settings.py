"""The filtering probe's own settings (the agent builds them from ``[filtering]``; the probe sees nothing else)."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contract.evidence.filtering import SegmentRole, SegmentSource

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TestEntry(_Strict):
    """One line of a test list: a category and the address to try."""

    __test__ = False  # not a pytest class
    category: str = Field(min_length=1, max_length=64)
    url: str = Field(min_length=1, max_length=2048)
    line: int | None = Field(default=None, description="line in the test list file, for messages")


class BlockPageSignature(_Strict):
    """Text a filter provider's block page (or its redirect) carries. Matched case-insensitively on the
    status line, headers and the first bytes of the body."""

    provider: str = Field(min_length=1, max_length=100)
    pattern: str = Field(min_length=3, max_length=500, description="a regular expression")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


# Phrases from providers' block pages; specific enough that an ordinary page does not carry them.
# A school adds its own provider's with [[filtering.block_pages]].
DEFAULT_SIGNATURES: tuple[BlockPageSignature, ...] = (
    BlockPageSignature(provider="Smoothwall", pattern=r"smoothwall[^<]{0,80}(blocked|denied)|blocked by smoothwall"),
    BlockPageSignature(provider="Lightspeed Systems", pattern=r"lightspeed (systems|filter)[^<]{0,80}block"),
    BlockPageSignature(provider="Netsweeper", pattern=r"netsweeper|webadmin/deny"),
    BlockPageSignature(provider="Securly", pattern=r"securly\.com/blocked|blocked by securly"),
    BlockPageSignature(provider="iboss", pattern=r"iboss[^<]{0,80}block"),
    BlockPageSignature(provider="Fortinet FortiGuard", pattern=r"fortiguard (web filtering|intrusion)"),
    BlockPageSignature(provider="Cisco Umbrella",
                       pattern=r"block\.(opendns|umbrella)\.com|this site is blocked\. *cisco umbrella"),
    BlockPageSignature(provider="Sophos", pattern=r"sophos[^<]{0,80}(blocked|web filtering)"),
    BlockPageSignature(provider="Palo Alto Networks",
                       pattern=r"web page blocked.{0,400}palo alto|paloaltonetworks.*url.?filtering"),
    BlockPageSignature(provider="LGfL WebScreen", pattern=r"webscreen[^<]{0,80}block"),
    BlockPageSignature(provider="RM SafetyNet", pattern=r"rm safetynet"),
)


class FilteringSettings(_Strict):
    """Everything the filtering probe needs for one run from one segment."""

    segment: str = Field(min_length=1, max_length=64)
    role: SegmentRole = "other"
    segment_source: SegmentSource = "default"
    ssid: str | None = None
    tests: list[TestEntry] = Field(max_length=5000)
    test_list: str = "built-in neutral defaults"
    expect_blocked: list[str] = Field(default_factory=list)
    expect_allowed: list[str] = Field(default_factory=list)
    resolvers: list[str] = Field(default_factory=list, description="empty: the system resolver (/etc/resolv.conf)")
    timeout_s: float = Field(default=5.0, gt=0, le=60, description="per address, DNS and HTTP together")
    concurrency: int = Field(default=64, ge=1, le=512)
    sinkhole_ranges: list[IpNetwork] = Field(default_factory=list)
    block_pages: list[BlockPageSignature] = Field(default_factory=lambda: list(DEFAULT_SIGNATURES))
    ca_bundle: Path | None = Field(default=None, description="trusted public CAs; default: the system's")
    max_body_bytes: int = Field(default=65536, ge=1024, le=1_048_576)
    safe_search: bool = True


class AuditSettings(_Strict):
    """Where runs of this audit are kept, so runs from each segment combine into one table."""

    runs_file: Path | None = Field(default=None, description="JSON lines of earlier runs; None: do not keep")
    window_days: int = Field(default=30, ge=1, le=366, description="runs this recent belong to the audit")
