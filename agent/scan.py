"""`schoolnet scan`: config -> probes -> evidence -> evaluation -> reports."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agent import __version__
from agent.config import Config
from agent.orchestrate import plan_tasks, run_planned
from agent.output import write_reports
from agent.probe_registry import load_probes
from contract.report import ProbeSummary, Report, ReportAgent
from probes.base import utcnow
from reports.build import build_report
from standards_map.model import load_map

log = logging.getLogger("schoolnet.scan")


def agent_identity(config: Config) -> ReportAgent:
    return ReportAgent(id=config.agent.id or socket.gethostname(), version=__version__)


def run_scan(config: Config, only: list[str], *, show_progress: bool = True) -> Report:
    """Run the enabled probes and judge what they saw. Never raises for a failed device."""
    started_at = utcnow()
    probes = load_probes(config, only)
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[current]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not show_progress,
        transient=False,
    ) as progress:
        bars: dict[str, int] = {}

        def on_progress(probe: str, target: str, state: str) -> None:
            if probe not in bars:
                return
            if state == "start":
                progress.update(bars[probe], current=target)
            else:
                progress.advance(bars[probe])
                if state == "failed":
                    progress.console.print(f"[yellow]{probe}: {target} could not be measured (see report)")

        planned = plan_tasks(probes)  # once: tasks() may open files or resolve names
        for name in dict.fromkeys(name for name, _ in planned):
            count = sum(1 for probe_name, _ in planned if probe_name == name)
            bars[name] = progress.add_task(name, total=count, current="")
        evidence, runs = asyncio.run(
            run_planned(
                planned,
                timeout_s=config.probes.target_timeout_s,
                concurrency=config.probes.concurrency,
                progress=on_progress,
            )
        )
    finished_at = utcnow()
    return build_report(
        report_id=uuid.uuid4(),
        standards=load_map(),
        site=config.site_profile(),
        agent=agent_identity(config),
        evidence=evidence,
        attestations=config.attestations,
        probes=[ProbeSummary(probe=r.probe, tasks=r.tasks, failed=r.failed) for r in runs],
        started_at=started_at,
        finished_at=finished_at,
        evaluated_at=finished_at,
    )


def scan_and_write(config: Config, only: list[str], output_dir: Path, *, show_progress: bool = True) -> Report:
    report = run_scan(config, only, show_progress=show_progress)
    write_reports(report, output_dir)
    # Delivery (signing, outbox, upload) hooks in here when [upload] is enabled.
    if config.upload.enabled:
        from agent.delivery.upload import deliver_after_scan

        deliver_after_scan(config, str(report.report_id), output_dir / "report.json")
    return report
