"""The collector runs on a trust server without the probe libraries: it must not import them."""

from __future__ import annotations

import subprocess
import sys


def test_collector_imports_no_probe_libraries() -> None:
    code = (
        "import sys, agent.cli, collector.app, collector.server, collector.admin, collector.ingest\n"
        "heavy = sorted(m for m in ('scapy', 'netmiko', 'pysnmp', 'paramiko', 'speedtest') if m in sys.modules)\n"
        "print(heavy)\n"
        "sys.exit(1 if heavy else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
