"""CLI commands for the switch area: ``schoolnet switch audit-config FILE --platform P``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import TextJson as Format
from agent.cli.common import emit
from contract.errors import InputError, UsageError

if TYPE_CHECKING:
    from contract.evidence import EvidenceRecord
    from contract.evidence.switch import SwitchDevice
    from contract.results import Result

switch_app = typer.Typer(help="Switches: audit saved configurations offline.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.add_typer(switch_app, name="switch")


def device_from_config(path: Path, platform: str, role: str = "edge") -> SwitchDevice:
    """Parse a saved running-config into evidence; UsageError (exit 2) when it cannot be read as one."""
    from probes.switch.platforms import UnsupportedPlatform, platform_for
    from probes.switch.probe import build_device

    try:
        driver = platform_for(platform)
    except UnsupportedPlatform as exc:
        raise UsageError(f"--platform: {exc}") from None
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a text file (a {platform} configuration is text)") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        facts = driver.read_config(text)
    except InputError as exc:  # not_a_configuration: another vendor's file, or no configuration at all
        raise UsageError(f"{path}: cannot be parsed as a {platform} configuration: {exc}") from None
    facts["sources"] = ["config-file"]
    return build_device(platform, role, None, facts, None, text, [], [])  # a file has no management address


def evidence_record(device: SwitchDevice, target: str) -> EvidenceRecord:
    """The evidence an offline audit judges, as a report stores it (results point at it by evidence_ref)."""
    from contract.evidence import EvidenceRecord

    return EvidenceRecord.of("ev-0001", "switches", target, datetime.now(UTC), device)


def judge(record: EvidenceRecord, phase: str) -> list[Result]:
    """Every requirement of the map, judged on this one device (only switch.device checks are kept)."""
    from contract.site import SiteProfile
    from standards_map.checks import registry
    from standards_map.evaluate import evaluate
    from standards_map.model import load_map

    site = SiteProfile(id="offline", name="offline audit", phase=phase)
    kinds = {spec.id for spec in registry().values() if spec.kind == record.kind}
    return [r for r in evaluate(load_map(), [record], site, [], record.collected_at) if r.check in kinds]


@switch_app.command("audit-config")
def audit_config(
    file: Annotated[Path, typer.Argument(help="A saved running-config (backup, Oxidized, RANCID).")],
    platform: Annotated[str, typer.Option("--platform", "-p", help="netmiko device_type, e.g. cisco_ios.")],
    role: Annotated[str, typer.Option(help="core, distribution or edge (decides the core-only checks).")] = "edge",
    phase: Annotated[str, typer.Option(help="School phase for phase-dependent thresholds.")] = "secondary",
    fmt: Annotated[Format, typer.Option("--format", help="json or text.")] = Format.text,
) -> None:
    """Audit a saved switch configuration offline against the switching and cyber standards."""
    if fmt not in (Format.json, Format.text):
        raise UsageError(f"--format {fmt.value}: audit-config prints json or text")
    if role not in ("core", "distribution", "edge"):
        raise UsageError(f"--role {role!r}: choose core, distribution or edge")
    if phase not in ("primary", "secondary", "all_through", "college"):
        raise UsageError(f"--phase {phase!r}: choose primary, secondary, all_through or college")
    device = device_from_config(file, platform, role)
    target = device.hostname or file.name
    record = evidence_record(device, target)
    results = [r.model_copy(update={"target": target}) for r in judge(record, phase)]
    if fmt is Format.json:
        # The sanitised evidence judged goes with the results, so anyone can check offline what was read (the
        # facts and the configuration) and that no secret survived.
        emit(json.dumps({"target": target, "platform": platform,
                         "results": [r.model_dump(mode="json") for r in results],
                         "evidence": [record.model_dump(mode="json")]}, indent=2))
    else:
        lines = [f"{target} ({platform}), from {file}"]
        # The report's words (Met, Not met, ...), the check's title beside its id; a check that serves several
        # requirements is shown once, with every requirement it counts towards.
        from agent.cli.text import result_lines

        lines.extend(result_lines(results, indent="  ", show_target=False))
        emit("\n".join(lines))
    raise typer.Exit(1 if any(r.status.value == "fail" for r in results) else 0)
