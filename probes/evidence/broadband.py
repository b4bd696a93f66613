"""Broadband evidence: throughput and latency measurements, and the WAN links seen on the edge router."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from probes.evidence import Evidence


class SpeedRun(BaseModel):
    """One measurement run; the evidence keeps every run, the headline is their median."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    started_at: datetime
    download_mbps: float | None = None
    upload_mbps: float | None = None
    latency_idle_ms: float | None = None
    latency_loaded_ms: float | None = None


class BroadbandSpeed(Evidence):
    kind = "broadband.speed"
    backend: Literal["speedtest", "http", "iperf3"]
    server: str = Field(description="URL or host of the test server (no credentials)")
    runs: list[SpeedRun] = Field(default_factory=list)
    download_mbps: float | None = Field(default=None, description="median of the runs")
    upload_mbps: float | None = Field(default=None, description="median of the runs")
    latency_idle_ms: float | None = None
    latency_loaded_ms: float | None = Field(default=None, description="latency while the line is saturated")
    jitter_ms: float | None = None
    loss_percent: float | None = None
    dns_resolution_ms: float | None = None
    interface: str | None = None
    link_speed_mbps: int | None = Field(default=None, description="negotiated speed of the agent's NIC")
    server_limit_mbps: float | None = Field(default=None, description="the test server's own stated limit")


class WanLink(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    oper_up: bool | None = None
    speed_mbps: int | None = None


class BroadbandLinks(Evidence):
    """WAN links seen on the edge router (SNMP IF-MIB) for the backup-connection requirement."""

    kind = "broadband.links"
    router: str
    links: list[WanLink] = Field(default_factory=list)
