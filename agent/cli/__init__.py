"""The `schoolnet` command. Exit codes: 0 nothing failed, 1 a check failed, 2 usage/config error, 3 could not run,
4 nothing failed but a configured target could not be measured (1 wins over 4)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from agent import __version__
from agent.cli import broadband, collector, delivery, filtering, firewall, schedule, switch, wifi
from agent.cli.common import Format, TextJson, TextJsonCsv, emit, err, setup_logging
from agent.cli.text import report_text
from agent.errors import SchoolnetError, UsageError


def _no_type_for_flags() -> None:
    """typer 0.29 labels an on/off flag ``<bool>`` in --help, which reads as if it took a value: show nothing."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: typer.Context) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign, assignment]


_no_type_for_flags()
_STDOUT_HELP = "What to print on stdout (report.json, report.html and report.csv are always written)."

app = typer.Typer(
    name="schoolnet",
    help="Measure a school's network against the DfE digital and technology standards.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
standards_app = typer.Typer(help="The DfE requirements schoolnet knows.", no_args_is_help=True)
app.add_typer(standards_app, name="standards")


def _version(value: bool) -> None:
    if value:
        emit(f"schoolnet {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details to stderr.")] = False,
) -> None:
    setup_logging(verbose)


@app.command()
def scan(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Config file (TOML).")] = None,
    only: Annotated[
        str | None, typer.Option(help="Comma-separated probes to run: switches,wifi,broadband,firewall.")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Directory for the reports.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help=_STDOUT_HELP)] = Format.text,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress display.")] = False,
    nightly: Annotated[bool, typer.Option(
        "--nightly",
        help="An unattended run (the schedule passes it): reports go to <state_dir>/reports/<UTC time>/ with a "
        "'latest' link, old folders are pruned ([agent] report_retention_days), last-run.json records the outcome.",
    )] = False,
    state_dir: Annotated[Path | None, typer.Option(
        "--state-dir", help="Use this state directory instead of [agent] state_dir (the schedule passes it).")] = None,
) -> None:
    """Run the configured probes, judge the evidence and write report.json, report.html and report.csv.

    Exits 0 when nothing failed, 1 when a requirement or check failed, 4 when nothing failed but a configured
    target could not be measured (each one is named on stderr).
    """
    from agent.scan import scan_command
    from standards_map.model import load_map

    outcome = scan_command(config, only, output, nightly=nightly, state_dir=state_dir,
                           show_progress=not no_progress and sys.stderr.isatty())
    _print_report(outcome.report, fmt, load_map())
    err.print(f"Reports written to {outcome.output_dir}/ (report.html, report.json, report.csv)", highlight=False)
    if outcome.latest is not None:
        err.print(f"Latest nightly reports: {outcome.latest}/", highlight=False)
    _print_unmeasured(outcome.report)
    raise typer.Exit(outcome.exit_code)


@app.command()
def demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for the demo's reports.")] = Path(
        "schoolnet-demo"
    ),
    fmt: Annotated[Format, typer.Option("--format", help=_STDOUT_HELP)] = Format.text,
    keep_running: Annotated[
        bool, typer.Option("--keep-running", help="Keep the simulated network and collector up until Ctrl-C.")
    ] = False,
) -> None:
    """Start the built-in simulated school network on loopback and audit it end to end."""
    from agent.demo import run_demo
    from standards_map.model import load_map

    report = run_demo(output, keep_running=keep_running)
    _print_report(report, fmt, load_map())
    _print_unmeasured(report)
    err.print(f"Open {output.resolve() / 'report.html'} in a browser (also report.json, report.csv).")
    raise typer.Exit(_exit_code(report))


@app.command()
def evaluate(
    report_file: Annotated[Path, typer.Argument(help="A report.json written by schoolnet.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write report.json/html/csv here instead of stdout.")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="What to print on stdout without --output.")] = Format.text,
) -> None:
    """Re-judge a stored report's evidence with the current standards map."""
    from agent.output import write_reports
    from contract.report import Report
    from reports.build import rejudge
    from standards_map.model import load_map

    try:
        stored = Report.model_validate_json(report_file.read_bytes())
    except FileNotFoundError:
        raise UsageError(f"{report_file}: no such file") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"{report_file}: not a schoolnet report ({where}: {first['msg']})") from None
    standards = load_map()
    report = rejudge(stored, standards, datetime.now(UTC))
    if output is not None:
        write_reports(report, output)
        err.print(f"Re-judged with standards map {standards.version}; reports written to {output}/")
    else:
        _print_report(report, fmt, standards)
    _print_unmeasured(report)
    raise typer.Exit(_exit_code(report))


@standards_app.command("list")
def standards_list(
    fmt: Annotated[TextJsonCsv, typer.Option("--format", help="text, json or csv.")] = TextJsonCsv.text,
) -> None:
    """List every requirement of the five core standards: id, when DfE expects it, and a short headline."""
    from standards_map.model import load_map

    smap = load_map()
    if fmt is TextJsonCsv.json:
        emit(json.dumps(
            {"version": smap.version, "requirements": [r.model_dump(mode="json") for r in smap.requirements]},
            indent=2,
        ))
        return
    if fmt is TextJsonCsv.csv:
        emit(_standards_csv(smap))
        return
    due = {"now": "now", "next_upgrade": "next upgrade", "by_2030": "by 2030"}
    lines = [f"DfE standards map {smap.version}: {len(smap.requirements)} requirements (due: when DfE expects it)"]
    for std in smap.standards:
        lines.append(f"\n{std.title}")
        for req in smap.requirements:
            if req.standard == std.id:
                lines.append(f"  {req.id:<44} {due[req.due]:<13} {req.assessment:<9} {req.headline}")
    emit("\n".join(lines))


def _standards_csv(smap: object) -> str:
    import csv
    import io

    from standards_map.model import StandardsMap

    assert isinstance(smap, StandardsMap)
    buffer = io.StringIO()
    columns = ["id", "standard", "ref", "headline", "due", "assessment", "title", "source", "when_to_meet"]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for req in smap.requirements:
        row = req.model_dump(mode="json")
        writer.writerow({c: " ".join(str(row[c]).split()) for c in columns})
    return buffer.getvalue()


@standards_app.command("show")
def standards_show(
    requirement_id: Annotated[str, typer.Argument(help="Requirement id, e.g. dfe.broadband.minimum-speed")],
    fmt: Annotated[TextJson, typer.Option("--format", help="text or json.")] = TextJson.text,
) -> None:
    """Show one requirement: its DfE title, source, checks and thresholds per phase."""
    from standards_map.model import load_map

    smap = load_map()
    try:
        req = smap.requirement(requirement_id)
    except KeyError:
        close = [r.id for r in smap.requirements if requirement_id.split(".")[-1] in r.id]
        hint = f"; did you mean {', '.join(close[:3])}?" if close else "; see `schoolnet standards list`"
        raise UsageError(f"no requirement {requirement_id!r}{hint}") from None
    if fmt is TextJson.json:
        emit(req.model_dump_json(indent=2))
        return
    lines = [
        f"{req.id}  ({req.standard}, {req.assessment})",
        f"DfE title:    {req.title}",
        f"Headline:     {req.headline}",
        f"Source:       {req.source} (DfE page version of {req.text_taken_on:%d %B %Y})",
        f"When to meet: {req.when_to_meet}",
        f"Due:          {req.due.replace('_', ' ')}",
        f"Applies to:   {', '.join(p.replace('_', '-') for p in req.phases)}",
        f"Summary:      {req.summary}",
    ]
    for ref in req.checks:
        practice = f" (good practice: {ref.good_practice.source}; at most attention)" if ref.good_practice else ""
        lines.append(f"Check:        {ref.check}{practice}")
        for phase, params in ref.params.items():
            shown = ", ".join(f"{k}={v}" for k, v in params.items()) or "(no parameters)"
            lines.append(f"                {phase}: {shown}")
        if ref.note:
            lines.append(f"                note: {ref.note}")
    if req.attestation:
        every = f" (review every {req.attestation.review_every_days} days)" if req.attestation.review_every_days else ""
        lines.append(f"Attestation:  {req.attestation.prompt}{every}")
    lines.append(f"Remediation:  {req.remediation}")
    emit("\n".join(lines))


def _print_report(report: object, fmt: Format, standards: object) -> None:
    from contract.report import Report
    from reports.writers import report_csv_text, report_html_text, report_json_bytes

    assert isinstance(report, Report)
    if fmt is Format.json:
        emit(report_json_bytes(report).decode())
    elif fmt is Format.csv:
        emit(report_csv_text(report))
    elif fmt is Format.html:
        emit(report_html_text(report))
    else:
        emit(report_text(report, standards))  # type: ignore[arg-type]


def _exit_code(report: object) -> int:
    from agent.scan import exit_code

    return exit_code(report)  # type: ignore[arg-type]


def _print_unmeasured(report: object) -> None:
    from agent.scan import unmeasured_summary

    missing = unmeasured_summary(report)  # type: ignore[arg-type]
    if missing:
        err.print(missing, style="yellow", highlight=False, markup=False)


for _area in (switch, wifi, broadband, firewall, delivery, collector, schedule, filtering):
    _area.register(app)


def main() -> None:
    """Console-script entry point: map errors to the contract's exit codes."""
    try:
        # standalone_mode=False: click returns the exit code of typer.Exit instead of exiting itself.
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except SchoolnetError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(3)
    except Exception as exc:
        # Usage errors from typer's (vendored) click carry their own exit code (2) and message.
        if callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        if type(exc).__name__ == "Abort":
            sys.exit(3)
        err.print(f"[red]schoolnet could not run:[/red] {type(exc).__name__}: {exc}", highlight=False)
        sys.exit(3)
