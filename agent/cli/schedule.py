"""`schoolnet schedule install|status|remove`: the nightly run (systemd timer, or cron without systemd)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import Format, emit, err

schedule_app = typer.Typer(help="Nightly runs: systemd timer, or cron where there is no systemd.", no_args_is_help=True)


class KindChoice(StrEnum):
    auto = "auto"
    systemd = "systemd"
    cron = "cron"


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
    user: Annotated[str, typer.Option(help="User the cron entry runs as.")] = "root",
    root: RootOption = Path("/"),
    fmt: FormatOption = Format.text,
) -> None:
    """Run `schoolnet scan` every night at --at (plus up to --jitter minutes), never two at once."""
    from agent.config import find_config, load_config
    from agent.delivery.schedule import install as do_install

    config_path = find_config(config)
    load_config(config_path)  # refuse to schedule a config that would fail every night
    schedule = do_install(
        at, jitter, config_path, root=root, kind=None if kind is KindChoice.auto else kind.value, user=user
    )
    if fmt is Format.json:
        emit(json.dumps(schedule.to_dict(), indent=2))
        return
    lines = [f"nightly audit at {schedule.at} (+ up to {schedule.jitter_min} min) via {schedule.kind}"]
    lines += [f"  wrote {f}" for f in schedule.files]
    lines.append(f"  runs: {schedule.to_dict()['command']}")
    emit("\n".join(lines))
    if schedule.kind == "systemd" and root != Path("/"):
        err.print(f"not activated (--root {root}); on the real system: systemctl enable --now schoolnet-audit.timer")


@schedule_app.command("status")
def status(root: RootOption = Path("/"), fmt: FormatOption = Format.text) -> None:
    """Show whether a nightly run is installed, when, and whether one is running now."""
    from agent.delivery.schedule import status as do_status

    info = do_status(root)
    if fmt is Format.json:
        emit(json.dumps(info, indent=2))
        return
    if not info["installed"]:
        emit("no nightly audit installed (schoolnet schedule install --at 02:30)")
        return
    running = "; a run is in progress now" if info["running_now"] else ""
    emit(
        f"nightly audit at {info['at']} (+ up to {info['jitter_min']} min) via {info['kind']}{running}\n"
        + "\n".join(f"  {f}" for f in info["files"])
    )


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
