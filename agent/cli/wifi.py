"""CLI commands for the wifi area: ``wifi analyze``, ``wifi survey`` and ``wifi live``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import TextJson as Format
from agent.cli.common import emit, err
from contract.errors import CannotRunError, CollectionError, InputError, UsageError

if TYPE_CHECKING:
    from agent.config import Config
    from contract.evidence.wifi import WifiScan
    from contract.results import Result
    from contract.site import SiteProfile

wifi_app = typer.Typer(help="Wi-Fi: analyse captures and scans, survey coverage room by room.", no_args_is_help=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Config file (school SSIDs, known APs, threshold).")
]
FormatOption = Annotated[Format, typer.Option("--format", help="json or text.")]


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.add_typer(wifi_app, name="wifi")


def _text_or_json(fmt: Format) -> None:
    if fmt not in (Format.json, Format.text):
        raise UsageError(f"--format {fmt.value}: wifi commands print json or text")


def _load(config: Path | None, *, required: bool = False) -> Config | None:
    from agent.config import DEFAULT_CONFIG_PATHS, find_config, load_config

    if config is None and not required and not any(p.exists() for p in DEFAULT_CONFIG_PATHS):
        return None
    return load_config(find_config(config))


def _site(cfg: Config | None) -> SiteProfile:
    from contract.site import SiteProfile

    if cfg is not None:
        return cfg.site_profile()
    return SiteProfile(id="adhoc", name="ad hoc analysis", phase="secondary")


def judge(scans: list[WifiScan], site: SiteProfile, target: str) -> list[Result]:
    """Run the wireless standard's checks that read these scans' evidence kinds (wifi.scan, wifi.survey)."""
    from contract.evidence import EvidenceRecord
    from standards_map.checks import registry
    from standards_map.evaluate import evaluate
    from standards_map.model import load_map

    now = datetime.now(UTC)
    records = [EvidenceRecord.of(f"ev-{i + 1:04d}", "wifi", target, now, scan) for i, scan in enumerate(scans)]
    checks = registry()
    results = evaluate(load_map(), records, site, [], now)
    kinds = {scan.kind for scan in scans}
    return [r for r in results if r.check in checks and checks[r.check].kind in kinds]


@wifi_app.command("analyze")
def analyze(
    file: Annotated[Path, typer.Argument(help="pcap/pcapng of beacons, or saved `iw dev IF scan` / `nmcli -t` text.")],
    fmt: FormatOption = Format.text,
    config: ConfigOption = None,
) -> None:
    """Parse a capture or saved scan; list every network and judge the school's networks."""
    from probes.wifi.files import analyze_file

    _text_or_json(fmt)
    cfg = _load(config)
    try:
        scan = analyze_file(file)
    except FileNotFoundError:
        raise UsageError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{file}: is a directory, not a capture or scan file") from None
    except InputError as exc:  # CaptureError, UnknownSourceError, IwParseError ...: each names the file or line
        raise UsageError(f"{file}: {exc}" if str(file) not in str(exc) else str(exc)) from None
    except OSError as exc:
        raise UsageError(f"{file}: cannot read it ({exc.strerror})") from None
    results = judge([scan], _site(cfg), str(file))
    if scan.truncated:
        err.print(f"{file}: {_truncation(scan)}")
    if fmt is Format.json:
        emit(json.dumps(
            {
                "source": scan.source,
                "frames_total": scan.frames_total,
                "frames_malformed": scan.frames_malformed,
                "truncated": scan.truncated,
                "bytes_read": scan.bytes_read,
                "file_size_bytes": scan.file_size_bytes,
                "networks": [n.model_dump(mode="json") for n in scan.networks],
                "results": [r.model_dump(mode="json") for r in results],
            },
            indent=2,
            ensure_ascii=False,
        ))
    else:
        emit(_scan_text(scan, results))
    raise typer.Exit(_exit_code(scan, results))


def _exit_code(scan: WifiScan, results: list[Result]) -> int:
    """1 when a check failed; 4 when nothing failed but the capture could be read only in part (contract)."""
    if any(r.status.value == "fail" for r in results):
        return 1
    return 4 if scan.truncated else 0


def _truncation(scan: WifiScan) -> str:
    read = f"{scan.bytes_read:,} of {scan.file_size_bytes:,} bytes" if scan.bytes_read is not None else "part of it"
    return f"the capture is cut short mid-record: only {read} ({scan.frames_total or 0} frames) could be read"


def _scan_text(scan: WifiScan, results: list[Result]) -> str:
    lines = [f"{len(scan.networks)} networks ({scan.source}"
             + (f", {scan.frames_total} frames, {scan.frames_malformed} malformed)" if scan.frames_total else ")")]
    if scan.truncated:
        lines.append(f"TRUNCATED: {_truncation(scan)}")
    lines.append(f"{'BSSID':<18} {'SSID':<24} {'CH':>4} {'BAND':>4} {'dBm':>5} {'SECURITY':<16} {'PMF':<9} GEN  LEGACY")
    for n in sorted(scan.networks, key=lambda n: (n.ssid.lower(), n.bssid)):
        ssid = (n.ssid or "<hidden>")[:24]
        gen = f"{n.generation}{'E' if n.wifi_6e else ''}" if n.generation else "-"
        lines.append(
            f"{n.bssid:<18} {ssid:<24} {n.channel or '-':>4} {n.band or '-':>4} "
            f"{n.signal_dbm if n.signal_dbm is not None else '-':>5} {n.security:<16} {n.pmf or '?':<9} "
            f"{gen:<4} {'yes' if n.legacy_crypto else 'no'}"
        )
    lines.append("")
    from agent.cli.text import result_lines  # the report's words (Met, Not met, ...) and the check's title

    lines.extend(result_lines(results, show_target=False))
    return "\n".join(lines)


@wifi_app.command("survey")
def survey(
    location: Annotated[str, typer.Option("--location", "-l", help="The room or area where you stand now.")],
    config: ConfigOption = None,
    interface: Annotated[str | None, typer.Option("--interface", "-i", help="Wireless interface to scan.")] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from", help="Use a saved capture / iw / nmcli file instead of scanning now.")
    ] = None,
    survey_file: Annotated[Path | None, typer.Option("--survey-file", help="Where samples are kept.")] = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Take one survey sample here (scan + time + location) and add it to the site's survey file."""
    from probes.wifi.files import analyze_file
    from probes.wifi.survey import aggregate, load_samples, record_sample, take_scan

    _text_or_json(fmt)
    cfg = _load(config)
    if cfg is not None and cfg.wifi.locations and location not in cfg.wifi.locations:
        raise UsageError(
            f"--location {location!r} is not one of [wifi] locations: {', '.join(cfg.wifi.locations)}"
        )
    path = survey_file or (cfg.wifi.survey_path(cfg.agent.state_dir) if cfg is not None else None)
    if path is None:
        raise UsageError("no survey file: give --survey-file or a config with [wifi] survey_file")
    if from_file is not None:
        try:
            scan = analyze_file(from_file)
        except FileNotFoundError:
            raise UsageError(f"{from_file}: no such file") from None
        except InputError as exc:
            raise UsageError(f"{from_file}: {exc}" if str(from_file) not in str(exc) else str(exc)) from None
    else:
        try:
            scan = take_scan(interface or (cfg.wifi.scan_interface if cfg else None))
        except CollectionError as exc:  # SurveyError: no way to scan here
            raise CannotRunError(str(exc)) from None
    record_sample(path, location, scan, datetime.now(UTC))
    here = [s for s in aggregate(load_samples(path)) if s.location == location][0]
    results = [r for r in judge([here], _site(cfg), location) if r.check == "wifi_signal_coverage"]
    if fmt is Format.json:
        emit(json.dumps(
            {
                "location": location,
                "survey_file": str(path),
                "samples": here.samples,
                "networks": [n.model_dump(mode="json") for n in scan.networks],
                "results": [r.model_dump(mode="json") for r in results],
            },
            indent=2,
            ensure_ascii=False,
        ))
    else:
        err.print(f"Sample {here.samples} for {location} added to {path}")
        emit(_scan_text(scan, results))
    raise typer.Exit(1 if any(r.status.value == "fail" for r in results) else 0)


@wifi_app.command("live")
def live(
    interface: Annotated[str, typer.Option("--interface", "-i", help="Wireless interface in monitor mode.")],
    seconds: Annotated[float, typer.Option("--seconds", "-s", help="How long to listen.")] = 20.0,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Also write the networks as JSON here.")] = None,
    config: ConfigOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """Listen to beacons in monitor mode for N seconds, hopping channels (needs root)."""
    from agent.config.wifi import LiveCapture
    from probes.wifi.live import live_capture

    _text_or_json(fmt)
    cfg = _load(config)
    defaults = LiveCapture(interface=interface, seconds=seconds)
    try:
        scan = live_capture(interface, seconds, defaults.channels, defaults.dwell_s)
    except CollectionError as exc:  # LiveCaptureError: not root, no such interface, not in monitor mode
        raise CannotRunError(str(exc)) from None
    results = judge([scan], _site(cfg), f"live:{interface}")
    body = {
        "networks": [n.model_dump(mode="json") for n in scan.networks],
        "results": [r.model_dump(mode="json") for r in results],
    }
    if output is not None:
        output.write_text(json.dumps(body, indent=2, ensure_ascii=False), encoding="utf-8")
    emit(json.dumps(body, indent=2, ensure_ascii=False) if fmt is Format.json else _scan_text(scan, results))
    raise typer.Exit(1 if any(r.status.value == "fail" for r in results) else 0)
