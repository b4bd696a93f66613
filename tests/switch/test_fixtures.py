"""One glob-driven test: every recorded case folder parses to its expected.json (adding a case needs no Python)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from probes.switch.platforms import platform_for
from probes.switch.probe import build_device

REPO = Path(__file__).resolve().parents[2]
ROOTS = (REPO / "tests" / "fixtures" / "switch", REPO / "agent" / "lab" / "switch_data")
CASES = sorted(d for root in ROOTS for d in root.glob("*/*") if (d / "expected.json").is_file())


def outputs_of(case: Path) -> dict[str, str]:
    """<command with spaces as underscores>.txt -> {command: output}."""
    return {f.stem.replace("_", " "): f.read_text(encoding="utf-8") for f in sorted(case.glob("*.txt"))}


def test_there_are_cases_for_every_platform():
    platforms = {c.parent.name for c in CASES}
    assert {"cisco_ios", "hp_procurve", "aruba_aoscx", "juniper_junos"} <= platforms


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.parent.name}/{c.name}")
def test_case_parses_to_expected(case: Path):
    platform = case.parent.name
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    facts = platform_for(platform).parse(outputs_of(case))
    device = build_device(platform, "unknown", "192.0.2.1", facts, None, None, [], [])
    got = device.model_dump(mode="json")
    for key, value in expected.items():
        assert got[key] == value, f"{case.name}: {key}"


def test_config_parser_errors_become_unparseable_output_and_print_nothing(capfd):
    from probes.switch.common import UnparseableOutput, parse_config

    with pytest.raises(UnparseableOutput, match="the configuration parser could not read it"):
        parse_config('system {\n  secret "CANARY-in-a-traceback";\n  x {\n', "junos", "show configuration")
    captured = capfd.readouterr()
    assert captured.out == "" and "CANARY" not in captured.err  # ciscoconfparse2's loguru traceback stays off


def test_refused_commands():
    from probes.switch.common import refused

    assert refused("                ^\n% Invalid input detected at '^' marker.\n")
    assert refused("show running-config\n   ^\nInvalid input: running-config")
    assert refused("Building configuration...\nhostname x\n") is None
