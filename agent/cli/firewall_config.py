"""``schoolnet firewall audit-config FILE [--platform fortinet|opnsense|pfsense]``: a saved firewall configuration,
judged offline. Same JSON shape as ``switch audit-config``, with the sanitised evidence."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import TextJson as Format
from agent.cli.common import emit
from agent.errors import UsageError

if TYPE_CHECKING:
    from contract.evidence import EvidenceRecord
    from contract.evidence.firewall_config import FirewallConfig
    from contract.results import Result


def evidence_record(evidence: FirewallConfig, target: str) -> EvidenceRecord:
    """The evidence an offline audit judges, as a report stores it (results point at it by evidence_ref)."""
    from contract.evidence import EvidenceRecord

    return EvidenceRecord.of("ev-0001", "firewall", target, datetime.now(UTC), evidence)


def judge(evidence: FirewallConfig, target: str, phase: str, record: EvidenceRecord | None = None) -> list[Result]:
    """Every requirement of the map judged on this one firewall (only firewall.config checks are kept)."""
    from contract.site import SiteProfile
    from standards_map.checks import registry
    from standards_map.evaluate import evaluate
    from standards_map.model import load_map

    record = record or evidence_record(evidence, target)
    site = SiteProfile(id="offline", name="offline audit", phase=phase)
    kinds = {spec.id for spec in registry().values() if spec.kind == evidence.kind}
    return [r.model_copy(update={"target": target})
            for r in evaluate(load_map(), [record], site, [], record.collected_at) if r.check in kinds]


def audit_config(
    file: Annotated[Path, typer.Argument(help="A saved configuration: FortiGate backup (Oxidized or 'show') or "
                                              "config.xml (OPNsense, pfSense).")],
    platform: Annotated[str | None, typer.Option("--platform", "-p", help="fortinet, opnsense or pfsense "
                                                 "(detected from the content when not given).")] = None,
    phase: Annotated[str, typer.Option(help="School phase for phase-dependent thresholds.")] = "secondary",
    fmt: Annotated[Format, typer.Option("--format", help="json or text.")] = Format.text,
) -> None:
    """Audit a saved firewall configuration offline against the cyber, broadband and filtering standards."""
    from probes.firewall.common import UnreadableConfig
    from probes.firewall.offline import evidence_from_text, read_config_file
    from probes.firewall.platforms import UnsupportedPlatform

    if fmt not in (Format.json, Format.text):
        raise UsageError(f"--format {fmt.value}: audit-config prints json or text")
    if phase not in ("primary", "secondary", "all_through", "college"):
        raise UsageError(f"--phase {phase!r}: choose primary, secondary, all_through or college")
    try:
        found, evidence = evidence_from_text(read_config_file(file), platform, str(file))
    except UnsupportedPlatform as exc:
        raise UsageError(f"--platform: {exc}" if platform else str(exc)) from None
    except UnreadableConfig as exc:
        raise UsageError(str(exc)) from None
    target = evidence.hostname or file.name
    record = evidence_record(evidence, target)
    results = judge(evidence, target, phase, record)
    if fmt is Format.json:
        # The sanitised evidence judged goes with the results (as in `switch audit-config`), so anyone can check
        # what was read and that no secret survived.
        emit(json.dumps({"target": target, "platform": found.name,
                         "results": [r.model_dump(mode="json") for r in results],
                         "evidence": [record.model_dump(mode="json")]}, indent=2))
    else:
        version = f" {evidence.firmware_version}" if evidence.firmware_version else ""
        lines = [f"{target} ({found.vendor}{version}), from {file}"]
        requirements: dict[str, list[str]] = {}
        for r in results:
            requirements.setdefault(r.check, []).append(r.requirement or "")
        shown: set[str] = set()
        for r in results:
            if r.check in shown:
                continue
            shown.add(r.check)
            lines.append(f"  {r.status.value:<14} {r.check:<38} {r.detail}")
            lines.append(f"  {'':<14} {'':<38} ({', '.join(requirements[r.check])})")
        if evidence.collection_errors:
            lines.append("  Not in the configuration: " + "; ".join(evidence.collection_errors))
        emit("\n".join(lines))
    raise typer.Exit(1 if any(r.status.value == "fail" for r in results) else 0)


def register(firewall_app: typer.Typer) -> None:
    firewall_app.command("audit-config")(audit_config)
