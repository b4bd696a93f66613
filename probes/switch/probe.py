"""SwitchProbe: one task per configured switch (SSH and/or SNMP), then one inventory task.

A device task never judges: it collects, parses, scrubs secrets and returns a ``switch.device``
observation. When neither SSH nor SNMP got through it raises with the precise reasons, which the
orchestrator records as ``unknown``. The inventory task waits for the device tasks of the same run,
then lists every configured switch and every switch their LLDP tables show that is not configured.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contract.evidence.switch import (
    InventoryEntry,
    LldpNeighbour,
    SwitchDevice,
    SwitchInventory,
    SwitchPort,
    UnlistedDevice,
)
from contract.secrets import known
from probes.base import Observation, ProbeTask
from probes.switch.platforms import platform_for
from probes.switch.sanitise import sanitise
from probes.switch.settings import Switch, SwitchSettings

if TYPE_CHECKING:
    from probes.switch.snmp import SnmpSession

log = logging.getLogger("schoolnet.switch")

_MODEL_FIELDS = set(SwitchDevice.model_fields)


def build_device(target_platform: str, role: str, host: str | None, ssh_facts: dict[str, Any] | None,
                 snmp_facts: dict[str, Any] | None, raw_config: str | None, secrets: list[str],
                 errors: list[str]) -> SwitchDevice:
    """Merge SSH facts (the configuration is authoritative) over SNMP facts (hardware, live port state)."""
    facts: dict[str, Any] = {}
    sources: list[str] = []
    if snmp_facts:
        facts.update(snmp_facts)
        sources.append("snmp")
    if ssh_facts:
        sources.extend(ssh_facts.get("sources") or ["ssh"])  # an offline audit says "config-file"
        snmp_ports = facts.get("ports")
        for key, value in ssh_facts.items():
            if value is not None and key not in ("collection_errors",):
                facts[key] = value
        if snmp_facts and snmp_facts.get("model") and ssh_facts.get("model") is None:
            facts["model"] = snmp_facts["model"]
        if snmp_ports and ssh_facts.get("ports"):
            facts["ports"] = _merge_ports(ssh_facts["ports"], snmp_ports)
    all_errors = [*errors, *(ssh_facts or {}).get("collection_errors", []),
                  *(snmp_facts or {}).get("collection_errors", [])]
    facts["collection_errors"] = all_errors
    facts["sources"] = sources
    # The evidence names the platform by its canonical name, whatever alias the config used: what is judged from
    # it (the firmware trains of standards_map/data/firmware_minimums.yaml) is keyed by that name alone.
    facts["platform"] = platform_for(target_platform).name
    facts["role"] = role
    facts["mgmt_ip"] = host
    if raw_config is not None:
        facts["running_config"] = sanitise(raw_config, target_platform, secrets)
    facts["collection_errors"] = [sanitise(e, target_platform, secrets) for e in all_errors]
    clean = {k: v for k, v in facts.items() if k in _MODEL_FIELDS}
    if clean.get("ports") is not None:
        clean["ports"] = [p if isinstance(p, SwitchPort) else SwitchPort(**p) for p in clean["ports"]]
    return SwitchDevice(**clean)


def _merge_ports(ssh_ports: list[dict[str, Any]], snmp_ports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_name = {p["name"]: p for p in snmp_ports}
    merged = []
    for port in ssh_ports:
        live = by_name.get(port["name"], {})
        out = dict(port)
        for key in ("oper_up", "speed_mbps", "in_errors", "out_errors", "admin_up"):
            if out.get(key) is None and live.get(key) is not None:
                out[key] = live[key]
        merged.append(out)
    return merged


@dataclass
class _Run:
    """State shared by the tasks of one scan (tasks() may be called more than once)."""

    expected: int
    results: dict[str, tuple[SwitchDevice | None, str | None]] = field(default_factory=dict)
    done: asyncio.Event | None = None
    session: SnmpSession | None = None

    def finished(self) -> asyncio.Event:
        if self.done is None:
            self.done = asyncio.Event()
        return self.done

    def snmp(self) -> SnmpSession:
        if self.session is None:
            from probes.switch.snmp import SnmpSession

            self.session = SnmpSession()
        return self.session

    def record(self, name: str, device: SwitchDevice | None, error: str | None) -> None:
        self.results[name] = (device, error)
        if len(self.results) >= self.expected:
            self.finished().set()


class SwitchProbe:
    """The switch area's probe: takes only its own settings (secrets already resolved by the agent)."""

    name = "switches"

    def __init__(self, settings: SwitchSettings) -> None:
        self.section = settings

    def tasks(self) -> list[ProbeTask]:
        if not self.section.enabled or not self.section.devices:
            return []
        run = _Run(expected=len(self.section.devices))
        per_device_s = self.section.connect_timeout_s + 3 * self.section.read_timeout_s
        tasks = [
            ProbeTask(target=d.name, kind=SwitchDevice.kind, run=self._device_task(d, run),
                      timeout_s=min(per_device_s, self.section.target_timeout_s))
            for d in self.section.devices
        ]
        tasks.append(ProbeTask(target="switch inventory", kind=SwitchInventory.kind, run=self._inventory_task(run),
                               timeout_s=self.section.target_timeout_s + 5))
        return tasks

    def _device_task(self, target: Switch, run: _Run) -> Callable[[], Awaitable[list[Observation]]]:
        async def task() -> list[Observation]:
            device: SwitchDevice | None = None
            error: str | None = "the switch task was stopped before it finished"
            try:
                device = await self.collect(target, run)
                error = None
                return [Observation(kind=SwitchDevice.kind, target=target.name, evidence=device)]
            except Exception as exc:
                error = str(exc) or type(exc).__name__
                raise
            finally:
                run.record(target.name, device, error)

        return task

    async def collect(self, target: Switch, run: _Run) -> SwitchDevice:
        """SSH and SNMP for one switch; raise with every reason when neither got through."""
        from probes.switch.snmp import SnmpError, facts_from_walk
        from probes.switch.ssh import SshError, collect

        driver = platform_for(target.platform)  # UnsupportedPlatform (an InputError): the task says why
        errors: list[str] = []
        secrets: list[str] = [s for s in (known(target.password),) if s]
        ssh_facts = snmp_facts = None
        raw_config = None
        if target.username and target.password:
            password = target.password.reveal()  # SecretUnavailable: this switch is unknown, with the reason
            try:
                outputs = await asyncio.to_thread(
                    collect, host=target.host, port=target.port, platform=driver,
                    username=target.username, password=password, commands=driver.commands,
                    conn_timeout_s=self.section.connect_timeout_s, read_timeout_s=self.section.read_timeout_s,
                )
                ssh_facts = driver.parse(outputs)
                if ssh_facts.get("config_complete") is not None:  # only a config that was read is kept
                    raw_config = outputs.get(driver.config_command)
            except SshError as exc:
                errors.append(str(exc))
        if target.snmp is not None:
            auth = target.snmp.auth
            secrets.extend(auth.secrets())
            try:
                walk = await run.snmp().walk_device(target.host, target.snmp.port, auth,
                                                    timeout_s=target.snmp.timeout_s, retries=target.snmp.retries)
                snmp_facts = facts_from_walk(walk)
            except SnmpError as exc:
                errors.append(str(exc))
        if ssh_facts is None and snmp_facts is None:
            raise RuntimeError(sanitise("; ".join(errors) or "no way to reach the switch", target.platform, secrets))
        device = build_device(target.platform, target.role, target.host, ssh_facts, snmp_facts, raw_config,
                              secrets, errors)
        if target.ups is not None:
            device = await self._with_ups(device, target.ups, run)
        return device

    async def _with_ups(self, device: SwitchDevice, ups_name: str, run: _Run) -> SwitchDevice:
        from probes.switch.snmp import SnmpError

        ups = next(u for u in self.section.ups if u.name == ups_name)
        try:
            status = await run.snmp().ups_status(ups.host, ups.snmp.port, ups.snmp.auth,
                                                 timeout_s=ups.snmp.timeout_s)
        except SnmpError as exc:
            return device.model_copy(update={"collection_errors": [*device.collection_errors, str(exc)]})
        # Fed from a UPS that is passing power (mains through it, or its battery) counts; "none" does not.
        return device.model_copy(update={"ups_status": status, "on_ups": status not in ("none", "other")})

    def _inventory_task(self, run: _Run) -> Callable[[], Awaitable[list[Observation]]]:
        async def task() -> list[Observation]:
            try:
                await run.finished().wait()
                found = await self._discover(run) if self.section.discovery is not None else []
            finally:
                if run.session is not None:
                    run.session.close()
            return [Observation(kind=SwitchInventory.kind, target="switch inventory",
                                evidence=inventory(self.section.devices, run.results, found))]

        return task


    async def _discover(self, run: _Run) -> list[UnlistedDevice]:
        """SNMP GET of the system group across the discovery addresses that are not configured switches."""
        import ipaddress

        discovery = self.section.discovery
        assert discovery is not None
        configured = {d.host for d in self.section.devices}
        hosts: list[str] = []
        for entry in discovery.hosts:
            network = ipaddress.ip_network(entry, strict=False)
            addresses = [network.network_address] if network.num_addresses == 1 else list(network.hosts())
            hosts.extend(str(a) for a in addresses if str(a) not in configured)
        auth = discovery.snmp.auth
        limit = asyncio.Semaphore(discovery.concurrency)

        async def ask(host: str) -> UnlistedDevice | None:
            async with limit:
                seen = await run.snmp().system(host, discovery.snmp.port, auth, timeout_s=discovery.snmp.timeout_s,
                                               retries=discovery.snmp.retries)
            if seen is None or not seen.layer2:
                return None  # silent, or not a switch (a printer or a server answers SNMP too)
            return UnlistedDevice(name=seen.name, mgmt_ip=host, description=seen.description,
                                  seen_by="discovery", via="snmp")

        answers = await asyncio.gather(*(ask(h) for h in dict.fromkeys(hosts)))
        return [a for a in answers if a is not None]


def inventory(targets: Sequence[Switch], results: dict[str, tuple[SwitchDevice | None, str | None]],
              discovered: list[UnlistedDevice] | None = None) -> SwitchInventory:
    """Configured switches with what they reported, plus switches LLDP saw that are not configured."""
    entries: list[InventoryEntry] = []
    known_names: set[str] = set()
    known_ips: set[str] = set()
    for target in targets:
        device, error = results.get(target.name, (None, "not polled"))
        known_names.add(target.name.lower())
        known_ips.add(target.host)
        if device is not None and device.hostname:
            known_names.add(device.hostname.lower())
        entries.append(InventoryEntry(
            name=target.name, platform=target.platform, mgmt_ip=target.host, answered=device is not None,
            vendor=device.vendor if device else None, model=device.model if device else None,
            serial=device.serial if device else None,
            firmware_version=device.firmware_version if device else None, error=error if device is None else None,
        ))
    unlisted: dict[str, UnlistedDevice] = {}
    for target in targets:
        device, _ = results.get(target.name, (None, None))
        for seen in (device.lldp_neighbours or []) if device else []:
            if not _is_unlisted_switch(seen, known_names, known_ips):
                continue
            key = (seen.system_name or seen.mgmt_ip or "").lower()
            unlisted.setdefault(key, UnlistedDevice(name=seen.system_name, mgmt_ip=seen.mgmt_ip,
                                                    description=seen.description, seen_by=target.name, via="lldp"))
    for found in discovered or []:
        if found.name and found.name.lower() in known_names:
            continue  # a configured switch answering on a second address
        key = (found.name or found.mgmt_ip or "").lower()
        earlier = unlisted.get(key)
        if earlier is None:
            unlisted[key] = found
        else:  # LLDP named it and it answered SNMP: keep the address that answered
            unlisted[key] = earlier.model_copy(update={"via": "lldp+snmp", "mgmt_ip": found.mgmt_ip})
    return SwitchInventory(devices=entries, unlisted=sorted(unlisted.values(), key=lambda u: u.name or ""))


def _is_unlisted_switch(seen: LldpNeighbour, names: set[str], ips: set[str]) -> bool:
    if not seen.is_switch or seen.is_ap or not (seen.system_name or seen.mgmt_ip):
        return False
    if seen.mgmt_ip and seen.mgmt_ip in ips:
        return False
    return not (seen.system_name and seen.system_name.lower() in names)
