"""`schoolnet schedule install|status|remove`: the nightly run (systemd timer, or cron without systemd)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer

from agent.cli.common import TextJson as Format
from agent.cli.common import emit, err

schedule_app = typer.Typer(help="Nightly runs: systemd timer, or cron where there is no systemd.", no_args_is_help=True)


class KindChoice(StrEnum):
    auto = "auto"
    systemd = "systemd"
    cron = "cron"


_KINDS: dict[KindChoice, Literal["systemd", "cron"] | None] = {
    KindChoice.auto: None, KindChoice.systemd: "systemd", KindChoice.cron: "cron"}


RootOption = Annotated[
    Path,
    typer.Option(
        "--root",
        envvar="SCHOOLNET_SCHEDULE_ROOT",
        help="Write under this directory instead of / (tests, labs, image builds).",
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", help="text or json.")]


@schedule_app.command("install")
def install(
    at: Annotated[str, typer.Option("--at", help="Time of day, HH:MM (24-hour, local time).")],
    jitter: Annotated[int, typer.Option("--jitter", help="Random delay up to this many minutes.")] = 0,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Config file the nightly scan uses.")] = None,
    kind: Annotated[KindChoice, typer.Option("--kind", help="auto: systemd if it runs here, else cron.")] = (
        KindChoice.auto
    ),
    user: Annotated[str, typer.Option(
        help="Dedicated system user the nightly run uses (created if missing; never root).")] = "schoolnet",
    root: RootOption = Path("/"),
    fmt: FormatOption = Format.text,
) -> None:
    """Run `schoolnet scan --nightly` every night at --at (plus up to --jitter minutes), never two at once, as a
    dedicated user with only CAP_NET_RAW and CAP_NET_ADMIN; secrets via systemd credentials or a 0600 env file."""
    from agent.config import find_config
    from agent.delivery.schedule import install as do_install

    config_path = find_config(config)
    schedule = do_install(
        at, jitter, config_path, root=root, kind=_KINDS[kind], user=user
    )
    if fmt is Format.json:
        emit(json.dumps(schedule.to_dict(), indent=2))
        return
    lines = [f"nightly audit at {schedule.at} (+ up to {schedule.jitter_min} min) via {schedule.kind}, "
             f"as user {schedule.user}; reports in {schedule.state_dir}/reports/latest/"]
    lines += [f"  wrote {f}" for f in schedule.files]
    lines.append(f"  runs: {schedule.to_dict()['command']}")
    lines += [f"  note: {note}" for note in schedule.notes]
    emit("\n".join(lines))
    if schedule.kind == "systemd" and root != Path("/"):
        err.print(f"not activated (--root {root}); on the real system: systemctl enable --now schoolnet-audit.timer")


@schedule_app.command("status")
def status(root: RootOption = Path("/"), fmt: FormatOption = Format.text) -> None:
    """Show whether a nightly run is installed, when, whether one is running now, and how the last one went."""
    from agent.delivery.schedule import status as do_status

    info = do_status(root)
    if fmt is Format.json:
        emit(json.dumps(info, indent=2))
        return
    if not info["installed"]:
        emit("no nightly audit installed (schoolnet schedule install --at 02:30)")
        return
    running = "; a run is in progress now" if info["running_now"] else ""
    user = f" as user {info['user']}" if info.get("user") else ""
    lines = [f"nightly audit at {info['at']} (+ up to {info['jitter_min']} min) via {info['kind']}{user}{running}"]
    lines += [f"  {f}" for f in info["files"]]
    lines += last_run_lines(info.get("last_run"))
    emit("\n".join(lines))


EXIT_MEANINGS = {
    0: "nothing failed",
    1: "a requirement or check failed",
    2: "usage or configuration error",
    3: "could not run",
    4: "nothing failed, but a configured target could not be measured",
}


def last_run_lines(record: dict[str, object] | None) -> list[str]:
    """The last nightly run in a few lines: when, the exit code and what it means, and each unmeasured target."""
    if record is None:
        return ["last run: none recorded yet"]
    if "exit_code" not in record:
        return [f"last run: {record.get('error')}"]
    code = record["exit_code"]
    meaning = EXIT_MEANINGS.get(code, "unexpected exit code") if isinstance(code, int) else "unknown"
    lines = [f"last run: {record.get('started_at')} -> exit {code} ({meaning})"]
    if record.get("error"):
        lines.append(f"  error: {record['error']}")
    if record.get("report_dir"):
        lines.append(f"  reports: {record['report_dir']}")
    unmeasured = record.get("unmeasured") or []
    if isinstance(unmeasured, list) and unmeasured:
        lines.append(f"  {len(unmeasured)} target(s) could not be measured:")
        lines += [f"    {u.get('probe')}: {u.get('target')}: {u.get('reason')}" for u in unmeasured
                  if isinstance(u, dict)]
    if record.get("uploaded") is False:
        lines.append("  upload: the report waits in the outbox (`schoolnet outbox list`)")
    return lines


@schedule_app.command("remove")
def remove(root: RootOption = Path("/"), fmt: FormatOption = Format.text) -> None:
    """Remove the nightly run."""
    from agent.delivery.schedule import remove as do_remove

    removed = do_remove(root)
    if fmt is Format.json:
        emit(json.dumps({"removed": [str(p) for p in removed]}))
    else:
        emit("\n".join(f"removed {p}" for p in removed) or "nothing to remove")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.add_typer(schedule_app, name="schedule")
