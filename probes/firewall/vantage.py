"""Where the network tests run from: this host's own network, or a named network namespace.

An agent on a host with one network namespace per VLAN (and the namespace lab) can test from each segment
in turn. Linux network namespaces are per thread: the work runs in a fresh thread that has joined the
namespace with setns(2), so the rest of the agent stays where it is, and threads it starts inherit it.
"""

from __future__ import annotations

import asyncio
import ctypes
import inspect
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"


class VantageError(OSError):
    """The namespace does not exist or cannot be entered (needs CAP_SYS_ADMIN)."""


def _enter(name: str) -> None:
    path = os.path.join(NETNS_DIR, name)
    if "/" in name or not os.path.exists(path):
        raise VantageError(f"network namespace {name!r} not found in {NETNS_DIR}")
    fd = os.open(path, os.O_RDONLY)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise VantageError(f"cannot enter network namespace {name!r}: {os.strerror(errno)}")
    finally:
        os.close(fd)


def run_in(netns: str | None, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` (a function or a coroutine function) inside ``netns``; None runs it here, as is."""
    if netns is None:
        if inspect.iscoroutinefunction(fn):
            return asyncio.run(fn(*args, **kwargs))
        return fn(*args, **kwargs)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            _enter(netns)
            box["result"] = run_in(None, fn, *args, **kwargs)
        except BaseException as exc:  # handed back to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"netns-{netns}", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]
