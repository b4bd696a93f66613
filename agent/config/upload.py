"""[upload] section: where signed reports go."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from agent.config.sections import Strict


class UploadConfig(Strict):
    enabled: bool = False
    url: str | None = Field(default=None, description="collector base URL")
    ca_bundle: Path | None = None
    allow_plain_http: bool = Field(default=False, description="plain HTTP beyond loopback (not recommended)")
