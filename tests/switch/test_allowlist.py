"""The read-only allow-list: exact commands per platform, changes refused, enforced before connecting."""

from __future__ import annotations

import pytest

from probes.switch.allowlist import ALLOWED_COMMANDS, ForbiddenCommand, guard, is_read_only
from probes.switch.platforms import allow_list_platform, driver_for, supported_platforms


@pytest.mark.parametrize("platform", supported_platforms())
def test_every_driver_command_is_allowed(platform):
    driver = driver_for(platform)
    for command in driver.commands:
        assert guard(allow_list_platform(platform), command) == command
    assert driver.config_command in driver.commands


@pytest.mark.parametrize(
    "command",
    [
        "configure terminal",
        "conf t",
        "write memory",
        "wr",
        "copy running-config startup-config",
        "reload",
        "erase startup-config",
        "delete flash:config.text",
        "request system reboot",
        "set cli screen-length 0; request system halt",
        "show running-config | redirect tftp://198.51.100.1/x",
        "show version\nreload",
        "clear counters",
        "debug all",
        "no snmp-server community public",
        "show running-config ",  # not character-for-character on the list
        "SHOW RUNNING-CONFIG",
    ],
)
@pytest.mark.parametrize("platform", sorted(ALLOWED_COMMANDS))
def test_anything_else_is_refused(platform, command):
    with pytest.raises(ForbiddenCommand):
        guard(platform, command)


def test_unknown_platform_has_no_commands():
    with pytest.raises(ForbiddenCommand, match="no read-only command list"):
        guard("cisco_nxos", "show version")


def test_lists_hold_only_read_only_commands():
    for commands in ALLOWED_COMMANDS.values():
        assert all(c.startswith("show ") and is_read_only(c) for c in commands)


def test_ssh_runner_refuses_before_connecting():
    from probes.switch.ssh import collect

    # Port 9 on TEST-NET: if the guard did not run first, this would try to connect.
    with pytest.raises(ForbiddenCommand):
        collect(host="192.0.2.1", port=9, platform="cisco_ios", username="u", password="p",
                commands=["show version", "configure terminal"])
