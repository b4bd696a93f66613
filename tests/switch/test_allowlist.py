"""The read-only allow-list: exact commands per platform, changes refused, enforced before connecting."""

from __future__ import annotations

import pytest

from probes.switch.allowlist import ForbiddenCommand, guard, is_read_only
from probes.switch.platforms import PLATFORMS, platform_for, supported_platforms


@pytest.mark.parametrize("name", supported_platforms())
def test_every_command_is_allowed_under_every_name(name):
    platform = platform_for(name)
    for command in platform.commands:
        assert guard(platform, command) == command
    assert platform.config_command in platform.commands


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
@pytest.mark.parametrize("name", supported_platforms())
def test_anything_else_is_refused(name, command):
    with pytest.raises(ForbiddenCommand):
        guard(platform_for(name), command)


def test_unknown_platform_has_no_commands():
    from probes.switch.platforms import UnsupportedPlatform

    with pytest.raises(UnsupportedPlatform, match="unsupported platform 'cisco_nxos'"):
        platform_for("cisco_nxos")


def test_lists_hold_only_read_only_commands():
    for platform in PLATFORMS:
        assert all(c.startswith("show ") and is_read_only(c) for c in platform.commands)


def test_ssh_runner_refuses_before_connecting():
    from probes.switch.ssh import collect

    # Port 9 on TEST-NET: if the guard did not run first, this would try to connect.
    with pytest.raises(ForbiddenCommand):
        collect(host="192.0.2.1", port=9, platform=platform_for("cisco_ios"), username="u", password="p",
                commands=["show version", "configure terminal"])
