"""Process helpers for the lab, the tests and the benchmarks: one of each, with one behaviour.

- ``free_port``: a port the kernel says is free on loopback now (it can be taken a moment later: the lab retries
  a component once for that reason).
- ``wait_tcp``: wait until loopback ports accept connections, giving up early when the process serving them dies.
- ``stop_process``: SIGTERM, a short grace, then SIGKILL, by the child's own pid (or its process group when it was
  started in a new session); never raises, so a lab's ``stop()`` always goes on to the next process.
- ``start_snmpsim``: the one snmpsim launcher (v2c by community, optionally v3 users), for every simulated agent.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
STOP_GRACE_S = 3.0


def free_port(kind: int = socket.SOCK_STREAM, host: str = LOOPBACK) -> int:
    """A port free on ``host`` now (TCP by default, UDP with ``socket.SOCK_DGRAM``)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_tcp(
    ports: int | Iterable[int],
    timeout_s: float,
    *,
    proc: subprocess.Popen[Any] | None = None,
    host: str = LOOPBACK,
) -> list[int]:
    """The ports still closed when ``timeout_s`` passes or ``proc`` exits: empty when every port accepts."""
    waiting = {ports} if isinstance(ports, int) else set(ports)
    deadline = time.monotonic() + timeout_s
    while waiting:
        for port in sorted(waiting):
            with socket.socket() as sock:
                sock.settimeout(0.2)
                if sock.connect_ex((host, port)) == 0:
                    waiting.discard(port)
        if not waiting or time.monotonic() >= deadline or (proc is not None and proc.poll() is not None):
            break
        time.sleep(0.05)
    return sorted(waiting)


def die_with_parent() -> None:
    """``preexec_fn`` for simulator processes: Linux sends them SIGTERM when the demo or test that started them
    dies, even by SIGKILL (PR_SET_PDEATHSIG), so no simulator outlives its lab. Does nothing elsewhere."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def stop_process(proc: subprocess.Popen[Any] | None, *, grace_s: float = STOP_GRACE_S, group: bool = False) -> None:
    """Stop one child: SIGTERM, up to ``grace_s`` to exit, then SIGKILL. Never raises.

    ``group``: signal the child's whole process group (for a child started with ``start_new_session=True``, so
    whatever it started goes too). Only ever this child's own pid or group, never anything found by name.
    """
    if proc is None:
        return
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            break
        try:
            if group:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
            proc.wait(timeout=wait_s)
            break
        except subprocess.TimeoutExpired:
            continue
        except OSError:  # already gone (ProcessLookupError) or not ours to signal
            return
    if group:
        # The leader is gone; a member that ignored SIGTERM would live on as an orphan. The group id stays
        # reserved while any member lives, so this reaches only stragglers of this child's own session.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass


class SnmpSimMissing(FileNotFoundError):
    """snmpsim-command-responder is not installed (the ``lab`` extra)."""


def snmpsim_executable() -> str:
    """snmpsim's responder next to this Python (the venv), else on PATH."""
    beside = Path(sys.executable).parent
    found = shutil.which("snmpsim-command-responder", path=str(beside)) or shutil.which("snmpsim-command-responder")
    if found is None:
        raise SnmpSimMissing("snmpsim-command-responder is not installed (pip install 'schoolnet-audit[lab]')")
    return found


@dataclass(frozen=True)
class SnmpV3User:
    """One v3 user snmpsim accepts (its data is chosen by context name)."""

    user: str
    auth_key: str
    priv_key: str
    auth_proto: str = "SHA"
    priv_proto: str = "AES"


def start_snmpsim(
    workdir: Path,
    walks: dict[str, str],
    port: int,
    *,
    v3: SnmpV3User | None = None,
    extra_addresses: Iterable[str] = (),
    log_file: Path | None = None,
) -> subprocess.Popen[bytes]:
    """snmpsim on 127.0.0.1:``port`` (udp) serving ``walks`` ({name: snmprec text}: v2c by community = name, v3 by
    context = name); also on ``extra_addresses`` (more loopback addresses, same port). Raises SnmpSimMissing."""
    exe = snmpsim_executable()
    data = workdir / "snmp-data"
    data.mkdir(parents=True, exist_ok=True)
    for name, text in walks.items():
        (data / f"{name}.snmprec").write_text(text, encoding="utf-8")
    args = [exe]
    if v3 is not None:
        # Option order matters to snmpsim: the v3 engine block first, then its data dir, users and endpoints.
        args += [
            "--v3-engine-id=auto", f"--v3-user={v3.user}", f"--v3-auth-key={v3.auth_key}",
            f"--v3-auth-proto={v3.auth_proto}", f"--v3-priv-key={v3.priv_key}", f"--v3-priv-proto={v3.priv_proto}",
        ]
    args += [
        f"--data-dir={data}",
        f"--cache-dir={workdir / 'snmp-cache'}",
        f"--agent-udpv4-endpoint={LOOPBACK}:{port}",
        *(f"--agent-udpv4-endpoint={address}:{port}" for address in extra_addresses),
    ]
    args += [f"--logging-method=file:{log_file}", "--log-level=error"] if log_file else ["--logging-method=null"]
    env = {**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}  # it refuses to run as root otherwise
    return subprocess.Popen(
        args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )


def wait_ready(proc: subprocess.Popen[bytes], what: str, timeout_s: float = 15.0) -> None:
    """Wait until a lab child prints the line ``ready`` on its stdout (a pipe); raise naming ``what`` when it
    exits or stays silent for ``timeout_s``. The child says when it listens, so nothing polls ports."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            line = proc.stdout.readline()
            if line.strip() == b"ready":
                return
            if not line:
                break
        if proc.poll() is not None:
            break
    raise RuntimeError(f"{what} did not start (see its log in the lab's workdir)")


def lab_secret(workdir: Path, name: str, value: str) -> dict[str, str]:
    """Write a simulated device's secret to ``workdir/secrets/NAME`` (0600, as the agent demands of secret files)
    and return the config's reference to it: the lab's config never holds a literal secret either."""
    path = workdir / "secrets" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value, encoding="utf-8")
    path.chmod(0o600)
    return {"file": str(path)}
