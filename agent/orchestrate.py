"""Run probe tasks concurrently, each with a timeout; turn every failure into a reasoned observation."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from contract.evidence import EvidenceRecord
from probes.base import Observation, Probe, ProbeTask

log = logging.getLogger("schoolnet.scan")

# Called as (probe name, task target, state) with state "start" / "done" / "failed".
ProgressFn = Callable[[str, str, str], None]


@dataclass(frozen=True)
class ProbeRun:
    probe: str
    tasks: int
    failed: int


async def _run_task(task: ProbeTask, default_timeout_s: float) -> list[Observation]:
    timeout = task.timeout_s or default_timeout_s
    try:
        if inspect.iscoroutinefunction(task.run):
            coro = task.run()
        else:
            coro = _in_daemon_thread(task.run)
        observations = await asyncio.wait_for(coro, timeout=timeout)
    except TimeoutError:
        return [Observation(kind=task.kind, target=task.target, error=f"timed out after {timeout:g} s")]
    except Exception as exc:  # the reason is kept and shown; the scan goes on
        log.warning("%s: %s", task.target, _reason(exc))
        return [Observation(kind=task.kind, target=task.target, error=_reason(exc))]
    if not observations:
        return [Observation(kind=task.kind, target=task.target, error="the probe returned no data")]
    return list(observations)


async def _in_daemon_thread(fn: Callable[[], Any]) -> Any:
    """Run a blocking task in a daemon thread.

    Not asyncio.to_thread: a device that hangs inside a library call would keep that pool's thread, and the
    event loop (and the process) would wait for it at exit. A daemon thread is abandoned after its timeout.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():  # timed out already
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def runner() -> None:
        try:
            result, error = fn(), None
        except BaseException as exc:
            result, error = None, exc
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:
            pass  # the loop is closed: the scan has moved on without this target

    threading.Thread(target=runner, name="schoolnet-probe", daemon=True).start()
    return await future


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


PLAN_KIND_SUFFIX = ".plan"  # evidence kind of a probe that could not even list its targets


def plan_tasks(probes: Sequence[Probe]) -> list[tuple[str, ProbeTask]]:
    """Ask every probe for its tasks, once. A probe that cannot plan becomes one failing task with the reason."""
    planned: list[tuple[str, ProbeTask]] = []
    for probe in probes:
        try:
            tasks = probe.tasks()
        except Exception as exc:
            # Planning failed (bad section, missing tool): one failed observation for the whole probe.
            failing = ProbeTask(target=probe.name, kind=f"{probe.name}{PLAN_KIND_SUFFIX}", run=_raiser(exc))
            planned.append((probe.name, failing))
            continue
        planned.extend((probe.name, task) for task in tasks)
    return planned


async def run_probes(
    probes: Sequence[Probe],
    *,
    timeout_s: float,
    concurrency: int,
    progress: ProgressFn | None = None,
) -> tuple[list[EvidenceRecord], list[ProbeRun]]:
    """Plan and run every task of every probe."""
    return await run_planned(plan_tasks(probes), timeout_s=timeout_s, concurrency=concurrency, progress=progress)


async def run_planned(
    planned: Sequence[tuple[str, ProbeTask]],
    *,
    timeout_s: float,
    concurrency: int,
    progress: ProgressFn | None = None,
) -> tuple[list[EvidenceRecord], list[ProbeRun]]:
    """Run planned tasks concurrently; return evidence records (ids assigned in a stable order)."""
    limit = asyncio.Semaphore(concurrency)

    async def guarded(name: str, task: ProbeTask) -> list[Observation]:
        async with limit:
            if progress:
                progress(name, task.target, "start")
            observations = await _run_task(task, timeout_s)
            if progress:
                progress(name, task.target, "failed" if any(o.error for o in observations) else "done")
            return observations

    gathered = await asyncio.gather(*(guarded(name, task) for name, task in planned))

    records: list[EvidenceRecord] = []
    runs: dict[str, ProbeRun] = {}
    for (name, _task), observations in zip(planned, gathered, strict=True):
        failed = 0
        for obs in observations:
            ev_id = f"ev-{len(records) + 1:04d}"
            if obs.evidence is not None:
                records.append(EvidenceRecord.of(ev_id, name, obs.target, obs.collected_at, obs.evidence))
            else:
                failed += 1
                records.append(
                    EvidenceRecord.failed(ev_id, name, obs.kind, obs.target, obs.collected_at, obs.error or "")
                )
        previous = runs.get(name, ProbeRun(name, 0, 0))
        runs[name] = ProbeRun(name, previous.tasks + 1, previous.failed + (1 if failed else 0))
    return records, list(runs.values())


def _raiser(exc: Exception) -> Callable[[], list[Observation]]:
    def run() -> list[Observation]:
        raise exc

    return run
