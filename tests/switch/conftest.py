"""A switch lab shared by the end-to-end tests of this folder: real SSH (fakenos) and SNMP (snmpsim)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
GARBAGE = REPO / "tests" / "fixtures" / "switch" / "cisco_ios" / "garbage"


@pytest.fixture(scope="session")
def switch_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Every platform, plus the faulty devices; yields (lab, config fragment). Stopped by PID afterwards."""
    pytest.importorskip("fakenos", reason="fakenos (the [lab] extra) is not installed")
    if not (Path(sys.executable).parent / "snmpsim-command-responder").exists() and not shutil.which(
        "snmpsim-command-responder"
    ):
        pytest.skip("snmpsim (the [lab] extra) is not installed")
    from agent.lab.switches import DEMO_SWITCHES, LabSwitch, SwitchLab

    switches = [
        *DEMO_SWITCHES,
        LabSwitch("EX-SW5", "juniper_junos", "edge_ex", snmp="v2c"),
        LabSwitch("HANG-SW6", "cisco_ios", "core_good", hang_on=("show running-config",)),
        LabSwitch("GARBAGE-SW7", "cisco_ios", str(GARBAGE)),
        LabSwitch("WRONGPW-SW8", "cisco_ios", "edge_bad", wrong_password=True),
    ]
    lab = SwitchLab(switches)
    workdir = tmp_path_factory.mktemp("switch-lab")
    try:
        fragment = lab.start(workdir)
        fragment["switches"]["read_timeout_s"] = 2.0
        yield lab, fragment
    finally:
        lab.stop()
