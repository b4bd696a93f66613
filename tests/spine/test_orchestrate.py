"""The orchestrator: concurrency, per-target timeouts, and one broken target never stopping a scan."""

from __future__ import annotations

import asyncio
import time

from agent.orchestrate import run_probes
from contract.evidence.broadband import BroadbandSpeed
from probes.base import Observation, ProbeTask


def speed(target: str) -> list[Observation]:
    evidence = BroadbandSpeed(backend="http", server=target, download_mbps=100.0, upload_mbps=30.0)
    return [Observation(kind=evidence.kind, target=target, evidence=evidence)]


class ScriptedProbe:
    """A probe whose targets behave as scripted: fine, raising, hanging, async, or returning nothing."""

    name = "broadband"

    def tasks(self) -> list[ProbeTask]:
        def ok() -> list[Observation]:
            return speed("good")

        def broken() -> list[Observation]:
            raise ConnectionRefusedError("[Errno 111] Connection refused")

        def hangs() -> list[Observation]:
            time.sleep(2)
            return speed("late")

        async def async_ok() -> list[Observation]:
            await asyncio.sleep(0.01)
            return speed("async")

        def empty() -> list[Observation]:
            return []

        return [
            ProbeTask(target="good", kind="broadband.speed", run=ok),
            ProbeTask(target="broken", kind="broadband.speed", run=broken),
            ProbeTask(target="hangs", kind="broadband.speed", run=hangs, timeout_s=0.2),
            ProbeTask(target="async", kind="broadband.speed", run=async_ok),
            ProbeTask(target="empty", kind="broadband.speed", run=empty),
        ]


class UnplannableProbe:
    name = "wifi"

    def tasks(self) -> list[ProbeTask]:
        raise FileNotFoundError("capture.pcap")


def test_failures_become_reasoned_unknown_evidence() -> None:
    seen: list[tuple[str, str, str]] = []
    records, runs = asyncio.run(
        run_probes([ScriptedProbe(), UnplannableProbe()], timeout_s=5, concurrency=4,
                   progress=lambda p, t, s: seen.append((p, t, s)))
    )
    by_target = {r.target: r for r in records}
    assert by_target["good"].ok and by_target["async"].ok
    assert not by_target["broken"].ok and "Connection refused" in (by_target["broken"].error or "")
    assert not by_target["hangs"].ok and by_target["hangs"].error == "timed out after 0.2 s"
    assert not by_target["empty"].ok and "no data" in (by_target["empty"].error or "")
    assert not by_target["wifi"].ok and "capture.pcap" in (by_target["wifi"].error or "")
    assert [r.id for r in records] == [f"ev-{i:04d}" for i in range(1, len(records) + 1)]
    assert {(r.probe, r.tasks, r.failed) for r in runs} == {("broadband", 5, 3), ("wifi", 1, 1)}
    assert ("broadband", "broken", "failed") in seen and ("broadband", "good", "done") in seen


def test_targets_run_concurrently() -> None:
    class Slow:
        name = "broadband"

        def tasks(self) -> list[ProbeTask]:
            def wait() -> list[Observation]:
                time.sleep(0.3)
                return speed("x")

            return [ProbeTask(target=f"t{i}", kind="broadband.speed", run=wait) for i in range(4)]

    started = time.monotonic()
    records, _ = asyncio.run(run_probes([Slow()], timeout_s=5, concurrency=4))
    assert len(records) == 4 and all(r.ok for r in records)
    # Four 0.3 s targets at once take about 0.3 s, not 1.2 s (generous bound: this is not a benchmark).
    assert time.monotonic() - started < 1.0


def test_lab_retries_a_component_that_failed_to_start(tmp_path) -> None:
    from agent.lab import Lab

    class Flaky:
        name = "flaky"

        def __init__(self) -> None:
            self.starts = 0
            self.stops = 0

        def start(self, workdir):
            self.starts += 1
            if self.starts == 1:
                raise RuntimeError("port taken")
            return {"broadband": {"runs": 1}}

        def stop(self) -> None:
            self.stops += 1

    flaky = Flaky()
    with Lab(tmp_path, components=[flaky]) as lab:
        assert lab.config["broadband"] == {"runs": 1}
    assert flaky.starts == 2 and flaky.stops == 2  # stopped after the failed start, and at the end
