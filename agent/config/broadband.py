"""[broadband] section: which backend measures the line, against which server."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agent.config.sections import Strict


class BroadbandConfig(Strict):
    enabled: bool = True
    backend: Literal["speedtest", "http", "iperf3"] = "speedtest"
    server: str | None = Field(default=None, description="server URL / id; nearest Ookla server when empty")
    runs: int = Field(default=3, ge=1, le=20)
