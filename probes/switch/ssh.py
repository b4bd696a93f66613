"""The SSH runner: one netmiko session per device, every command through the allow-list.

netmiko's exceptions are mapped here, at the boundary, to :class:`SshError` with one precise reason
(wrong credentials, unreachable, a command that hung). Passwords never appear in a message.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from contract.errors import CollectionError, Reason
from probes.switch.allowlist import guard

if TYPE_CHECKING:
    from probes.switch.common import Platform

log = logging.getLogger("schoolnet.switch.ssh")


class SshError(CollectionError):
    """SSH collection failed; the message says why, in one sentence, without secrets; ``reason`` for machines."""


def collect(
    *,
    host: str,
    port: int,
    platform: Platform,
    username: str,
    password: str,
    commands: Sequence[str],
    conn_timeout_s: float = 10.0,
    read_timeout_s: float = 30.0,
) -> dict[str, str]:
    """Run the allow-listed ``commands`` on one switch; return {command: raw output}."""
    from netmiko import ConnectHandler
    from netmiko.exceptions import (
        NetmikoAuthenticationException,
        NetmikoBaseException,
        NetmikoTimeoutException,
        ReadTimeout,
    )
    from paramiko.ssh_exception import SSHException

    checked = [guard(platform, c) for c in commands]  # refuse before connecting
    # netmiko logs every byte read from the device at DEBUG, and device output holds secrets: never below INFO.
    netmiko_log = logging.getLogger("netmiko")
    if netmiko_log.getEffectiveLevel() < logging.INFO:
        netmiko_log.setLevel(logging.INFO)
    where = f"{host}:{port}"
    try:
        conn = ConnectHandler(
            device_type=platform.name, host=host, port=port, username=username, password=password, secret=password,
            conn_timeout=conn_timeout_s, auth_timeout=conn_timeout_s, banner_timeout=conn_timeout_s,
            fast_cli=True, allow_agent=False, use_keys=False,
        )
    except NetmikoAuthenticationException:
        raise SshError(f"SSH login to {where} was refused: wrong username or password",
                       reason=Reason.auth_failed) from None
    except NetmikoTimeoutException:
        raise SshError(f"SSH to {where} is unreachable (refused, or no answer within {conn_timeout_s:g} s)") from None
    except ReadTimeout:
        raise SshError(
            f"SSH {where}: logged in, but the CLI never showed the {platform.name} prompt expected",
            reason=Reason.protocol_error,
        ) from None
    except (NetmikoBaseException, SSHException, OSError, EOFError, ValueError) as exc:
        raise SshError(f"SSH to {where} failed: {type(exc).__name__}", reason=Reason.failed) from None
    outputs: dict[str, str] = {}
    try:
        if platform.enters_enable_mode and not conn.check_enable_mode():
            try:
                conn.enable()
            except (ValueError, ReadTimeout):
                log.info("%s: could not enter enable mode; continuing at the login level", where)
        for command in checked:
            try:
                outputs[command] = str(conn.send_command(command, read_timeout=read_timeout_s))
            except ReadTimeout:
                raise SshError(
                    f"SSH {where}: '{command}' gave no prompt back within {read_timeout_s:g} s (device hung)",
                    reason=Reason.timeout,
                ) from None
    except (NetmikoBaseException, SSHException, OSError, EOFError) as exc:
        raise SshError(f"SSH {where}: the session dropped during collection ({type(exc).__name__})",
                       reason=Reason.session_dropped) from None
    finally:
        # Close the SSH channel instead of netmiko's disconnect(): that sends 'exit'/'logout' sequences (not on
        # the allow-list) and waits for their prompts, which costs seconds on some platforms.
        try:
            conn.paramiko_cleanup()
        except (OSError, EOFError, SSHException):  # the session may already be gone
            pass
    return outputs
