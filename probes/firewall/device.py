"""Device-configuration tasks of the firewall probe: one per configured firewall, read-only.

``device_tasks(devices)`` is what :mod:`probes.firewall.probe` adds to its network tasks. Each task reads
one firewall the way the config says (SSH or API), hands the raw outputs to the platform's parser, and
returns one ``firewall.config`` observation with every secret removed. A task that cannot read the
device raises with one sentence saying why (wrong credentials, a token without rights, an untrusted
certificate, unreachable); the orchestrator records that as ``unknown`` with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from contract.errors import CollectionError, ProbeError, Reason
from contract.evidence.firewall_config import FirewallConfig
from probes.base import Observation, ProbeTask
from probes.firewall.build import build_evidence
from probes.firewall.common import UnreadableConfig
from probes.firewall.platforms import platform_for


@dataclass(frozen=True)
class DeviceSettings:
    """One firewall as the probe sees it: where, how, and the secrets already read (never printed)."""

    name: str
    host: str
    platform: str
    method: str  # ssh | api
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    api_token: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    api_secret: str | None = field(default=None, repr=False)
    vdoms: tuple[str, ...] = ("root",)
    ca_file: str | None = None
    fingerprint_sha256: str | None = None
    timeout_s: float = 30.0

    def secrets(self) -> list[str]:
        return [s for s in (self.password, self.api_token, self.api_key, self.api_secret) if s]


class DeviceError(CollectionError):
    """The firewall could not be read; ``reason`` for machines, one sentence without secrets for people."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message, reason=reason)


def device_tasks(devices: Iterable[Any]) -> list[ProbeTask]:
    """One task per firewall. ``devices`` are DeviceSettings, or config entries with a ``settings()`` method
    (agent.config.firewall_devices.FirewallDevice): their secrets are read inside the task, so a missing
    secret file makes that one firewall unknown instead of stopping the scan."""
    tasks = []
    for device in devices:
        timeout_s = float(getattr(device, "timeout_s", 30.0))
        tasks.append(ProbeTask(target=device.name, kind=FirewallConfig.kind,
                               run=lambda d=device: [observe(d if isinstance(d, DeviceSettings) else d.settings())],
                               timeout_s=timeout_s * 4 + 10))
    return tasks


def observe(settings: DeviceSettings) -> Observation:
    return Observation(kind=FirewallConfig.kind, target=settings.name, evidence=collect(settings))


def collect(settings: DeviceSettings, today: date | None = None) -> FirewallConfig:
    """Read one firewall; DeviceError (with a reason code) when it cannot be read at all."""
    platform = platform_for(settings.platform)
    secrets = settings.secrets()
    try:
        if settings.method == "ssh":
            from probes.firewall.ssh import collect_ssh

            outputs = collect_ssh(settings, platform)
            facts = platform.parse_outputs(outputs)
            raw = outputs.get(platform.config_output)
        elif settings.platform == "fortinet":
            from probes.firewall.fortios import collect_api

            facts, raw = collect_api(settings)
        else:
            from probes.firewall.opnsense import collect_api as collect_opnsense

            facts, raw = collect_opnsense(settings)
    except UnreadableConfig as exc:  # what the device sent is not its configuration (cut off, damaged)
        raise DeviceError(exc.reason, platform.sanitise(f"{settings.name}: {exc}", secrets)) from None
    except ProbeError as exc:
        raise DeviceError(exc.reason, platform.sanitise(str(exc), secrets)) from None
    except Exception as exc:  # one device must never stop a scan; the reason goes in the report, secrets removed
        raise DeviceError(Reason.failed, platform.sanitise(f"{settings.name}: {type(exc).__name__}: {exc}",
                                                           secrets)) from None
    facts["observed_on"] = today or date.today()
    return build_evidence(platform, facts, raw, [settings.method], secrets)
