"""`schoolnet scan`: config -> probes -> evidence -> evaluation -> reports, and the exit code that says how it went.

Exit codes (the contract): 0 nothing failed; 1 a requirement or check failed; 4 nothing failed, but at least one
configured target could not be measured (1 wins over 4); 2 usage or config error; 3 could not run at all.
An unattended run that exits 0 has measured every target it was given: nothing fails silently.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from agent import __version__
from agent.config import Config
from agent.errors import CannotRunError
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
        bars: dict[str, TaskID] = {}

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
    return scan_write_deliver(config, only, output_dir, show_progress=show_progress)[0]


def scan_write_deliver(
    config: Config, only: list[str], output_dir: Path, *, show_progress: bool = True
) -> tuple[Report, bool | None]:
    """Scan, write the reports, and deliver them when [upload] is enabled: (report, uploaded); uploaded is None
    when upload is off, False when the report waits in the outbox (or could not be queued)."""
    report = run_scan(config, only, show_progress=show_progress)
    write_reports(report, output_dir)
    if not config.upload.enabled:
        return report, None
    from agent.delivery.upload import deliver_after_scan

    result = deliver_after_scan(config, str(report.report_id), output_dir / "report.json")
    return report, result is not None and str(report.report_id) in result.delivered


# ------------------------------------------------------------------------------------------ how it went

EXIT_OK, EXIT_FAILED, EXIT_UNMEASURED = 0, 1, 4


@dataclass(frozen=True)
class Unmeasured:
    """A configured target the probes could not measure, and why (the probe's own reason)."""

    probe: str
    target: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"probe": self.probe, "target": self.target, "reason": self.reason}


def unmeasured_targets(report: Report) -> list[Unmeasured]:
    """Every target with at least one failed observation, once, with its reasons joined (report order)."""
    reasons: dict[tuple[str, str], list[str]] = {}
    for record in report.evidence:
        if not record.ok:
            found = reasons.setdefault((record.probe, record.target), [])
            reason = record.error or "no reason given"
            if reason not in found:
                found.append(reason)
    return [Unmeasured(probe, target, "; ".join(why)) for (probe, target), why in reasons.items()]


def exit_code(report: Report) -> int:
    """1 when a requirement or check failed; else 4 when a configured target could not be measured; else 0."""
    if report.summary.get("fail", 0):
        return EXIT_FAILED
    return EXIT_UNMEASURED if unmeasured_targets(report) else EXIT_OK


def unmeasured_summary(report: Report) -> str | None:
    """The terminal lines naming each unmeasured target and why; None when every target was measured."""
    missing = unmeasured_targets(report)
    if not missing:
        return None
    lines = [f"{len(missing)} configured target(s) could not be measured (their requirements are 'unknown'):"]
    lines += [f"  {m.probe}: {m.target}: {m.reason}" for m in missing]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ the command


@dataclass(frozen=True)
class ScanOutcome:
    report: Report
    output_dir: Path
    exit_code: int
    latest: Path | None = None  # nightly: the reports/latest link


def scan_command(
    config_path: Path | None,
    only: str | None,
    output: Path | None,
    *,
    nightly: bool = False,
    state_dir: Path | None = None,
    show_progress: bool = True,
) -> ScanOutcome:
    """Everything `schoolnet scan` does but printing. A nightly run writes to a dated folder under the state
    directory and records how it went in last-run.json, also when it cannot run (the error is re-raised)."""
    from agent.config import find_config, load_config
    from agent.delivery import nightly as runs
    from agent.probe_registry import parse_only

    started = utcnow()
    config: Config | None = None
    where: dict[str, Path | None] = {"state_dir": state_dir}
    if nightly:
        _stop_on_sigterm(where, started)
    try:
        config = load_config(find_config(config_path))
        if state_dir is not None:  # the schedule passes it, so even a config that no longer loads is recorded
            config = config.model_copy(update={"agent": config.agent.model_copy(update={"state_dir": state_dir})})
        where["state_dir"] = config.agent.state_dir
        names = parse_only(only)
        if nightly and output is None:
            out_dir = runs.dated_folder(config.agent.state_dir, started)
        else:
            out_dir = output or config.agent.output_dir
        report, uploaded = scan_write_deliver(config, names, out_dir, show_progress=show_progress)
    except Exception as exc:
        if nightly and not isinstance(exc, Stopped):  # a stopped run recorded itself at once
            _record_failed_run(state_dir or (config.agent.state_dir if config else None), started, exc)
        raise
    code = exit_code(report)
    latest = None
    if nightly:
        if output is None:
            latest = runs.point_latest(out_dir)
            runs.prune(out_dir.parent, config.agent.report_retention_days, utcnow(), keep=out_dir)
        runs.write_last_run(config.agent.state_dir, runs.LastRun(
            started_at=_iso(started), finished_at=_iso(utcnow()), exit_code=code, report_dir=str(out_dir),
            unmeasured=[m.to_dict() for m in unmeasured_targets(report)], summary=dict(report.summary),
            uploaded=uploaded,
        ))
    return ScanOutcome(report, out_dir, code, latest)


class Stopped(CannotRunError):
    """SIGTERM during a nightly run: the schedule's time limit, or the machine shutting down."""


def _stop_on_sigterm(where: dict[str, Path | None], started: datetime) -> None:
    """On SIGTERM a nightly run records why in last-run.json at once, then unwinds. At once: a probe thread stuck
    in a library call can delay the unwinding until the schedule's SIGKILL, and the record must not wait for it."""

    def handler(signum: int, frame: object) -> None:
        error = Stopped("stopped by SIGTERM (the schedule's time limit, or a shutdown) before it finished")
        _record_failed_run(where["state_dir"], started, error)
        raise error

    signal.signal(signal.SIGTERM, handler)


def _record_failed_run(state_dir: Path | None, started: datetime, exc: BaseException) -> None:
    from agent.delivery import nightly as runs
    from agent.errors import SchoolnetError

    if state_dir is None:
        log.warning("nightly run failed before its state directory was known; nothing recorded")
        return
    code = exc.exit_code if isinstance(exc, SchoolnetError) else 3
    reason = str(exc) if isinstance(exc, SchoolnetError) else f"{type(exc).__name__}: {exc}"
    try:
        runs.write_last_run(state_dir, runs.LastRun(
            started_at=_iso(started), finished_at=_iso(utcnow()), exit_code=code, error=reason[:2000],
        ))
    except OSError as error:  # the original error matters more; say why there is no record
        log.warning("could not record the failed run in %s: %s", state_dir, error)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
