"""The simulated school network: local stand-ins for the devices the probes talk to.

Each component starts on loopback (ports it picks itself), returns the config fragment that points the
agent at it, and stops cleanly. ``schoolnet demo`` and the end-to-end tests use the same lab.
Adding a simulated device is one module here and one line in LAB_COMPONENTS.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from agent.entry import load_entry

log = logging.getLogger("schoolnet.lab")

# "module:Class" paths, imported when the lab starts.
LAB_COMPONENTS: list[str] = [
    "agent.lab.switches:SwitchLab",
    "agent.lab.wifi:WifiLab",
    "agent.lab.broadband:BroadbandLab",
    "agent.lab.filtering:FilteringLab",
    "agent.lab.netns:FirewallNetnsLab",
    "agent.lab.firewalls:FirewallLab",
    "agent.lab.collector:CollectorLab",
]


class LabComponent(Protocol):
    name: str

    def start(self, workdir: Path) -> dict[str, Any]:
        """Start the simulated devices; return the config fragment (TOML-shaped dict) to merge."""
        ...

    def stop(self) -> None:
        """Stop everything started; must not raise and must leave no process behind."""
        ...


BASE_CONFIG: dict[str, Any] = {
    "site": {
        "id": "LAB-100001",
        "name": "Riverside Academy (simulated)",
        "phase": "secondary",
        "trust": "Example Learning Trust",
    },
    "probes": {"target_timeout_s": 60.0, "concurrency": 8},
    "attestations": [
        {
            "requirement": "dfe.cyber.risk-assessment",
            "outcome": "met",
            "attested_by": "A. Patel, School Business Manager",
            "attested_on": "2026-09-20",
            "evidence": "Cyber risk register v4 (governors' shared drive)",
        },
        {
            "requirement": "dfe.filtering.annual-review",
            "outcome": "met",
            "attested_by": "R. Jones, Designated Safeguarding Lead",
            "attested_on": "2025-06-30",
            "evidence": "Filtering and monitoring review minutes, summer term 2025",
        },
    ],
}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = [*out[key], *value]
        else:
            out[key] = value
    return out


class Lab(AbstractContextManager["Lab"]):
    """Start every available component; ``config`` is the merged config dict once entered."""

    def __init__(self, workdir: Path, components: list[LabComponent] | None = None) -> None:
        self.workdir = workdir
        self.components = components if components is not None else available_components()
        self.started: list[LabComponent] = []
        self.config: dict[str, Any] = dict(BASE_CONFIG)

    def __enter__(self) -> Lab:
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            for component in self.components:
                fragment = self._start(component)
                self.started.append(component)
                self.config = _merge(self.config, fragment)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _start(self, component: LabComponent, attempts: int = 2) -> dict[str, Any]:
        """Start one component, retrying once: a free port picked a moment ago can be taken by another process."""
        for attempt in range(1, attempts + 1):
            try:
                return component.start(self.workdir)
            except Exception as error:
                component.stop()
                if attempt == attempts:
                    raise
                log.warning("lab component %s failed to start (%s); retrying", component.name, error)
        raise AssertionError("unreachable")

    def stop(self) -> None:
        while self.started:
            component = self.started.pop()
            try:
                component.stop()
            except Exception as error:  # stopping must go on for the rest
                log.warning("lab component %s did not stop cleanly: %s", component.name, error)

    def write_config(self, path: Path) -> Path:
        import tomli_w

        path.write_text(tomli_w.dumps(self.config), encoding="utf-8")
        return path


def available_components() -> list[LabComponent]:
    return [load_entry(entry)() for entry in LAB_COMPONENTS]
