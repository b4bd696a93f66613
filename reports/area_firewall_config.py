"""The HTML report's firewall table: each firewall whose own configuration was read, one row, the verdicts that
matter at a glance (admin on the internet side, MFA, guessing limit, inbound rules, logging, firmware, HA,
web filtering). The full detail is in the requirement tables; the network's view of the same firewall (the
exposure scan) is in its own table beside this one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contract.evidence.firewall_config import FirewallConfig
from reports.sections import Cell, Table

if TYPE_CHECKING:
    from contract.report import Report

COLUMNS: list[tuple[str, str]] = [
    ("Admin on internet side", "firewall_admin_not_on_wan"),
    ("Admin MFA", "firewall_admin_mfa"),
    ("Password guessing", "firewall_admin_lockout"),
    ("Inbound rules", "firewall_inbound_default_deny"),
    ("Remote logging", "firewall_remote_logging_configured"),
    ("Firmware", "firewall_firmware_supported"),
    ("Second router", "firewall_ha_or_second_router"),
    ("Web filter", "firewall_web_filtering_applied"),
]
_PLATFORMS = {"fortinet": "FortiGate", "opnsense": "OPNsense", "pfsense": "pfSense"}
_SOURCES = {"ssh": "SSH", "api": "its API", "config-file": "a saved file"}
_WORDS = {"pass": "OK", "fail": "Problem", "warn": "Check", "unknown": "Not known", "not_applicable": "n/a",
          "manual": "Confirm"}


def devices_table(report: Report) -> Table | None:
    """One row per firewall.config evidence record; None when no firewall configuration was read."""
    records = [r for r in report.evidence if r.kind == FirewallConfig.kind]
    if not records:
        return None
    rows = []
    for record in records:
        model = record.model() if record.ok else None
        if not isinstance(model, FirewallConfig):
            rows.append([Cell(record.target), Cell(f"Could not be read: {record.error or 'no data'}", "unknown"),
                         *[Cell("Not known", "unknown") for _ in COLUMNS]])
            continue
        how = " and ".join(_SOURCES.get(s, s) for s in model.sources) or "?"
        firmware = (f"{_PLATFORMS.get(model.platform, model.platform)} "
                    f"{model.firmware_version or '(version not shown)'}, read from {how}")
        row = [Cell(record.target), Cell(firmware)]
        for _label, check in COLUMNS:
            result = next((r for r in report.results if r.evidence_ref == record.id and r.check == check), None)
            if result is None:
                row.append(Cell("", None))
                continue
            status = result.status.value
            text = _WORDS.get(status, status)
            if result.measured:
                text = f"{text}: {result.measured}"
            row.append(Cell(text, status))
        rows.append(row)
    return Table(
        title="Firewalls: their own settings",
        intro=("What each firewall's configuration says (read-only, secrets removed). Green is fine, red needs "
               "action, amber needs a look; 'Not known' means the configuration did not show it, and the "
               "requirement tables say why."),
        columns=["Firewall", "Platform and firmware", *(label for label, _ in COLUMNS)],
        rows=rows,
    )
