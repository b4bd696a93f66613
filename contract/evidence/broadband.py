"""Broadband evidence: throughput and latency measurements, and the WAN links seen on the edge router."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contract.evidence import Evidence


class SpeedRun(BaseModel):
    """One measurement run; the evidence keeps every run, the headline is their median."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    started_at: datetime
    download_mbps: float | None = None
    upload_mbps: float | None = None
    latency_idle_ms: float | None = None
    latency_loaded_ms: float | None = None
    latency_loaded_download_ms: float | None = None
    latency_loaded_upload_ms: float | None = None
    jitter_ms: float | None = None
    loss_percent: float | None = None
    error: str | None = Field(default=None, description="why this run has no figures")


class HistoryPoint(BaseModel):
    """One earlier run kept in the agent's state dir (nightly runs at different times)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    started_at: datetime
    local_hour: int = Field(ge=0, le=23, description="hour of day at the school when the run started")
    download_mbps: float | None = None
    upload_mbps: float | None = None
    latency_loaded_ms: float | None = None
    backend: str | None = None


class BroadbandSpeed(Evidence):
    kind = "broadband.speed"
    backend: Literal["speedtest", "http", "iperf3"]
    server: str = Field(description="URL or host of the test server (no credentials)")
    runs: list[SpeedRun] = Field(default_factory=list)
    download_mbps: float | None = Field(default=None, description="median of the runs")
    upload_mbps: float | None = Field(default=None, description="median of the runs")
    latency_idle_ms: float | None = None
    latency_loaded_ms: float | None = Field(default=None, description="latency while the line is saturated")
    latency_loaded_download_ms: float | None = None
    latency_loaded_upload_ms: float | None = None
    jitter_ms: float | None = None
    loss_percent: float | None = None
    dns_resolution_ms: float | None = None
    interface: str | None = None
    link_speed_mbps: int | None = Field(default=None, description="negotiated speed of the agent's NIC")
    server_limit_mbps: float | None = Field(default=None, description="the test server's own stated limit")
    streams: int | None = Field(default=None, description="parallel TCP streams per direction")
    duration_s: float | None = Field(default=None, description="seconds per direction per run")
    local_time: str | None = Field(default=None, description="HH:MM at the school when the measurement started")
    connection_type: str | None = Field(default=None, description="main line type declared from the contract")
    connection_type_source: str | None = None
    history: list[HistoryPoint] = Field(default_factory=list, description="recent earlier runs, oldest first")
    history_median_download_mbps: float | None = None
    history_median_upload_mbps: float | None = None
    slowest_time_of_day: str | None = Field(default=None, description="the time band with the lowest median download")
    notes: list[str] = Field(default_factory=list)


class WanLink(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    oper_up: bool | None = None
    speed_mbps: int | None = None
    type: str | None = Field(default=None, description="line type when known (declared, or from the alias)")
    alias: str | None = None
    if_index: int | None = None


class BroadbandLinks(Evidence):
    """WAN links seen on the edge router (SNMP IF-MIB), or declared by a person, for the backup requirement."""

    kind = "broadband.links"
    router: str
    links: list[WanLink] = Field(default_factory=list)
    source: Literal["snmp", "declared"] = "snmp"
    checked_on: date | None = Field(default=None, description="the day the links were seen or declared")
    failover_tested_on: date | None = Field(default=None, description="latest failover test declared")
    automatic_failover: bool | None = None
