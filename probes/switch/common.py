"""Helpers shared by the platform drivers: TextFSM parsing, config parsing, unit conversion.

A driver turns the raw output of its allow-listed commands into *facts*: a dict of
:class:`contract.evidence.switch.SwitchDevice` field values. A command whose output is not what the
platform prints raises :class:`UnparseableOutput`; the driver records the reason in
``collection_errors`` and leaves the fields that depended on it as ``None`` (checks say ``unknown``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from contract.errors import InputError, Reason
from contract.evidence.switch import LldpNeighbour
from probes.switch.sanitise import Rule

Facts = dict[str, Any]

DEFAULT_COMMUNITIES = frozenset({"public", "private"})


class UnparseableOutput(InputError):
    """The output of a command is not what the platform prints (garbage, truncated, another vendor)."""

    def __init__(self, command: str, why: str, *, reason: Reason = Reason.unparseable) -> None:
        super().__init__(f"'{command}': {why}", reason=reason)
        self.command = command
        self.why = why


class Platform:
    """Everything the project knows about one switch platform, on one class (netmiko's model).

    The names a user may type (the canonical netmiko device_type and its aliases), the read-only allow-list
    (exactly the commands sent, in order), the scrub rules for the platform's secret syntax, the session quirks
    (enable mode, what netmiko sends to prepare the session) and the parser. Nothing about a platform is keyed
    by its name anywhere else, so an alias can never miss one of them (issue 9: ``cisco_xe`` missed the IOS
    scrub rules when they were a separate table). :mod:`probes.switch.platforms` lists the platforms.
    """

    name: str  # the canonical netmiko device_type, also the ntc-templates platform
    aliases: tuple[str, ...] = ()  # other netmiko device_types for the same CLI (cisco_xe for cisco_ios)
    vendor: str
    config_command: str
    commands: tuple[str, ...]  # the read-only allow-list: sent in this order, nothing else is ever sent
    scrub_rules: tuple[Rule, ...]  # this platform's secret syntax; the shared rules in sanitise.py come after
    enters_enable_mode: bool = False  # privileged EXEC is needed to read the whole configuration
    session_commands: tuple[str, ...] = ()  # sent by netmiko's session preparation (listed for review only)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name that selects this platform: the canonical one first."""
        return (self.name, *self.aliases)

    def parse(self, outputs: Mapping[str, str]) -> Facts:
        """Facts from whatever outputs are present (only the config for an offline audit)."""
        raise NotImplementedError

    def looks_like_config(self, text: str) -> bool:
        """True when ``text`` is this platform's configuration (a cheap look at its first lines)."""
        raise NotImplementedError

    def read_config(self, text: str) -> Facts:
        """Facts from a saved configuration alone (an offline audit). UnparseableOutput with the reason
        ``not_a_configuration`` when the text is not one (another vendor's, or no configuration at all)."""
        if not self.looks_like_config(text):
            raise UnparseableOutput(self.config_command, f"not a {self.name} configuration",
                                    reason=Reason.not_a_configuration)
        return self.parse({self.config_command: text})

    def __repr__(self) -> str:
        return f"<platform {self.name}>"


def textfsm(platform: str, command: str, text: str) -> list[dict[str, Any]]:
    """Parse ``text`` with the ntc-templates template for ``platform``/``command``."""
    from ntc_templates.parse import parse_output  # imported late: textfsm loads every template index

    try:
        rows = parse_output(platform=platform, command=command, data=text)
    except Exception as exc:  # textfsm raises its own tree; one clear reason is enough here
        raise UnparseableOutput(command, f"TextFSM could not parse it ({type(exc).__name__})") from None
    return [dict(row) for row in rows]


def parse_config(text: str, syntax: str = "ios", command: str = "show running-config") -> Any:
    """A ciscoconfparse2 tree of ``text``; UnparseableOutput when the library cannot read it.

    ciscoconfparse2 logs its errors through loguru with every local variable (the raw config, secrets
    included) straight to stderr: that logging is switched off for the library and for our callers.
    """
    from ciscoconfparse2 import CiscoConfParse
    from loguru import logger

    for name in ("ciscoconfparse2", "probes.switch"):
        logger.disable(name)
    lines = [line.rstrip() for line in text.replace("\r", "").splitlines()]
    try:
        return CiscoConfParse(lines, syntax=syntax, ignore_blank_lines=True)
    except Exception as exc:  # the library raises bare Exceptions and typeguard errors alike
        raise UnparseableOutput(command, f"the configuration parser could not read it ({type(exc).__name__})") from None


def children(obj: Any) -> list[str]:
    return [c.text.strip() for c in obj.children]


def lines_matching(parse: Any, pattern: str) -> list[str]:
    return [o.text.strip() for o in parse.find_objects(pattern)]


def speed_mbps(text: str | None) -> int | None:
    """'a-1000' -> 1000, '10G' -> 10000, '1000FDx' -> 1000, '10 Gb/s' -> 10000, 'auto' -> None."""
    if not text:
        return None
    t = text.strip().lower().replace("a-", "").replace(" ", "")
    m = re.match(r"^(\d+(?:\.\d+)?)(g|gb/s|gbps|m|mb/s|mbps|fdx|hdx)?", t)
    if not m:
        return None
    value = float(m.group(1))
    unit = m.group(2) or ""
    return int(value * 1000) if unit.startswith("g") else int(value)


_CAPS = {
    "b": "bridge", "bridge": "bridge", "r": "router", "router": "router", "w": "wlan-ap", "wlan": "wlan-ap",
    "wlan-access-point": "wlan-ap", "wlanaccesspoint": "wlan-ap", "t": "telephone", "telephone": "telephone",
    "s": "station", "station": "station", "station-only": "station", "p": "repeater", "repeater": "repeater",
}


def capabilities(text: str | None) -> list[str]:
    """LLDP capability letters or words (any vendor's spelling) as canonical names."""
    if not text:
        return []
    found: list[str] = []
    for token in re.split(r"[,\s]+", text.strip().lower()):
        name = _CAPS.get(token)
        if name and name not in found:
            found.append(name)
    return found


def neighbour(local_port: str, name: str | None, port: str | None, ip: str | None, descr: str | None,
              caps: list[str]) -> LldpNeighbour:
    def clean(value: str | None) -> str | None:
        return value.strip() or None if value else None

    description = clean(descr)
    if description and "wlan-ap" not in caps and re.search(r"\b(AP|access point)\b", description, re.IGNORECASE):
        caps = [*caps, "wlan-ap"]  # many APs advertise only 'bridge'; their description says what they are
    return LldpNeighbour(local_port=local_port, system_name=clean(name), port=clean(port), mgmt_ip=clean(ip),
                         description=description, capabilities=caps)


def short_port(name: str) -> str:
    """'GigabitEthernet1/0/1' -> 'Gi1/0/1' (how show commands print ports)."""
    m = re.match(r"^([A-Za-z]+)([\d/.:]+)$", name.strip())
    if not m:
        return name.strip()
    prefix = m.group(1).lower()
    for long, short in (("tengigabitethernet", "Te"), ("twentyfivegige", "Twe"), ("fortygigabitethernet", "Fo"),
                        ("gigabitethernet", "Gi"), ("fastethernet", "Fa"), ("ethernet", "Eth"),
                        ("hundredgige", "Hu")):
        if prefix == long or (len(prefix) >= 2 and long.startswith(prefix)):
            return short + m.group(2)
    return name.strip()


def build_ports(ports: Mapping[str, dict[str, Any]], neighbours: list[LldpNeighbour] | None) -> list[dict[str, Any]]:
    """SwitchPort dicts from per-port facts, with LLDP neighbours marking uplinks and access points."""
    by_port = {short_port(n.local_port): n for n in neighbours or []}
    out: list[dict[str, Any]] = []
    for name, facts in ports.items():
        port = {"name": name, **facts}
        seen = by_port.get(short_port(name))
        if seen is not None:
            port["neighbour"] = seen.system_name or seen.description
            port["neighbour_is_ap"] = seen.is_ap
            if seen.is_switch and not seen.is_ap:
                port["uplink"] = True
        if port.get("mode") == "trunk" and not port.get("neighbour_is_ap"):
            port["uplink"] = True
        out.append(port)
    return out


def finish_ports(facts: Facts, ports: Mapping[str, dict[str, Any]]) -> None:
    """Turn the per-port facts gathered from config and show output into the evidence's port list, and record the
    user VLANs (those of access ports that are not uplinks) when the config is complete enough to trust."""
    if not ports:
        return
    facts["ports"] = build_ports(ports, facts.get("lldp_neighbours"))
    if facts.get("config_complete"):
        facts["user_vlans"] = sorted(
            {p["vlan"] for p in facts["ports"] if p.get("mode") == "access" and not p.get("uplink")} - {None}
        )


def vlan_ids(spec: str) -> list[int]:
    """'1,10-12,20' -> [1, 10, 11, 12, 20]."""
    ids: list[int] = []
    for part in re.split(r"[,\s]+", spec.strip()):
        if re.fullmatch(r"\d+-\d+", part):
            lo, hi = (int(x) for x in part.split("-"))
            ids.extend(range(lo, hi + 1))
        elif part.isdigit():
            ids.append(int(part))
    return ids


def merge(facts: Facts, new: Facts) -> None:
    """Update ``facts`` with ``new``, keeping both lists of collection errors."""
    errors = [*facts.get("collection_errors", []), *new.get("collection_errors", [])]
    facts.update(new)
    facts["collection_errors"] = errors


_REFUSED = re.compile(r"^\s*(% ?Invalid input|% ?Unknown command|Invalid input:|unknown command|syntax error|"
                      r"% ?Incomplete command|Invalid command)", re.IGNORECASE)


def refused(text: str) -> str | None:
    """The switch's own error line when it refused a command (no PoE on this model, not enough privilege)."""
    # The error follows an echo of the command and a caret line on most platforms: look at the first lines.
    head = [line.strip() for line in text.splitlines() if line.strip()][:3]
    return next((line for line in head if _REFUSED.match(line)), None)


def run_steps(facts: Facts, outputs: Mapping[str, str], steps: Iterable[tuple[str, Callable[[str], object]]],
              config_command: str) -> None:
    """Parse each command's output that is present. A refused optional command (a switch without PoE) is
    skipped; a refused configuration or an unreadable output is recorded in ``collection_errors``."""
    for command, step in steps:
        if command not in outputs:
            continue
        text = outputs[command]
        why = refused(text)
        if why is not None:
            if command == config_command:
                facts["collection_errors"].append(
                    f"'{command}': the switch refused it ({why[:80]}); the account may lack the privilege")
            continue
        try:
            step(text)
        except UnparseableOutput as exc:
            facts["collection_errors"].append(str(exc))
