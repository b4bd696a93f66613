"""Guest isolation: from the guest SSID, can the agent open TCP connections to internal addresses?

Bounded on purpose: a few ports on the configured management addresses and on the first/last hosts of
each internal subnet, capped at ``max_probes`` attempts, each with a short timeout, run concurrently.
Only a completed handshake counts as reachable (a service answered). A refusal (RST) is recorded as
``refused``: the host or a firewall answered, which the check reports but does not count as reachable.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import time
from collections.abc import Sequence

from contract.errors import CollectionError, Reason
from contract.evidence.wifi import GuestIsolation, ReachabilityProbe
from probes.wifi.iw import unescape_ssid
from probes.wifi.nmcli import split_terse
from probes.wifi.settings import GuestIsolationSettings
from probes.wifi.survey import Runner, run_command

_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM}


def target_addresses(cfg: GuestIsolationSettings) -> list[str]:
    """Configured addresses, then the first and last usable hosts of each subnet (``hosts_per_subnet``)."""
    out: list[str] = list(dict.fromkeys(cfg.addresses))
    for text in cfg.subnets:
        net = ipaddress.ip_network(text, strict=False)
        if net.num_addresses <= 2:
            hosts = [net.network_address]
        else:
            first = int(net.network_address) + 1
            last = int(net.broadcast_address) - 1
            half = (cfg.hosts_per_subnet + 1) // 2
            picks = [first + i for i in range(half)] + [last - i for i in range(cfg.hosts_per_subnet - half)]
            hosts = [ipaddress.ip_address(p) for p in sorted(set(p for p in picks if first <= p <= last))]
        for host in hosts:
            if str(host) not in out:
                out.append(str(host))
    return out


async def probe_port(address: str, port: int, timeout_s: float) -> ReachabilityProbe:
    started = time.perf_counter()
    outcome = "error"
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout=timeout_s)
        outcome = "open"
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), timeout=timeout_s)
        except (OSError, TimeoutError):
            pass
    except ConnectionRefusedError:
        outcome = "refused"
    except TimeoutError:
        outcome = "timeout"
    except OSError as exc:
        outcome = "unreachable" if exc.errno in _UNREACHABLE else "error"
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    return ReachabilityProbe(
        address=address, port=port, reachable=outcome == "open", outcome=outcome, elapsed_ms=elapsed_ms
    )


async def probe_isolation(
    cfg: GuestIsolationSettings, connected: str | None, *, concurrency: int = 64
) -> GuestIsolation:
    pairs = [(a, p) for a in target_addresses(cfg) for p in cfg.ports][: cfg.max_probes]
    limit = asyncio.Semaphore(concurrency)

    async def one(address: str, port: int) -> ReachabilityProbe:
        async with limit:
            return await probe_port(address, port, cfg.timeout_s)

    probes = await asyncio.gather(*(one(a, p) for a, p in pairs))
    return GuestIsolation(ssid=cfg.ssid, connected_ssid=connected, probes=list(probes), timeout_s=cfg.timeout_s)


def connected_ssid(interface: str | None, runner: Runner = run_command) -> str | None:
    """The SSID this machine is associated with (iw, else nmcli); None when it cannot tell."""
    if interface:
        code, out, _err = runner(["iw", "dev", interface, "link"])
        if code == 0:
            for line in out.splitlines():
                if line.strip().startswith("SSID:"):
                    raw = unescape_ssid(line.strip()[5:].lstrip())
                    return raw.decode("utf-8", "backslashreplace")
    code, out, _err = runner(["nmcli", "-t", "-f", "ACTIVE,SSID", "dev", "wifi", "list"])
    if code == 0:
        for line in out.splitlines():
            fields = split_terse(line)
            if len(fields) >= 2 and fields[0] == "yes":
                return fields[1]
    return None


class NotOnGuestNetwork(CollectionError):
    """The agent is not on the guest SSID, so reachability from it cannot be measured."""

    default_reason = Reason.not_connected


def check_guest_isolation(
    cfg: GuestIsolationSettings, interface: str | None, runner: Runner = run_command
) -> GuestIsolation:
    """Blocking entry point for the probe task. Raises NotOnGuestNetwork when required and not connected.

    With ``require_connected = false`` the SSID is not looked up at all (a lab, or a wired guest VLAN).
    """
    if not cfg.require_connected:
        return asyncio.run(probe_isolation(cfg, None))
    connected = connected_ssid(interface, runner)
    if connected != cfg.ssid:
        where = f"on {connected!r}" if connected else "not on any Wi-Fi network it could identify"
        raise NotOnGuestNetwork(f"the agent is {where}, not the guest SSID {cfg.ssid!r}; run it from the guest network")
    return asyncio.run(probe_isolation(cfg, connected))


def summarise(probes: Sequence[ReachabilityProbe]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for probe in probes:
        counts[probe.outcome or "error"] = counts.get(probe.outcome or "error", 0) + 1
    return counts
