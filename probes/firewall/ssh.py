"""SSH collection from firewalls, read-only: every command passes :func:`guard` before a byte is sent.

FortiGate: netmiko's ``fortinet`` driver, with its session preparation replaced. netmiko's own
preparation sends ``config system console`` / ``set output standard`` / ``end`` to turn paging off (and
puts it back on logout): that changes the configuration, so it is never sent. Paging (``--More--``) is
answered with a space instead, which only scrolls the output. In multi-VDOM mode the HA status is read
in ``config global`` and the configuration at the top level, which shows the whole backup.

pfSense: ``cat`` of two files as SSH exec requests (paramiko), so the console menu never starts and no
shell is left open.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from contract.errors import CollectionError, Reason
from probes.firewall.allowlist import ForbiddenCommand, guard

log = logging.getLogger("schoolnet.firewall.ssh")

MAX_OUTPUT_BYTES = 64 * 1024 * 1024
_MORE = re.compile(r"\s*--More--\s*$")


class SshError(CollectionError):
    """SSH collection failed; ``reason`` (contract Reason) says why for machines, the message for people."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message, reason=reason)


def collect_ssh(settings: Any, platform: Any) -> dict[str, str]:
    if platform.name == "fortinet":
        return collect_fortigate(settings, platform)
    if platform.name == "pfsense":
        return collect_exec(settings, platform)
    raise SshError(Reason.not_permitted, f"{platform.name} is not read over SSH")


def _quiet_netmiko() -> None:
    # netmiko and paramiko log device output at DEBUG, and device output holds secrets: never below INFO.
    for name in ("netmiko", "paramiko"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


def collect_fortigate(settings: Any, platform: Any) -> dict[str, str]:
    """{command: output} from a FortiGate; SshError with the reason otherwise."""
    from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException
    from netmiko.fortinet.fortinet_ssh import FortinetSSH
    from paramiko.ssh_exception import SSHException

    _quiet_netmiko()
    for command in (*platform.ssh_commands, *platform.ssh_context_commands):
        guard(platform, command)  # refuse before connecting if the lists were ever edited badly

    class ReadOnlyFortinet(FortinetSSH):
        def session_preparation(self) -> None:
            data = self._test_channel_read(pattern=f"to accept|{self.prompt_pattern}")
            if "to accept" in data:
                self.write_channel("a\r")  # accepts the post-login banner; a session step, not a change
                self._test_channel_read(pattern=self.prompt_pattern)
            self.set_base_prompt()

        def disable_paging(self, *args: Any, **kwargs: Any) -> str:
            return ""  # never 'config system console / set output standard': that is a configuration change

    where = f"{settings.host}:{settings.port}"
    try:
        conn = ReadOnlyFortinet(
            device_type="fortinet", host=settings.host, port=settings.port, username=settings.username,
            password=settings.password, conn_timeout=settings.timeout_s, auth_timeout=settings.timeout_s,
            banner_timeout=settings.timeout_s, allow_agent=False, use_keys=False, fast_cli=True,
            # netmiko limits FortiOS to SHA-1 and group-exchange key exchange (for FortiOS 5); 6.4-7.6 offer
            # curve25519 and ECDH, so keep paramiko's modern list and drop only the weak and the GEX ones.
            disabled_algorithms={"kex": ["diffie-hellman-group1-sha1", "diffie-hellman-group-exchange-sha1",
                                         "diffie-hellman-group-exchange-sha256"]},
        )
    except NetmikoAuthenticationException:
        raise SshError(Reason.auth_failed, f"SSH login to {where} was refused: wrong username or password") from None
    except NetmikoTimeoutException:
        raise SshError(Reason.unreachable, f"SSH to {where} is unreachable (refused, or no answer within "
                                      f"{settings.timeout_s:g} s)") from None
    except (SSHException, OSError, EOFError, ValueError) as exc:
        raise SshError(Reason.unreachable, f"SSH to {where} failed: {type(exc).__name__}") from None
    outputs: dict[str, str] = {}
    try:
        prompt = re.compile(rf"{re.escape(conn.base_prompt)}\s*(\([^)\n]*\)\s*)?[#$]\s*$")

        def run(command: str) -> str:
            return _run(conn, guard(platform, command), prompt, settings.timeout_s)

        status = run("get system status")
        outputs["get system status"] = status
        multi = re.search(r"Virtual domain configuration:\s*(multiple|enable|split-task)", status) is not None
        if multi:
            run("config global")
        outputs["get system ha status"] = run("get system ha status")
        if multi:
            run("end")
        outputs["show full-configuration"] = run("show full-configuration")
    except (SSHException, OSError, EOFError) as exc:
        raise SshError(Reason.session_dropped,
            f"SSH {where}: the session dropped during collection ({type(exc).__name__})") \
            from None
    finally:
        try:
            conn.paramiko_cleanup()  # close the channel; netmiko's disconnect() would send 'exit' and restore paging
        except (OSError, EOFError, SSHException):
            pass
    refused = _refused(outputs.get("show full-configuration", ""))
    if refused:
        raise SshError(Reason.not_permitted,
            f"SSH {where}: the FortiGate refused 'show full-configuration' ({refused}); the "
            "account's admin profile may not read the configuration")
    return outputs


def _run(conn: Any, command: str, prompt: re.Pattern[str], timeout_s: float) -> str:
    """Send one command and read until the prompt comes back, answering '--More--' with a space."""
    conn.write_channel(command + "\n")
    buffer = ""
    total = 0
    deadline = time.monotonic() + timeout_s
    while True:
        chunk = conn.read_channel()
        if chunk:
            total += len(chunk)
            if total > MAX_OUTPUT_BYTES:
                raise SshError(Reason.timeout, f"'{command}' sent more than {MAX_OUTPUT_BYTES // (1024 * 1024)} MiB")
            buffer += chunk.replace("\r", "")
            if _MORE.search(buffer):
                buffer = _MORE.sub("\n", buffer)
                conn.write_channel(" ")
                deadline = time.monotonic() + timeout_s
                continue
            if prompt.search(buffer):
                break
            deadline = time.monotonic() + timeout_s  # output is still coming: the wait is per pause, not total
        elif time.monotonic() > deadline:
            raise SshError(Reason.timeout, f"'{command}' gave no prompt back within {timeout_s:g} s (device hung)")
        else:
            time.sleep(0.02)
    lines = buffer.split("\n")
    if lines and lines[0].strip().endswith(command):
        lines = lines[1:]  # the echo of the command
    if lines and prompt.search(lines[-1]):
        lines = lines[:-1]
    return "\n".join(lines).strip("\n") + "\n"


def _refused(text: str) -> str | None:
    head = text.strip().splitlines()[:2]
    for line in head:
        if re.match(r"^\s*(Command fail|Unknown action|command parse error|Permission denied)", line, re.IGNORECASE):
            return line.strip()[:80]
    return None


def collect_exec(settings: Any, platform: Any) -> dict[str, str]:
    """{command: output} of the platform's exec commands (pfSense: cat two files)."""

    import paramiko

    _quiet_netmiko()
    commands = [guard(platform, c) for c in platform.ssh_commands]
    where = f"{settings.host}:{settings.port}"
    client = paramiko.SSHClient()
    # As the switch probe (netmiko's default): the host key is accepted on first sight, not checked against a list.
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    try:
        client.connect(settings.host, port=settings.port, username=settings.username, password=settings.password,
                       timeout=settings.timeout_s, auth_timeout=settings.timeout_s,
                       banner_timeout=settings.timeout_s, allow_agent=False, look_for_keys=False)
    except paramiko.AuthenticationException:
        client.close()
        raise SshError(Reason.auth_failed, f"SSH login to {where} was refused: wrong username or password") from None
    except (paramiko.SSHException, OSError, EOFError) as exc:
        client.close()
        raise SshError(Reason.unreachable, f"SSH to {where} failed: {type(exc).__name__}") from None
    outputs: dict[str, str] = {}
    try:
        for command in commands:
            _stdin, stdout, stderr = client.exec_command(command, timeout=settings.timeout_s)
            data = bytearray()
            try:
                while chunk := stdout.read(65536):
                    data.extend(chunk)
                    if len(data) > MAX_OUTPUT_BYTES:
                        raise SshError(Reason.timeout, f"SSH {where}: '{command}' sent more than "
                                               f"{MAX_OUTPUT_BYTES // (1024 * 1024)} MiB")
                status = stdout.channel.recv_exit_status()
            except TimeoutError:
                raise SshError(Reason.timeout,
                    f"SSH {where}: '{command}' gave no output within {settings.timeout_s:g} s") \
                    from None
            if status != 0:
                why = stderr.read(200).decode("utf-8", errors="replace").strip().splitlines()[:1]
                raise SshError(Reason.not_permitted, f"SSH {where}: '{command}' failed (exit {status}"
                                          f"{': ' + why[0] if why else ''}); the account may not read it")
            outputs[command] = data.decode("utf-8", errors="replace")
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise SshError(Reason.session_dropped,
            f"SSH {where}: the session dropped during collection ({type(exc).__name__})") \
            from None
    finally:
        client.close()
    return outputs


__all__ = ["ForbiddenCommand", "SshError", "collect_ssh"]
