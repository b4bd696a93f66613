"""`schoolnet demo`: the simulated school network, scanned end to end."""

from __future__ import annotations

import signal
import sys
import tempfile
import threading
from pathlib import Path

from agent.cli.common import err
from agent.config import load_config
from agent.lab import Lab
from agent.probe_registry import parse_only
from agent.scan import scan_and_write
from contract.report import Report


def _stop_on_sigterm() -> None:
    """SIGTERM (a service manager, `timeout`, `kill`) unwinds like Ctrl-C, so the lab is stopped, not orphaned."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def run_demo(output: Path, keep_running: bool = False) -> Report:
    output.mkdir(parents=True, exist_ok=True)
    _stop_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="schoolnet-lab-") as workdir, Lab(Path(workdir)) as lab:
        names = ", ".join(c.name for c in lab.started) or "no simulated devices yet"
        err.print(f"Simulated school network up: {names}")
        config_path = lab.write_config(output / "schoolnet-demo.toml")
        config = load_config(config_path)
        report = scan_and_write(config, parse_only(None), output, show_progress=sys.stderr.isatty())
        if config.upload.enabled and config.upload.url:
            err.print(f"Collector (simulated trust server): {config.upload.url} (API docs at {config.upload.url}/docs)")
            token = next((getattr(c, "viewer_token", None) for c in lab.started if c.name == "collector"), None)
            if token and keep_running:
                err.print(f"Trust viewer token for the API: Authorization: Bearer {token}")
        if keep_running:
            err.print("The simulated network and collector stay up; press Ctrl-C to stop them.")
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                err.print("Stopping the simulated network.")
        else:
            err.print("The simulated network and collector have been stopped (--keep-running keeps them up).")
    err.print(f"Config used: {config_path}")
    return report
