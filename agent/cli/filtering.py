"""CLI for the filtering area (registered by agent.cli).

``schoolnet filtering test [--segment NAME] [--tests FILE.csv] [--format json|text] [--config FILE]``: run the
test list and safe search from this network, keep the run for the audit's category x segment table, and
judge the filtering checks. Exit 1 when a check fails, 4 when nothing failed but something could not be told.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent.cli.common import TextJson as Format
from agent.cli.common import emit, err
from agent.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from agent.config import Config
    from contract.evidence import Evidence
    from contract.evidence.filtering import FilteringTest
    from contract.results import Result

filtering_app = typer.Typer(help="Content filtering, safe search and circumvention, per network segment.",
                            no_args_is_help=True)


def _config(path: Path | None) -> Config | None:
    from agent.config import find_config, load_config

    try:
        found = find_config(path)
    except ConfigError:
        if path is not None:
            raise
        return None
    return load_config(found)


def register(app: typer.Typer) -> None:
    app.add_typer(filtering_app, name="filtering")

    @filtering_app.command("test")
    def test(
        segment: Annotated[str | None, typer.Option(help="This network's segment (staff, student, guest...); "
                                                         "default: from the Wi-Fi SSID or the config.")] = None,
        tests: Annotated[Path | None, typer.Option("--tests", help="Test list: CSV lines of category,url.")] = None,
        fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.text,
        config: Annotated[Path | None, typer.Option("--config", "-c", help="Config file (TOML).")] = None,
    ) -> None:
        """Try each test address as a pupil's browser would, check safe search, and judge the results."""
        from agent.config.filtering import FilteringConfig, audit_settings, build_settings, current_ssid
        from agent.config.sections import AgentConfig
        from probes.filtering.probe import measure, record_and_combine
        from probes.filtering.runs import RunsFileError

        if fmt not in (Format.text, Format.json):
            raise UsageError("--format: filtering test prints text or json")
        cfg = _config(config)
        fc = (cfg.filtering if cfg else None) or FilteringConfig()
        state_dir = cfg.agent.state_dir if cfg else AgentConfig().state_dir
        settings = build_settings(fc, segment=segment, tests_file=tests, ssid=current_ssid())
        err.print(f"Testing {len(settings.tests)} addresses from segment {settings.segment!r} "
                  f"({settings.segment_source}) ...")
        stored = asyncio.run(measure(settings))
        run, safe = stored.test, stored.safe_search
        evidence: list[Evidence] = [run, *([safe] if safe else [])]
        try:
            evidence.append(record_and_combine(stored, audit_settings(fc, state_dir))[1])
        except (RunsFileError, OSError) as exc:
            err.print(f"[yellow]the run was not kept for the audit table: {exc}[/yellow]")
        results = judge(evidence, cfg)
        payload = {
            "segment": run.segment,
            "role": run.role,
            "segment_source": run.segment_source,
            "tested_at": run.tested_at.isoformat(),
            "resolvers": run.resolvers,
            "tests": [t.model_dump(mode="json") for t in run.tests],
            "safe_search": [e.model_dump(mode="json") for e in (safe.engines if safe else [])],
            "results": [r.model_dump(mode="json") for r in results],
            "evidence": [{"kind": e.kind, "data": e.model_dump(mode="json")} for e in evidence],
        }
        if fmt is Format.json:
            emit(json.dumps(payload, indent=2))
        else:
            emit(describe(payload))
        raise typer.Exit(exit_code(run, results))


def judge(evidence: list[Evidence], cfg: Config | None) -> list[Result]:
    """The filtering checks' results for this evidence (site from the config, or a neutral one)."""
    from contract.evidence import EvidenceRecord
    from contract.site import SiteProfile
    from probes.base import utcnow
    from standards_map.evaluate import evaluate
    from standards_map.model import load_map

    now = utcnow()
    records = [EvidenceRecord.of(f"ev-{i + 1:04d}", "filtering", getattr(e, "segment", "all segments"), now, e)
               for i, e in enumerate(evidence)]
    site = cfg.site_profile() if cfg else SiteProfile(id="unconfigured", name="unconfigured", phase="secondary")
    results = evaluate(load_map(), records, site, cfg.attestations if cfg else [], now)
    return [r for r in results if r.check.startswith("filtering_")]


def exit_code(run: FilteringTest, results: list[Result]) -> int:
    statuses = {str(r.status) for r in results}
    if "fail" in statuses:
        return 1
    if any(t.outcome == "unknown" for t in run.tests):
        return 4
    return 0


def describe(payload: dict[str, Any]) -> str:
    lines = [f"Segment {payload['segment']} ({payload['role']}), resolver {', '.join(payload['resolvers'])}"]
    for t in payload["tests"]:
        how = f" ({t['how']})" if t["how"] else ""
        lines.append(f"  {t['outcome']:<8}{how:<19} {t['category']:<12} {t['url']}  - {t['detail']}")
    for e in payload["safe_search"]:
        state = {True: "enforced", False: "NOT enforced", None: "unknown"}[e["enforced"]]
        lines.append(f"  safe search {e['engine']:<11} {state}: {e['detail']}")
    seen: set[tuple[str, str]] = set()
    for r in payload["results"]:  # a check counts towards several requirements: show it once
        if (r["check"], r["target"] or "") in seen:
            continue
        seen.add((r["check"], r["target"] or ""))
        lines.append(f"  {r['status']:<8} {r['check']} [{r['target'] or ''}] {r['detail']}")
    return "\n".join(lines)
