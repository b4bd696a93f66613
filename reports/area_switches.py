"""The switch inventory table of the HTML report: every switch found, and those found but not configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reports.sections import Cell, Table

if TYPE_CHECKING:
    from contract.report import Report

COLUMNS = ["Switch", "Vendor", "Model", "Serial", "Firmware", "Management IP", "Status", "Good practice"]
# Short names of the good-practice checks for the device table (the full title is in the good-practice section).
PRACTICE_NAMES = {
    "switch_ntp_configured": "NTP",
    "switch_remote_logging_configured": "remote logging",
    "switch_unused_ports_disabled": "unused ports on",
    "switch_mgmt_vlan_not_default": "management on VLAN 1",
    "switch_central_aaa_configured": "no central logins",
}


def inventory_table(report: Report) -> Table | None:
    """Vendor, model, serial, firmware and management IP per switch, plus switches not in the config."""
    from contract.evidence.switch import SwitchInventory

    inventories = [r for r in report.evidence if r.kind == SwitchInventory.kind]
    if not inventories:
        return None
    record = inventories[-1]
    inventory = record.model()
    if not isinstance(inventory, SwitchInventory):
        return Table(
            title="Switch inventory",
            intro=f"The inventory could not be built: {record.error or 'no data'}.",
            columns=COLUMNS,
        )
    firmware_status = _firmware_statuses(report)
    practice = _practice(report)
    rows: list[list[Cell]] = []
    for entry in inventory.devices:
        status = Cell("answered", "pass") if entry.answered else Cell(f"no answer: {entry.error}", "unknown")
        rows.append([
            Cell(entry.name),
            Cell(entry.vendor or "-"),
            Cell(entry.model or "-"),
            Cell(entry.serial or "-"),
            Cell(entry.firmware_version or "-", firmware_status.get(entry.name)),
            Cell(entry.mgmt_ip),
            status,
            practice.get(entry.name, Cell("-")),
        ])
    for seen in inventory.unlisted:
        rows.append([
            Cell(seen.name or "(no name)"),
            Cell("-"),
            Cell(seen.description or "-"),
            Cell("-"),
            Cell("-"),
            Cell(seen.mgmt_ip or "-"),
            Cell(f"not in the config: seen by {seen.seen_by} ({seen.via.upper()})", "fail"),
            Cell("-"),
        ])
    unlisted = len(inventory.unlisted)
    intro = (
        f"{len(inventory.devices)} configured switch(es)"
        + (f" and {unlisted} found on the network that the configuration does not list." if unlisted else ".")
        + " This table is the record of network devices the cyber security standard asks for."
    )
    return Table(title="Switch inventory", intro=intro, columns=COLUMNS, rows=rows, standard="switching")


def _practice(report: Report) -> dict[str, Cell]:
    """Per switch, the good-practice checks (not DfE) that need attention, in a few words."""
    short: dict[str, list[str]] = {}
    seen: set[str] = set()
    for r in report.results:
        if not r.good_practice or r.target is None or not r.check.startswith("switch_"):
            continue
        seen.add(r.target)
        if r.status.value == "warn":
            name = PRACTICE_NAMES.get(r.check, r.check)
            if name not in short.setdefault(r.target, []):
                short[r.target].append(name)
    cells = {}
    for target in seen:
        names = short.get(target, [])
        cells[target] = Cell("Attention: " + ", ".join(names), "warn") if names else Cell("Met", "pass")
    return cells


def _firmware_statuses(report: Report) -> dict[str, str]:
    return {
        r.target: r.status.value
        for r in report.results
        if r.check == "switch_firmware_supported" and r.target is not None
    }
