"""Nightly runs: a systemd service + timer, or a cron entry where there is no systemd.

The run is unattended and least-privileged:
- it runs as a dedicated system user (``schoolnet`` by default; created with ``useradd --system`` when missing),
  never as root, with only ``CAP_NET_RAW`` and ``CAP_NET_ADMIN`` (raw-socket scans, monitor mode): systemd's
  ``AmbientCapabilities=`` with the same ``CapabilityBoundingSet=``; under cron, ``setpriv`` drops from root to the
  user keeping only those two as ambient capabilities;
- secrets reach it without ever being world-readable: ``credential = "NAME"`` references are loaded by systemd
  (``LoadCredential=NAME:/etc/schoolnet/credentials/NAME``, readable by the service's user only), ``env = "VAR"``
  references come from ``/etc/schoolnet/schoolnet.env`` (created 0600, read by systemd or by root's cron shell
  before privileges are dropped); ``file = ...`` references must be the user's own 0600 files (checked here);
- it passes ``--nightly --state-dir DIR``: reports go to dated folders under the state directory (see
  ``agent.delivery.nightly``) and ``last-run.json`` records how each run went, which ``status`` shows.

Every run goes through ``flock -n`` on one lock file, so a slow scan and the next night's (or a manual) run never
overlap: the second one exits at once. ``root`` (``--root`` / ``SCHOOLNET_SCHEDULE_ROOT``) redirects every path
(unit files, cron entry, lock, environment file, credentials, /etc/passwd for the user), so tests and the lab
write into a temporary directory and never touch the real /etc.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agent.errors import CannotRunError, UsageError

ROOT_ENV = "SCHOOLNET_SCHEDULE_ROOT"
UNIT = "schoolnet-audit"
DEFAULT_USER = "schoolnet"
CAPABILITIES = ("CAP_NET_RAW", "CAP_NET_ADMIN")  # raw-socket scans and monitor mode; nothing else
# A run still going after this is stopped (SIGTERM, then SIGKILL a minute later): a hung run must not hold the
# lock and make every following night skip silently. The stopped run records why in last-run.json.
TIME_LIMIT_S = 4 * 3600
Kind = Literal["systemd", "cron"]
MARKER = "# schoolnet-schedule: "
_AT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,30}$")
# A state directory is chown'ed to the service user: never one of these (or anything shallower than two levels).
_NEVER_CHOWN = {"/", "/etc", "/usr", "/var", "/var/lib", "/home", "/root", "/tmp", "/opt", "/srv", "/run", "/bin",
                "/sbin", "/lib", "/boot", "/dev", "/proc", "/sys", "/var/tmp", "/var/log", "/usr/local"}


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

    def under(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")

    @property
    def service(self) -> Path:
        return self.under(f"/etc/systemd/system/{UNIT}.service")

    @property
    def timer(self) -> Path:
        return self.under(f"/etc/systemd/system/{UNIT}.timer")

    @property
    def cron(self) -> Path:
        return self.under(f"/etc/cron.d/{UNIT}")

    @property
    def lock(self) -> Path:
        return self.under(f"/run/lock/{UNIT}.lock")

    @property
    def log(self) -> Path:
        return self.under(f"/var/log/{UNIT}.log")

    @property
    def env_file(self) -> Path:
        return self.under("/etc/schoolnet/schoolnet.env")

    @property
    def credentials(self) -> Path:
        return self.under("/etc/schoolnet/credentials")

    @property
    def passwd(self) -> Path:
        return self.under("/etc/passwd")


@dataclass
class Schedule:
    kind: Kind
    at: str
    jitter_min: int
    command: list[str]
    user: str = DEFAULT_USER
    state_dir: Path | None = None
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what a person still has to do (never a secret's value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at,
            "jitter_min": self.jitter_min,
            "user": self.user,
            "state_dir": str(self.state_dir) if self.state_dir else None,
            "command": shlex.join(self.command),
            "files": [str(f) for f in self.files],
            "notes": self.notes,
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


def _tool(name: str, why: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise CannotRunError(f"`{name}` (util-linux / shadow) is not installed; {why}")
    return found


def flock_executable() -> str:
    return _tool("flock", "it keeps two runs from overlapping")


def run_command(paths: Paths, config: Path, state_dir: Path, schoolnet: str | None = None) -> list[str]:
    """The locked, time-limited nightly scan: a second run while one is going exits at once (flock -n)."""
    return [
        flock_executable(), "-n", str(paths.lock),
        _tool("timeout", "it stops a run that hangs"), "--kill-after=60", str(TIME_LIMIT_S),
        schoolnet or schoolnet_executable(), "scan", "--config", str(config), "--no-progress",
        "--nightly", "--state-dir", str(state_dir),
    ]


# ------------------------------------------------------------------------------------------ the user


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int


def lookup_user(paths: Paths, name: str) -> Account | None:
    """The user in ``<root>/etc/passwd`` (not NSS: under a test root the real system's users do not count)."""
    try:
        lines = paths.passwd.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    for line in lines:
        parts = line.split(":")
        if len(parts) >= 4 and parts[0] == name:
            return Account(name, int(parts[2]), int(parts[3]))
    return None


def ensure_user(paths: Paths, name: str, home: Path) -> tuple[Account, bool]:
    """The dedicated system user, created (no login shell, no home made) when missing; (account, created)."""
    found = lookup_user(paths, name)
    if found is not None:
        return found, False
    command = [_tool("useradd", "it creates the dedicated user the nightly run uses")]
    if paths.root != Path("/"):
        command += ["--prefix", str(paths.root)]  # writes <root>/etc/passwd, group, shadow: never the real ones
    command += ["--system", "--user-group", "--no-create-home", "--home-dir", str(home),
                "--shell", "/usr/sbin/nologin", "--comment", "schoolnet nightly network audit", name]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)
    except subprocess.CalledProcessError as exc:
        raise CannotRunError(f"could not create the user {name!r}: {exc.stderr.strip() or exc}") from None
    created = lookup_user(paths, name)
    if created is None:
        raise CannotRunError(f"useradd succeeded but {name!r} is not in {paths.passwd}")
    return created, True


def _own(path: Path, account: Account, mode: int, *, recursive: bool = False) -> None:
    """chown to the service user (only root can) and tighten the mode; files inside keep their own modes."""
    if os.geteuid() != 0:
        return
    targets = [path] + (sorted(path.rglob("*")) if recursive else [])
    for target in targets:
        if target.is_symlink():
            continue
        os.chown(target, account.uid, account.gid)
    path.chmod(mode)


# ------------------------------------------------------------------------------------------ secrets


@dataclass
class SecretPlan:
    credentials: list[str] = field(default_factory=list)  # names, for LoadCredential=
    env_vars: list[str] = field(default_factory=list)  # names, for the environment file
    notes: list[str] = field(default_factory=list)


def plan_secrets(config: Any, paths: Paths, account: Account | None) -> SecretPlan:
    """Which credentials and variables the unit must provide, and what a person must still do."""
    from agent.config.secrets import secret_refs

    plan = SecretPlan()
    for where, ref in secret_refs(config):
        if ref.credential is not None and ref.credential not in plan.credentials:
            plan.credentials.append(ref.credential)
            source = paths.credentials / ref.credential
            if not source.is_file():
                plan.notes.append(f"{where}: put the secret in {source} (mode 0600, owner root)")
        elif ref.env is not None and ref.env not in plan.env_vars:
            plan.env_vars.append(ref.env)
        elif ref.file is not None:
            _check_secret_file(where, ref.file, account, plan)
    return plan


def _check_secret_file(where: str, path: Path, account: Account | None, plan: SecretPlan) -> None:
    try:
        info = path.stat()
    except OSError:
        plan.notes.append(f"{where}: secret file {path} does not exist")
        return
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        plan.notes.append(f"{where}: secret file {path} is accessible by group/others; chmod 600 {path}")
    if account is not None and info.st_uid != account.uid:
        plan.notes.append(
            f"{where}: secret file {path} is not owned by {account.name}, so the nightly run cannot read it: "
            f"chown {account.name} {path}, or use credential = \"NAME\" (systemd LoadCredential=)"
        )


def _write_env_file(paths: Paths, variables: list[str]) -> list[str]:
    """The 0600 environment file: created with the variable names commented out; never a value written here."""
    notes: list[str] = []
    path = paths.env_file
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise UsageError(f"{path} is accessible by group/others (mode {mode:04o}); chmod 600 {path}")
        text = path.read_text(encoding="utf-8")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # 0600 from the start: no readable window
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("# Secrets for the nightly schoolnet run (VARIABLE=value, one per line). Keep it 0600.\n")
        text = path.read_text(encoding="utf-8")
    missing = [v for v in variables if not re.search(rf"^\s*{re.escape(v)}=", text, re.MULTILINE)]
    if missing:
        with open(path, "a", encoding="utf-8") as handle:
            handle.writelines(f"# {v}=\n" for v in missing if f"# {v}=" not in text)
        notes.append(f"set {', '.join(missing)} in {path} (uncomment and fill in)")
    return notes


# ------------------------------------------------------------------------------------------ install


def _readable_by(path: Path, account: Account) -> bool:
    info = path.stat()
    if info.st_uid == account.uid:
        return bool(info.st_mode & stat.S_IRUSR)
    if info.st_gid == account.gid:
        return bool(info.st_mode & stat.S_IRGRP)
    return bool(info.st_mode & stat.S_IROTH)


def _state_dir_for(config: Any, user: str) -> Path:
    state_dir = Path(config.agent.state_dir)
    if not state_dir.is_absolute():
        raise UsageError(f"[agent] state_dir = {state_dir}: the nightly run needs an absolute path")
    home_dirs = (Path("/root"), Path("/home"), Path.home())
    if any(state_dir == h or h in state_dir.parents for h in home_dirs):
        raise UsageError(
            f"[agent] state_dir = {state_dir} is inside a home directory that the nightly run's user {user!r} "
            'cannot use: set state_dir = "/var/lib/schoolnet" in the config (then run `schoolnet keys init` and '
            "`schoolnet enroll` again, or move the folder there), and install the schedule again"
        )
    if str(state_dir) in _NEVER_CHOWN or len(state_dir.parts) < 3:
        raise UsageError(f"[agent] state_dir = {state_dir} is a system folder; use a folder of its own")
    if any(Path(p) in state_dir.parents for p in ("/etc", "/usr", "/boot")):
        raise UsageError(f"[agent] state_dir = {state_dir}: the nightly run sees /etc, /usr and /boot read-only "
                         '(ProtectSystem=full); use state_dir = "/var/lib/schoolnet"')
    return state_dir


def install(
    at: str,
    jitter_min: int,
    config: Path,
    *,
    root: Path = Path("/"),
    kind: Kind | None = None,
    user: str = DEFAULT_USER,
    schoolnet: str | None = None,
    activate: bool | None = None,
) -> Schedule:
    """Write the unit files (or the cron entry). ``activate`` runs systemctl; by default only when root is /."""
    from agent.config import load_config

    hour, minute = parse_at(at)
    if not 0 <= jitter_min <= 720:
        raise UsageError(f"--jitter: {jitter_min} minutes is outside 0..720")
    if user == "root" or not _USER.match(user):
        raise UsageError(f"--user: {user!r}: the nightly run uses a dedicated system user (e.g. schoolnet), never root")
    kind = kind or detect_kind()
    paths = Paths(root)
    config = config.resolve()
    cfg = load_config(config)  # refuse to schedule a config that would fail every night
    state_dir = _state_dir_for(cfg, user)
    account, created = ensure_user(paths, user, state_dir)
    command = run_command(paths, config, state_dir, schoolnet)
    secrets = plan_secrets(cfg, paths, account)
    meta = MARKER + json.dumps({"kind": kind, "at": f"{hour:02d}:{minute:02d}", "jitter_min": jitter_min,
                                "user": user, "state_dir": str(state_dir)})
    schedule = Schedule(kind, f"{hour:02d}:{minute:02d}", jitter_min, command, user, state_dir)
    if created:
        schedule.notes.append(f"created the system user {user!r} (uid {account.uid}, no login shell)")

    state_dir.mkdir(parents=True, exist_ok=True)
    _own(state_dir, account, 0o700, recursive=True)  # keys, outbox and reports: the service user's alone
    paths.lock.parent.mkdir(parents=True, exist_ok=True)
    paths.lock.touch(exist_ok=True)
    _own(paths.lock, account, 0o644)  # the user takes the lock; /run/lock (1777) lets it recreate one after boot
    if secrets.env_vars:
        schedule.notes += _write_env_file(paths, secrets.env_vars)  # root's: read before privileges are dropped
        schedule.files.append(paths.env_file)
    if secrets.credentials:
        paths.credentials.mkdir(parents=True, exist_ok=True)
        paths.credentials.chmod(0o700)
        if kind == "cron":  # no LoadCredential= under cron: the user reads its own 0700 folder
            _own(paths.credentials, account, 0o700, recursive=True)
    schedule.notes += secrets.notes
    if not _readable_by(config, account):
        schedule.notes.append(f"{config} is not readable by {user}: chgrp {user} {config} && chmod 640 {config}")

    if kind == "systemd":
        paths.service.parent.mkdir(parents=True, exist_ok=True)
        paths.service.write_text(_service_text(meta, command, account, paths, secrets))
        paths.timer.write_text(_timer_text(meta, hour, minute, jitter_min))
        schedule.files = [paths.service, paths.timer, *schedule.files]
        if activate if activate is not None else root == Path("/"):
            _systemctl("daemon-reload")
            _systemctl("enable", "--now", f"{UNIT}.timer")
    else:
        paths.cron.parent.mkdir(parents=True, exist_ok=True)
        paths.log.parent.mkdir(parents=True, exist_ok=True)
        paths.cron.write_text(_cron_text(meta, hour, minute, jitter_min, account, command, paths, secrets))
        paths.cron.chmod(0o644)  # cron ignores entries writable by others, and needs to read it
        schedule.files = [paths.cron, *schedule.files]
    return schedule


def _service_text(meta: str, command: list[str], account: Account, paths: Paths, secrets: SecretPlan) -> str:
    caps = " ".join(CAPABILITIES)
    lines = [
        meta,
        "[Unit]",
        "Description=schoolnet nightly network audit (DfE digital and technology standards)",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        f"User={account.name}",
        f"Group={account.name}",
        f"ExecStart={shlex.join(command)}",
        # Exit 1 means "a check failed": the run itself worked. Exit 4 (a target could not be measured) is left
        # a failure on purpose, so `systemctl --failed` and monitoring show it.
        "SuccessExitStatus=1",
        # Only what raw-socket scans and monitor mode need; everything else root could do is gone.
        f"AmbientCapabilities={caps}",
        f"CapabilityBoundingSet={caps}",
        "NoNewPrivileges=yes",
        "UMask=0077",
        "ProtectSystem=full",
        "PrivateTmp=yes",
    ]
    if secrets.env_vars:
        # Read by systemd as root before it starts the service, so the file stays root's and 0600.
        lines.append(f"EnvironmentFile={paths.env_file}")
    lines += [f"LoadCredential={name}:{paths.credentials / name}" for name in secrets.credentials]
    return "\n".join(lines) + "\n"


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


def drop_privileges(account: Account) -> list[str]:
    """setpriv: from root to the service user, keeping only CAP_NET_RAW and CAP_NET_ADMIN (ambient, so the scan and
    the tools it runs have them), and no way back up (no_new_privs)."""
    caps = ",".join("+" + c.removeprefix("CAP_").lower() for c in CAPABILITIES)
    return [
        _tool("setpriv", "it drops the cron job from root to the dedicated user"),
        f"--reuid={account.uid}", f"--regid={account.gid}", "--clear-groups",
        f"--inh-caps=-all,{caps}", f"--ambient-caps=-all,{caps}", f"--bounding-set=-all,{caps}", "--no-new-privs",
    ]


def _cron_text(meta: str, hour: int, minute: int, jitter_min: int, account: Account, command: list[str],
               paths: Paths, secrets: SecretPlan) -> str:
    # cron's shell is /bin/sh (no $RANDOM); shuf spreads the start. No '%' anywhere: cron would treat it as newline.
    delay = f"sleep $(shuf -i 0-{jitter_min * 60} -n 1); " if jitter_min else ""
    # Root's shell reads the 0600 environment file, then setpriv drops to the user with only the two capabilities.
    env = f"set -a; . {shlex.quote(str(paths.env_file))}; set +a; " if secrets.env_vars else ""
    creds = f"CREDENTIALS_DIRECTORY={shlex.quote(str(paths.credentials))} " if secrets.credentials else ""
    run = shlex.join([*drop_privileges(account), *command])
    return (
        f"{meta}\n"
        "# schoolnet nightly audit (`schoolnet schedule install`; undo with `schoolnet schedule remove`)\n"
        "SHELL=/bin/sh\n"
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
        f"{minute} {hour} * * * root umask 077; {delay}{env}{creds}{run} >> {shlex.quote(str(paths.log))} 2>&1\n"
    )


def _systemctl(*args: str) -> None:
    try:
        subprocess.run(["systemctl", *args], check=True, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise CannotRunError("systemctl not found; use --kind cron") from None
    except subprocess.CalledProcessError as exc:
        raise CannotRunError(f"systemctl {' '.join(args)} failed: {exc.stderr.strip()}") from None


# ------------------------------------------------------------------------------------------ status, remove


def status(root: Path = Path("/")) -> dict[str, Any]:
    """What is installed under ``root``, read back from the files themselves, and how the last nightly run went."""
    from agent.delivery.nightly import read_last_run

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
        state_dir = meta.get("state_dir")
        return {
            "installed": True,
            "kind": kind,
            "at": meta.get("at"),
            "jitter_min": meta.get("jitter_min"),
            "user": meta.get("user"),
            "state_dir": state_dir,
            "files": [str(f) for f in present],
            "complete": len(present) == len(files),
            "running_now": running,
            "lock": str(paths.lock),
            "last_run": read_last_run(Path(state_dir)) if state_dir else None,
        }
    return {"installed": False, "files": []}


def _lock_held(lock: Path) -> bool:
    import fcntl

    with open(lock) as handle:  # read-only: never creates the file or changes its owner
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def remove(root: Path = Path("/"), *, activate: bool | None = None) -> list[Path]:
    """Remove the timer, service and cron entry. The user, its state (keys, outbox, reports) and the secrets stay."""
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
