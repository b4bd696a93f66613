"""The coverage survey: samples (scan + time + location) kept in a JSON-lines file, merged per location.

``schoolnet wifi survey --location "Room 1"`` appends one line per sample::

    {"location": "Room 1", "taken_at": "2026-11-29T09:00:00+00:00", "source": "iw",
     "networks": [...]}

The probe reads the file and produces one :class:`WifiSurvey` per location (coverage is judged
per location) and one site-wide :class:`WifiScan` of every sample (the security checks judge that).
When several samples were taken in one room, each BSS's signal is the median of its readings there,
so one lucky or unlucky reading does not decide the room. A configured location with no sample
yields an empty survey (``samples=0``), which the coverage check reports as unknown, not a pass.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from contract.errors import CollectionError, Reason
from contract.evidence.wifi import WifiNetwork, WifiScan, WifiSurvey
from probes.wifi.iw import parse_iw_scan
from probes.wifi.nmcli import RECOMMENDED_FIELDS, parse_nmcli

# (argv) -> (exit code, stdout, stderr); replaceable so recorded output replays through the same code.
Runner = Callable[[Sequence[str]], tuple[int, str, str]]


class SurveyError(CollectionError):
    """No scan could be taken, or the survey file cannot be read."""


class SurveySample(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    location: str
    taken_at: datetime
    source: str
    networks: list[WifiNetwork]


def run_command(argv: Sequence[str], timeout_s: float = 30.0) -> tuple[int, str, str]:
    """Run a command; (exit code, stdout, stderr). A missing program is exit code 127."""
    if shutil.which(argv[0]) is None:
        return 127, "", f"{argv[0]}: command not found"
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return 124, "", f"{argv[0]} timed out after {timeout_s:g} s"
    return done.returncode, done.stdout, done.stderr


def take_scan(interface: str | None, runner: Runner = run_command) -> WifiScan:
    """Scan now: ``iw dev IF scan`` (needs root), then ``iw dev IF scan dump``, then nmcli.

    Raises SurveyError listing why each way failed.
    """
    reasons: list[str] = []
    if interface:
        for argv in (["iw", "dev", interface, "scan"], ["iw", "dev", interface, "scan", "dump"]):
            code, out, err = runner(argv)
            if code == 0 and out.strip():
                return parse_iw_scan(out)
            reasons.append(f"`{' '.join(argv)}`: {(err.strip() or f'exit {code}, no output').splitlines()[0]}")
    argv = ["nmcli", "-t", "-f", ",".join(RECOMMENDED_FIELDS), "dev", "wifi", "list"]
    if interface:
        argv += ["ifname", interface]
    code, out, err = runner(argv)
    if code == 0 and out.strip():
        return parse_nmcli(out, RECOMMENDED_FIELDS)
    reasons.append(f"`nmcli ...`: {(err.strip() or f'exit {code}, no networks').splitlines()[0]}")
    raise SurveyError("could not scan: " + "; ".join(reasons), reason=Reason.failed)


def record_sample(path: Path, location: str, scan: WifiScan, taken_at: datetime) -> SurveySample:
    """Append one sample to the survey file (created with its folder when missing)."""
    sample = SurveySample(location=location, taken_at=taken_at, source=scan.source, networks=scan.networks)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(sample.model_dump_json() + "\n")
    return sample


def load_samples(path: Path) -> list[SurveySample]:
    """Every sample in the survey file. Raises SurveyError naming the file and line of a bad entry."""
    samples: list[SurveySample] = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise SurveyError(f"{path}: cannot read survey file: {exc}", reason=Reason.not_permitted) from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            samples.append(SurveySample.model_validate(json.loads(line)))
        except (ValueError, ValidationError) as exc:
            first = str(exc).splitlines()[0]
            raise SurveyError(f"{path}:{number}: not a survey sample ({first})", reason=Reason.unparseable) from None
    return samples


def merge_networks(groups: Sequence[Sequence[WifiNetwork]]) -> list[WifiNetwork]:
    """One network per BSSID over several scans; signal is the median of the readings."""
    readings: dict[str, list[int]] = {}
    latest: dict[str, WifiNetwork] = {}
    for networks in groups:
        for network in networks:
            latest[network.bssid] = network
            if network.signal_dbm is not None:
                readings.setdefault(network.bssid, []).append(network.signal_dbm)
    merged = []
    for bssid, network in sorted(latest.items()):
        values = sorted(readings.get(bssid, []))
        signal = values[len(values) // 2] if values else None
        merged.append(network.model_copy(update={"signal_dbm": signal}))
    return merged


def site_scan(samples: Sequence[SurveySample]) -> WifiScan | None:
    """Every network heard anywhere in the survey, as one scan (None when there is no sample)."""
    if not samples:
        return None
    return WifiScan(source="survey", networks=merge_networks([s.networks for s in samples]), samples=len(samples))


def aggregate(samples: Sequence[SurveySample], locations: Sequence[str] = ()) -> list[WifiSurvey]:
    """One WifiSurvey per location: configured locations first (in config order), then any others sampled."""
    by_location: dict[str, list[SurveySample]] = {name: [] for name in locations}
    for sample in samples:
        by_location.setdefault(sample.location, []).append(sample)
    scans = []
    for location, taken in by_location.items():
        taken = sorted(taken, key=lambda s: s.taken_at)
        sources = {s.source for s in taken}
        source = sources.pop() if len(sources) == 1 else "survey"
        scans.append(
            WifiSurvey(
                source=source if source in ("pcap", "live", "iw", "nmcli") else "survey",
                location=location,
                networks=merge_networks([s.networks for s in taken]),
                samples=len(taken),
                first_sample_at=taken[0].taken_at.isoformat() if taken else None,
                last_sample_at=taken[-1].taken_at.isoformat() if taken else None,
            )
        )
    return scans
