"""Issue 10, probes side: probes take their own settings (secrets resolved by the agent), never import the agent;
one SNMP auth model for every SNMP table of the config; one exception tree with machine-readable reasons."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest

from agent.config import Config
from contract.errors import CollectionError, InputError, ProbeError, Reason, SchoolnetError
from contract.secrets import Secret, SecretUnavailable

REPO = Path(__file__).resolve().parents[2]
SITE = {"id": "T", "name": "T", "phase": "secondary"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("area", ["switch", "wifi", "broadband"])
def test_no_probe_imports_the_agent(area: str):
    files = [*sorted((REPO / "probes" / area).glob("*.py")), REPO / "probes" / "snmp.py", REPO / "probes" / "base.py"]
    upward = {str(f.relative_to(REPO)): sorted(m for m in _imports(f) if m == "agent" or m.startswith("agent."))
              for f in files}
    assert {f: m for f, m in upward.items() if m} == {}


def test_every_snmp_table_becomes_the_one_auth_model(tmp_path: Path, monkeypatch):
    from agent.config.broadband import broadband_settings
    from agent.config.switches import switch_settings
    from probes.snmp import SnmpAuth

    key = tmp_path / "key"
    key.write_text("v3-secret-value\n", encoding="utf-8")
    key.chmod(0o600)  # a secret file anyone else can read is refused (issue 9)
    monkeypatch.setenv("SN_COMMUNITY", "c0mmunity")
    v3 = {"version": "v3", "v3": {"user": "auditor", "auth_key": {"file": str(key)}, "priv_key": {"file": str(key)}}}
    config = Config.model_validate({
        "site": SITE,
        "switches": {
            "devices": [{"name": "S1", "host": "192.0.2.1", "platform": "cisco_xe", "snmp": v3}],
            "ups": [{"name": "U", "host": "192.0.2.9",
                     "snmp": {"version": "v2c", "community": {"env": "SN_COMMUNITY"}}}],
            "discovery": {"hosts": ["192.0.2.0/30"], "snmp": v3},
        },
        "broadband": {"router": {"host": "192.0.2.254", "version": "v3", "username": "r",
                                 "auth_key": {"file": str(key)}, "auth_protocol": "md5", "context_name": "wan"}},
    })
    switches = switch_settings(config)
    router = broadband_settings(config).router
    assert router is not None and switches.discovery is not None and switches.devices[0].snmp is not None
    auths = [switches.devices[0].snmp.auth, switches.ups[0].snmp.auth, switches.discovery.snmp.auth, router.snmp.auth]
    assert all(type(a) is SnmpAuth for a in auths)
    assert auths[0].secrets() == ["v3-secret-value", "v3-secret-value"] and auths[1].secrets() == ["c0mmunity"]
    assert (auths[3].auth_protocol, auths[3].priv_key, auths[3].context) == ("md5", None, "wan")
    assert "v3-secret-value" not in repr(switches) + repr(router) and "c0mmunity" not in repr(switches)


def test_a_missing_secret_fails_only_its_switch_with_the_reason(monkeypatch):
    from agent.config.switches import switch_probe

    monkeypatch.delenv("SN_UNSET_PASSWORD", raising=False)
    config = Config.model_validate({"site": SITE, "switches": {"devices": [
        {"name": "S1", "host": "192.0.2.1", "platform": "cisco_ios", "username": "u",
         "password": {"env": "SN_UNSET_PASSWORD"}}]}})
    probe = switch_probe(config)  # building the probe reads the secret, and does not fail the scan
    password = probe.section.devices[0].password
    assert isinstance(password, Secret) and password.known() is None
    device_task = probe.tasks()[0]
    with pytest.raises(SecretUnavailable, match="environment variable SN_UNSET_PASSWORD is not set") as caught:
        asyncio.run(device_task.run())  # type: ignore[arg-type]
    assert caught.value.reason is Reason.secret_unavailable


def test_one_exception_tree_with_reasons():
    from probes.broadband.common import MeasurementError, ServerUnreachable
    from probes.snmp import SnmpError
    from probes.switch.allowlist import ForbiddenCommand
    from probes.switch.common import UnparseableOutput
    from probes.switch.platforms import UnsupportedPlatform, platform_for
    from probes.switch.ssh import SshError
    from probes.wifi.beacons import CaptureError
    from probes.wifi.files import UnknownSourceError
    from probes.wifi.iw import IwParseError
    from probes.wifi.nmcli import NmcliParseError

    for cls in (UnparseableOutput, UnsupportedPlatform, CaptureError, UnknownSourceError, IwParseError,
                NmcliParseError):
        assert issubclass(cls, InputError) and cls.exit_code == 2, cls
    for cls in (SshError, SnmpError, MeasurementError, SecretUnavailable):
        assert issubclass(cls, CollectionError) and cls.exit_code == 3, cls
    assert issubclass(ForbiddenCommand, ProbeError) and issubclass(ProbeError, SchoolnetError)
    with pytest.raises(UnsupportedPlatform) as caught:
        platform_for("cisco_nxos")
    assert caught.value.reason is Reason.unsupported_platform
    assert ServerUnreachable("x").reason is Reason.unreachable
    with pytest.raises(InputError) as not_config:
        platform_for("cisco_xe").read_config("Shopping list:\n- milk\n")
    assert not_config.value.reason is Reason.not_a_configuration
