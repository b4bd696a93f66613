"""Which probes exist. Adding a probe is one module under probes/ and one line here.

Entries are import paths, imported only when the probe runs, so ``schoolnet standards list`` never
loads scapy or netmiko.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from agent.entry import load_entry
from agent.errors import UsageError

if TYPE_CHECKING:
    from agent.config import Config
    from probes.base import Probe

log = logging.getLogger("schoolnet.scan")

# name -> "module:factory"; the factory takes the whole Config and returns a Probe built with only its own
# settings (secrets resolved), so no probe ever sees the Config.
PROBES: dict[str, str] = {
    "switches": "agent.config.switches:switch_probe",
    "wifi": "agent.config.wifi:wifi_probe",
    "broadband": "agent.config.broadband:broadband_probe",
    "filtering": "agent.config.filtering:filtering_probe",
    "firewall": "agent.config.firewall:firewall_probe",
}

# Names the CLI accepts in --only, including areas whose probe is still to come.
AREAS: tuple[str, ...] = ("switches", "wifi", "broadband", "firewall", "filtering")


def parse_only(only: str | None) -> list[str]:
    if not only:
        return list(PROBES)  # every area that has a probe
    names = [n.strip() for n in only.split(",") if n.strip()]
    bad = [n for n in names if n not in AREAS]
    if bad:
        raise UsageError(f"--only: unknown probe(s) {', '.join(bad)}; choose from {', '.join(AREAS)}")
    return names


def load_probes(config: Config, names: list[str]) -> list[Probe]:
    probes: list[Probe] = []
    for name in names:
        path = PROBES.get(name)
        if path is None:
            # An area with no probe yet (firewall): say so, and its requirements report "no evidence".
            log.warning("%s: this version has no %s probe yet; its requirements are reported as not measured",
                        name, name)
            continue
        probes.append(load_entry(path)(config))
    return probes
