"""CLI commands for the broadband area (registered by agent.cli).

- ``schoolnet broadband test [--backend speedtest|http|iperf3] [--server URL] [--format json|text]``
- ``schoolnet speed-server [--host H] [--port P]``: the trust-hosted reference endpoint for the http backend.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import TextJson as Format
from agent.cli.common import emit, err
from agent.errors import CannotRunError, ConfigError, UsageError

if TYPE_CHECKING:
    from agent.config.broadband import BroadbandConfig
    from contract.evidence.broadband import BroadbandSpeed
    from contract.site import SiteProfile

broadband_app = typer.Typer(help="Broadband line: throughput, latency under load, backup connection.",
                            no_args_is_help=True)


class Backend(StrEnum):
    speedtest = "speedtest"
    http = "http"
    iperf3 = "iperf3"


def _broadband_config(config: Path | None) -> tuple[BroadbandConfig, SiteProfile | None, Path | None, str | None]:
    """The [broadband] section of the config file, the site (for its phase), the state directory and the [upload]
    url (for the speed credential); defaults and no site when no file is given and none is found."""
    from agent.config import find_config, load_config
    from agent.config.broadband import BroadbandConfig

    try:
        path = find_config(config)
    except ConfigError:
        return BroadbandConfig(), None, None, None
    loaded = load_config(path)
    return loaded.broadband, loaded.site_profile(), loaded.agent.state_dir, loaded.upload.url


def describe(ev: BroadbandSpeed) -> str:
    """One human line: the figures a head teacher asks about first."""

    def mbps(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0f} Mbps"

    def ms(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1f} ms"

    ok_runs = sum(1 for run in ev.runs if run.error is None)
    line = (
        f"Download {mbps(ev.download_mbps)}, upload {mbps(ev.upload_mbps)}; "
        f"latency {ms(ev.latency_idle_ms)} idle, {ms(ev.latency_loaded_ms)} under load "
        f"({ev.backend} via {ev.server}, median of {ok_runs} run{'s' if ok_runs != 1 else ''})"
    )
    if ev.link_speed_mbps is not None:
        line += f"; this computer's link ({ev.interface}) runs at {ev.link_speed_mbps} Mbps"
    return line


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.add_typer(broadband_app, name="broadband")

    @broadband_app.command("test")
    def test(
        backend: Annotated[Backend | None, typer.Option(help="Backend; the configured one by default.")] = None,
        server: Annotated[str | None, typer.Option(help="Server URL (http, speedtest mini), Ookla id or "
                                                       "iperf3 host:port; the configured one by default.")] = None,
        fmt: Annotated[Format, typer.Option("--format", help="text (one line) or json (the evidence).")] = Format.text,
        config: Annotated[Path | None, typer.Option("--config", "-c", help="Config file (TOML).")] = None,
        runs: Annotated[int | None, typer.Option(min=1, max=20, help="Runs (median reported).")] = 1,
        duration: Annotated[float | None, typer.Option(min=1.0, max=60.0,
                                                       help="Seconds per direction per run.")] = None,
    ) -> None:
        """One throughput and latency measurement of the broadband line."""
        from probes.broadband.common import MeasurementError, ServerUnreachable, TransferAborted
        from probes.broadband.probe import measure_speed

        if fmt not in (Format.text, Format.json):
            raise UsageError("--format: broadband test prints text or json")
        from agent.config.broadband import speed_credential
        from probes.broadband.settings import BroadbandSettings

        bb, site, state_dir, upload_url = _broadband_config(config)
        if duration is not None:
            # Keep at least three quarters of a short test as the measured (steady-state) window.
            bb = bb.model_copy(update={"duration_s": duration, "warmup_s": min(bb.warmup_s, duration / 4)})
        chosen = backend.value if backend else bb.backend
        target = server if server is not None else bb.server
        # As in a scan: the agent's credential goes with the http backend to its own collector, and nowhere else.
        settings = BroadbandSettings(
            **bb.model_dump(exclude={"router", "backend", "server"}), backend=chosen, server=target,
            speed_credential=speed_credential(target, upload_url, state_dir) if chosen == "http" else None,
        )
        err.print(f"Measuring the line with the {chosen} backend ...")
        try:
            evidence = measure_speed(settings, runs=runs)
        except (ServerUnreachable, TransferAborted) as exc:
            # The command ran, but its one target (the line, through that server) could not be measured: exit 4.
            err.print(f"broadband test: the line could not be measured: {exc}", highlight=False, markup=False)
            raise typer.Exit(4) from None
        except MeasurementError as exc:  # no backend tool, not a speed server: it could not run at all
            raise CannotRunError(f"broadband test: {exc}") from None
        from agent.cli.text import speed_verdict

        verdict = speed_verdict(evidence, site)
        if fmt is Format.json:
            emit(evidence.model_dump_json(indent=2))
            err.print(verdict, highlight=False, markup=False)  # stdout carries the JSON only
        else:
            emit(describe(evidence) + "\n" + verdict)

    @app.command("speed-server")
    def speed_server(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "0.0.0.0",
        port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8088,
        limit_mbps: Annotated[float | None, typer.Option(
            help="This server's own limit (its uplink), told to clients so they report 'unknown' above it.")] = None,
        shape_mbps: Annotated[float | None, typer.Option(help="Pace all traffic to this rate (labs).")] = None,
        delay_ms: Annotated[float, typer.Option(help="Sleep before each response (benchmarks).")] = 0.0,
    ) -> None:
        """Serve the reference speed-test endpoint (download, upload sink, ping) for the http backend."""
        from agent.speed_server import serve

        err.print(f"schoolnet speed server on http://{host}:{port}/ (Ctrl-C to stop)")
        serve(host, port, limit_mbps=limit_mbps, shape_mbps=shape_mbps, delay_ms=delay_ms, announce=False)
