"""`schoolnet demo`: the simulated school network, scanned end to end."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from agent.cli.common import err
from agent.config import load_config
from agent.lab import Lab
from agent.probe_registry import AREAS
from agent.report.model import Report
from agent.scan import scan_and_write


def run_demo(output: Path) -> Report:
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="schoolnet-lab-") as workdir, Lab(Path(workdir)) as lab:
        names = ", ".join(c.name for c in lab.started) or "no simulated devices yet"
        err.print(f"Simulated school network up: {names}")
        config_path = lab.write_config(output / "schoolnet-demo.toml")
        config = load_config(config_path)
        report = scan_and_write(config, list(AREAS), output, show_progress=sys.stderr.isatty())
        if config.upload.enabled and config.upload.url:
            err.print(f"Collector (simulated trust server): {config.upload.url} (API docs at {config.upload.url}/docs)")
    err.print(f"Config used: {config_path}")
    return report
