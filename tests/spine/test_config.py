"""Config loading: every mistake is exit 2 with the file, key and line named; nothing is guessed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.config import load_config
from agent.config.secrets import SecretRef
from agent.errors import ConfigError
from tests.conftest import REPO_ROOT

GOOD = """\
[site]
id = "100001"
name = "Test Primary"
phase = "primary"

[thresholds]
wifi_signal_min_dbm = -70
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schoolnet.toml"
    path.write_text(text, encoding="utf-8")
    return path


def schoolnet(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, text=True, timeout=60)


def test_example_config_is_valid() -> None:
    config = load_config(REPO_ROOT / "config.example.toml")
    assert config.site.phase == "primary"
    assert config.upload.enabled is False


def test_thresholds_reach_the_site_profile(tmp_path: Path) -> None:
    profile = load_config(write(tmp_path, GOOD)).site_profile()
    assert profile.overrides["wifi_signal_coverage"] == {"min_signal_dbm": -70}


def test_unknown_key_names_key_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + '\n[[switches.devices]]\nname = "a"\nhost = "h"\nplatform = "cisco_ios"\n'
                 'pasword = "x"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert f"{path}:13" in message
    assert "pasword" in message and "password" in message  # the allowed keys are listed


def test_misspelt_section_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r":9: unknown key 'wfi'"):
        load_config(write(tmp_path, GOOD + "\n[wfi]\nenabled = true\n"))


def test_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, GOOD.replace('"primary"', '"infant"')))
    assert ":4:" in str(caught.value) and "site.phase" in str(caught.value) and "infant" in str(caught.value)


def test_missing_required_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing required key 'site.name'"):
        load_config(write(tmp_path, GOOD.replace('name = "Test Primary"\n', "")))


def test_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML.*line 2"):
        load_config(write(tmp_path, "[site]\nid = \n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_a_literal_secret_is_refused(tmp_path: Path) -> None:
    text = GOOD + '\n[[switches.devices]]\nname = "a"\nhost = "h"\nplatform = "cisco_ios"\npassword = "hunter2"\n'
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert "switches.devices[0].password" in str(caught.value)
    assert "hunter2" not in str(caught.value)  # the error never echoes a secret-looking value


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["scan", "--config", "{missing}"], "config file not found"),
        (["scan", "--config", "{bad}"], "unknown key 'wfi'"),
        (["scan", "--config", "{good}", "--only", "switches,printers"], "unknown probe(s) printers"),
    ],
)
def test_cli_config_errors_exit_2(tmp_path: Path, args: list[str], needle: str) -> None:
    paths = {
        "missing": str(tmp_path / "missing.toml"),
        "bad": str(write(tmp_path, GOOD + "\n[wfi]\n")),
        "good": str(tmp_path / "good.toml"),
    }
    (tmp_path / "good.toml").write_text(GOOD)
    result = schoolnet(*[a.format(**paths) for a in args])
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
    assert result.stdout == ""


def test_secret_ref_env_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SN_TEST_SECRET", "s3cret")
    assert SecretRef(env="SN_TEST_SECRET").resolve().get_secret_value() == "s3cret"
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file\n")
    secret_file.chmod(0o600)  # a secret file others can read is refused
    assert SecretRef(file=secret_file).resolve().get_secret_value() == "from-file"
    with pytest.raises(ConfigError, match="SN_TEST_MISSING is not set"):
        SecretRef(env="SN_TEST_MISSING").resolve()
    with pytest.raises(ValueError):
        SecretRef()


def test_every_commented_example_in_config_example_is_valid() -> None:
    """Uncomment every example line of config.example.toml: the result must still load (docs never rot)."""
    import re
    import tomllib

    from agent.config import Config

    example = re.compile(r"^# (\[\[?[a-z_.0-9]+\]\]?\s*(#.*)?$|[a-z_0-9]+ = )")
    lines = [line[2:] if example.match(line) else line
             for line in (REPO_ROOT / "config.example.toml").read_text().splitlines()]
    uncommented = "\n".join(lines)
    config = Config.model_validate(tomllib.loads(uncommented))
    assert config.switches.devices and config.switches.ups and config.switches.discovery
    assert config.wifi.live and config.wifi.guest_isolation and config.wifi.ssids
    assert config.broadband.router and config.broadband.wan_links and config.attestations
    assert config.upload.url
