"""BroadbandProbe: the line's speed and latency (median of N runs), and the backup connection.

Tasks: one speed measurement against the configured server (backend chosen in the config), and one for the
backup connection: WAN links polled from the edge router over SNMP, or the links a person declared.
A run that fails keeps its reason in the evidence; when every run fails the task raises, and the
orchestrator records "unknown" with that reason. Probes collect; the checks judge.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol

from contract import history as summary
from contract.evidence.broadband import BroadbandLinks, BroadbandSpeed, HistoryPoint, SpeedRun, WanLink
from contract.history import median
from probes.base import Observation, ProbeTask, utcnow
from probes.broadband import history
from probes.broadband.common import MeasurementError, RunResult, ServerUnreachable, redact, redacted
from probes.broadband.link import local_link
from probes.broadband.settings import BroadbandOptions, BroadbandSettings


class Backend(Protocol):
    name: str

    def measure(self) -> RunResult: ...


def make_backend(bb: BroadbandOptions, backend: str | None = None, server: str | None = None) -> Backend:
    """The configured backend (or the one named), pointed at the configured server (or the one given)."""
    name = backend or bb.backend
    target = server if server is not None else bb.server
    if name == "http":
        from probes.broadband.http_backend import HttpBackend, HttpSettings

        if not target:
            raise MeasurementError("the http backend needs a server URL ([broadband] server or --server)")
        # The credential was made for the configured server only: another one given here never receives it.
        credential = bb.speed_credential if isinstance(bb, BroadbandSettings) and target == bb.server else None
        return HttpBackend(HttpSettings(
            url=target, streams=bb.streams, duration_s=bb.duration_s, warmup_s=bb.warmup_s,
            ping_count=bb.ping_count, timeout_s=bb.timeout_s, authorization=credential,
        ))
    if name == "speedtest":
        from probes.broadband.speedtest_backend import SpeedtestBackend, SpeedtestSettings

        return SpeedtestBackend(SpeedtestSettings(
            server=target or None, streams=bb.streams, duration_s=bb.duration_s, timeout_s=bb.timeout_s,
            config_url=bb.speedtest_config_url,
        ))
    if name == "iperf3":
        from probes.broadband.iperf3_backend import Iperf3Backend, Iperf3Settings

        if not target:
            raise MeasurementError("the iperf3 backend needs a server (host or host:port)")
        return Iperf3Backend(Iperf3Settings(
            server=target, streams=bb.streams, duration_s=bb.duration_s, warmup_s=bb.warmup_s,
            binary=bb.iperf3_binary, timeout_s=bb.timeout_s,
        ))
    raise MeasurementError(f"unknown broadband backend {name!r}: choose speedtest, http or iperf3")


def measure_speed(
    bb: BroadbandOptions,
    *,
    backend: str | None = None,
    server: str | None = None,
    runs: int | None = None,
    state_dir: Path | None = None,
    now: datetime | None = None,
) -> BroadbandSpeed:
    """Run the backend ``runs`` times; the evidence's headline figures are the medians of the runs."""
    chosen = make_backend(bb, backend, server)
    started = now or utcnow()
    local_started = started.astimezone()  # the agent's local time zone: the school's clock
    results: list[RunResult] = []
    speed_runs: list[SpeedRun] = []
    first_error: MeasurementError | None = None
    for _ in range(runs or bb.runs):
        run_started = utcnow()
        try:
            result = chosen.measure()
        except MeasurementError as raw:
            exc = redacted(raw)  # a library's message may quote the server URL, credentials and all
            first_error = first_error or exc
            speed_runs.append(SpeedRun(started_at=run_started, error=str(exc)))
            if isinstance(exc, ServerUnreachable):
                break  # the next runs would only wait for the same timeout
            continue
        results.append(result)
        speed_runs.append(SpeedRun(
            started_at=run_started,
            download_mbps=result.download_mbps,
            upload_mbps=result.upload_mbps,
            latency_idle_ms=result.latency_idle_ms,
            latency_loaded_ms=result.latency_loaded_ms,
            latency_loaded_download_ms=result.latency_loaded_download_ms,
            latency_loaded_upload_ms=result.latency_loaded_upload_ms,
            jitter_ms=result.jitter_ms,
            loss_percent=result.loss_percent,
        ))
    if not results:
        assert first_error is not None
        raise first_error
    link = local_link(results[0].host, bb.interface)
    limits = [r.server_limit_mbps for r in results if r.server_limit_mbps is not None]
    notes = [f"run {i + 1}: {run.error}" for i, run in enumerate(speed_runs) if run.error]
    for note in [n for r in results for n in r.notes] + ([link.note] if link.note else []):
        if note not in notes:
            notes.append(note)
    download = median([r.download_mbps for r in results])
    upload = median([r.upload_mbps for r in results])
    loaded = median([r.latency_loaded_ms for r in results])

    past: list[HistoryPoint] = []
    store = history.history_path(state_dir, bb.history_dir)
    if store is not None and bb.record_history:
        point = HistoryPoint(
            started_at=started, local_hour=local_started.hour, download_mbps=download, upload_mbps=upload,
            latency_loaded_ms=loaded, backend=chosen.name,
        )
        kept = history.append(store, point, bb.history_max_runs)
        past = history.recent(kept, started, bb.history_recent_days)
    slowest = summary.slowest_band(past)
    return BroadbandSpeed(
        backend=chosen.name,
        server=results[0].server,
        runs=speed_runs,
        download_mbps=download,
        upload_mbps=upload,
        latency_idle_ms=median([r.latency_idle_ms for r in results]),
        latency_loaded_ms=loaded,
        latency_loaded_download_ms=median([r.latency_loaded_download_ms for r in results]),
        latency_loaded_upload_ms=median([r.latency_loaded_upload_ms for r in results]),
        jitter_ms=median([r.jitter_ms for r in results]),
        loss_percent=median([r.loss_percent for r in results]),
        dns_resolution_ms=median([r.dns_resolution_ms for r in results]),
        interface=link.interface,
        link_speed_mbps=link.speed_mbps,
        server_limit_mbps=min(limits) if limits else bb.server_limit_mbps,
        streams=results[0].streams,
        duration_s=bb.duration_s,
        local_time=local_started.strftime("%H:%M"),
        connection_type=bb.connection_type,
        connection_type_source=bb.connection_type_source,
        history=past,
        history_median_download_mbps=summary.median_download(past),
        history_median_upload_mbps=summary.median_upload(past),
        slowest_time_of_day=slowest.label if slowest else None,
        notes=notes,
    )


def declared_links(bb: BroadbandOptions, today: datetime) -> BroadbandLinks:
    tested = [link.failover_tested_on for link in bb.wan_links if link.failover_tested_on is not None]
    automatic = [link.automatic_failover for link in bb.wan_links if link.automatic_failover is not None]
    return BroadbandLinks(
        router="declared in the config",
        source="declared",
        links=[WanLink(name=link.name, type=link.type) for link in bb.wan_links],
        checked_on=today.date(),
        failover_tested_on=max(tested) if tested else None,
        automatic_failover=all(automatic) if automatic else None,
    )


class BroadbandProbe:
    """The broadband area's probe (registered in agent.probe_registry)."""

    name = "broadband"

    def __init__(self, settings: BroadbandSettings) -> None:
        self.bb = settings

    def _speed_timeout_s(self) -> float:
        per_run = 2 * self.bb.duration_s + self.bb.ping_count * 0.1 + 3 * self.bb.timeout_s
        return self.bb.runs * per_run + 30

    def tasks(self) -> list[ProbeTask]:
        if not self.bb.enabled:
            return []
        target = redact(self.bb.server) if self.bb.server else (
            "nearest speedtest.net server" if self.bb.backend == "speedtest" else "none")
        tasks = [ProbeTask(target=target, kind=BroadbandSpeed.kind, run=self._speed, timeout_s=self._speed_timeout_s())]
        if self.bb.router is not None:
            tasks.append(ProbeTask(target=self.bb.router.host, kind=BroadbandLinks.kind, run=self._wan))
        elif self.bb.wan_links:
            tasks.append(ProbeTask(target="declared WAN links", kind=BroadbandLinks.kind, run=self._declared))
        return tasks

    def _speed(self) -> list[Observation]:
        evidence = measure_speed(self.bb, state_dir=self.bb.state_dir)
        return [Observation(kind=evidence.kind, target=evidence.server, evidence=evidence)]

    async def _wan(self) -> list[Observation]:
        from probes.broadband.wan import poll_wan_links

        assert self.bb.router is not None
        evidence = await poll_wan_links(self.bb.router, declared=self.bb.wan_links, today=utcnow())
        return [Observation(kind=evidence.kind, target=self.bb.router.host, evidence=evidence)]

    def _declared(self) -> list[Observation]:
        evidence = declared_links(self.bb, utcnow())
        return [Observation(kind=evidence.kind, target="declared WAN links", evidence=evidence)]
