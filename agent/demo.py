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
                _dashboard(lab, report, Path(workdir))
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


def _dashboard(lab: Lab, report: Report, workdir: Path) -> None:
    """Give the trust dashboard something to show: more simulated schools with weeks of nightly reports, seeded
    through the real enrol and signed-upload path from this scan's evidence, and sign-ins for each role."""
    from agent.lab.trust_seed import seed_trust

    collector = next((c for c in lab.started if c.name == "collector"), None)
    db_url, url = getattr(collector, "db_url", None), getattr(collector, "url", None)
    if not db_url or not url:
        return
    err.print("Seeding the trust dashboard: 3 more simulated schools, 4 weeks of nightly signed reports ...")
    try:
        seeded = seed_trust(
            db_url,
            url,
            workdir,
            report.evidence,
            report.site_profile,
            trust_name=report.site.trust or "Example Learning Trust",
        )
    except Exception as exc:  # the demo's own scan and upload already worked; say why the dashboard is bare
        err.print(f"Could not seed the dashboard's simulated schools: {exc}")
        return
    err.print(f"Trust dashboard: {url}/  ({seeded.reports} simulated reports)")
    for role, (email, password) in seeded.accounts.items():
        err.print(f"  sign in as {role.replace('_', ' ')}: {email}  password: {password}")
