"""The one set of lab process helpers (agent/lab/procs.py): real child processes and real sockets on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from agent.lab.procs import free_port, stop_process, wait_tcp

IGNORES_SIGTERM = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); " \
    "time.sleep(60)"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone for our purposes.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_free_port_is_bindable_for_tcp_and_udp() -> None:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        port = free_port(kind)
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.bind(("127.0.0.1", port))


def test_wait_tcp_names_closed_ports_and_gives_up_when_the_server_dies() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        open_port, closed_port = listener.getsockname()[1], free_port()
        assert wait_tcp(open_port, 2.0) == []
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        started = time.monotonic()
        assert wait_tcp([open_port, closed_port], 10.0, proc=dead) == [closed_port]
        assert time.monotonic() - started < 2.0  # did not wait the full 10 s for a process that is gone


def test_stop_process_kills_a_child_that_ignores_sigterm_and_never_raises() -> None:
    proc = subprocess.Popen([sys.executable, "-c", IGNORES_SIGTERM], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    stop_process(proc, grace_s=0.3)
    assert proc.returncode == -9
    stop_process(proc)  # already gone: nothing happens
    stop_process(None)


def test_stop_process_group_takes_the_grandchildren_too() -> None:
    code = (
        "import subprocess, sys, time; "
        f"c = subprocess.Popen([sys.executable, '-c', {IGNORES_SIGTERM!r}], stdout=subprocess.PIPE); "
        "c.stdout.readline(); print(c.pid, flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True)
    assert proc.stdout is not None
    grandchild = int(proc.stdout.readline())
    try:
        stop_process(proc, grace_s=0.3, group=True)
        deadline = time.monotonic() + 5
        while _alive(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(grandchild)
    finally:
        if _alive(grandchild):
            os.kill(grandchild, 9)
