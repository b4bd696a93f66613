"""Nightly runs: a systemd service + timer, or a cron entry where there is no systemd.

Every run goes through ``flock -n`` on one lock file, so a slow scan and the next night's (or a manual) run never
overlap: the second one exits at once. ``root`` (``--root`` / ``SCHOOLNET_SCHEDULE_ROOT``) redirects every path,
so tests and the lab write into a temporary directory and never touch the real /etc.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agent.errors import CannotRunError, UsageError

ROOT_ENV = "SCHOOLNET_SCHEDULE_ROOT"
UNIT = "schoolnet-audit"
Kind = Literal["systemd", "cron"]
MARKER = "# schoolnet-schedule: "
_AT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_at(at: str) -> tuple[int, int]:
    match = _AT.match(at.strip())
    if not match:
        raise UsageError(f"--at: {at!r} is not a time of day HH:MM (24-hour), e.g. 02:30")
    return int(match.group(1)), int(match.group(2))


def detect_kind() -> Kind:
    """systemd when it is the running init (the same test systemd's own tools use), else cron."""
    return "systemd" if Path("/run/systemd/system").is_dir() else "cron"


@dataclass(frozen=True)
class Paths:
    root: Path

    def _under(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")

    @property
    def service(self) -> Path:
        return self._under(f"/etc/systemd/system/{UNIT}.service")

    @property
    def timer(self) -> Path:
        return self._under(f"/etc/systemd/system/{UNIT}.timer")

    @property
    def cron(self) -> Path:
        return self._under(f"/etc/cron.d/{UNIT}")

    @property
    def lock(self) -> Path:
        return self._under(f"/run/lock/{UNIT}.lock")

    @property
    def log(self) -> Path:
        return self._under(f"/var/log/{UNIT}.log")


@dataclass
class Schedule:
    kind: Kind
    at: str
    jitter_min: int
    command: list[str]
    files: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at,
            "jitter_min": self.jitter_min,
            "command": shlex.join(self.command),
            "files": [str(f) for f in self.files],
        }


def schoolnet_executable() -> str:
    """The `schoolnet` next to this Python (the venv it is installed in), else the one on PATH."""
    beside = Path(sys.executable).parent / "schoolnet"
    if beside.exists():
        return str(beside)
    found = shutil.which("schoolnet")
    if found is None:
        raise CannotRunError("cannot find the `schoolnet` executable to schedule")
    return found


def flock_executable() -> str:
    found = shutil.which("flock")
    if found is None:
        raise CannotRunError("`flock` (util-linux) is not installed; it keeps two runs from overlapping")
    return found


def run_command(paths: Paths, config: Path, schoolnet: str | None = None) -> list[str]:
    """The locked scan: a second run while one is going exits at once (flock -n)."""
    return [
        flock_executable(),
        "-n",
        str(paths.lock),
        schoolnet or schoolnet_executable(),
        "scan",
        "--config",
        str(config),
        "--no-progress",
    ]


def install(
    at: str,
    jitter_min: int,
    config: Path,
    *,
    root: Path = Path("/"),
    kind: Kind | None = None,
    user: str = "root",
    schoolnet: str | None = None,
    activate: bool | None = None,
) -> Schedule:
    """Write the unit files (or the cron entry). ``activate`` runs systemctl; by default only when root is /."""
    hour, minute = parse_at(at)
    if not 0 <= jitter_min <= 720:
        raise UsageError(f"--jitter: {jitter_min} minutes is outside 0..720")
    kind = kind or detect_kind()
    paths = Paths(root)
    command = run_command(paths, config.resolve(), schoolnet)
    meta = MARKER + json.dumps({"kind": kind, "at": f"{hour:02d}:{minute:02d}", "jitter_min": jitter_min})
    schedule = Schedule(kind, f"{hour:02d}:{minute:02d}", jitter_min, command)
    paths.lock.parent.mkdir(parents=True, exist_ok=True)
    if kind == "systemd":
        paths.service.parent.mkdir(parents=True, exist_ok=True)
        paths.service.write_text(_service_text(meta, command))
        paths.timer.write_text(_timer_text(meta, hour, minute, jitter_min))
        schedule.files = [paths.service, paths.timer]
        if activate if activate is not None else root == Path("/"):
            _systemctl("daemon-reload")
            _systemctl("enable", "--now", f"{UNIT}.timer")
    else:
        paths.cron.parent.mkdir(parents=True, exist_ok=True)
        paths.log.parent.mkdir(parents=True, exist_ok=True)
        paths.cron.write_text(_cron_text(meta, hour, minute, jitter_min, user, command, paths.log))
        paths.cron.chmod(0o644)  # cron ignores entries writable by others, and needs to read it
        schedule.files = [paths.cron]
    return schedule


def _service_text(meta: str, command: list[str]) -> str:
    return (
        f"{meta}\n"
        "[Unit]\n"
        "Description=schoolnet nightly network audit (DfE digital and technology standards)\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"ExecStart={shlex.join(command)}\n"
        # Exit 1 means "a check failed": the run itself worked.
        "SuccessExitStatus=1\n"
    )


def _timer_text(meta: str, hour: int, minute: int, jitter_min: int) -> str:
    return (
        f"{meta}\n"
        "[Unit]\n"
        "Description=Run the schoolnet audit every night\n\n"
        "[Timer]\n"
        f"OnCalendar=*-*-* {hour:02d}:{minute:02d}:00\n"
        f"RandomizedDelaySec={jitter_min}min\n"
        # A night missed (server off) runs at the next boot.
        "Persistent=true\n\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )


def _cron_text(meta: str, hour: int, minute: int, jitter_min: int, user: str, command: list[str], log: Path) -> str:
    # cron's shell is /bin/sh (no $RANDOM); shuf spreads the start. No '%' anywhere: cron would treat it as newline.
    delay = f"sleep $(shuf -i 0-{jitter_min * 60} -n 1); " if jitter_min else ""
    return (
        f"{meta}\n"
        "# schoolnet nightly audit (`schoolnet schedule install`; undo with `schoolnet schedule remove`)\n"
        "SHELL=/bin/sh\n"
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
        f"{minute} {hour} * * * {user} {delay}{shlex.join(command)} >> {shlex.quote(str(log))} 2>&1\n"
    )


def _systemctl(*args: str) -> None:
    try:
        subprocess.run(["systemctl", *args], check=True, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise CannotRunError("systemctl not found; use --kind cron") from None
    except subprocess.CalledProcessError as exc:
        raise CannotRunError(f"systemctl {' '.join(args)} failed: {exc.stderr.strip()}") from None


def status(root: Path = Path("/")) -> dict[str, Any]:
    """What is installed under ``root``, read back from the files themselves."""
    paths = Paths(root)
    for kind, files in (("systemd", [paths.service, paths.timer]), ("cron", [paths.cron])):
        present = [f for f in files if f.exists()]
        if not present:
            continue
        meta: dict[str, Any] = {}
        for line in present[-1].read_text().splitlines():
            if line.startswith(MARKER):
                meta = json.loads(line[len(MARKER) :])
        running = paths.lock.exists() and _lock_held(paths.lock)
        return {
            "installed": True,
            "kind": kind,
            "at": meta.get("at"),
            "jitter_min": meta.get("jitter_min"),
            "files": [str(f) for f in present],
            "complete": len(present) == len(files),
            "running_now": running,
            "lock": str(paths.lock),
        }
    return {"installed": False, "files": []}


def _lock_held(lock: Path) -> bool:
    import fcntl

    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def remove(root: Path = Path("/"), *, activate: bool | None = None) -> list[Path]:
    paths = Paths(root)
    if paths.timer.exists() and (activate if activate is not None else root == Path("/")):
        _systemctl("disable", "--now", f"{UNIT}.timer")
    removed = []
    for path in (paths.timer, paths.service, paths.cron):
        if path.exists():
            path.unlink()
            removed.append(path)
    if removed and paths.service in removed and (activate if activate is not None else root == Path("/")):
        _systemctl("daemon-reload")
    return removed
