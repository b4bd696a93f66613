"""Issue 9 defect 1: every accepted platform name, aliases included, scrubs its platform's canary corpus.

The corpora in tests/fixtures/switch/canaries/<platform>.txt hold every secret syntax of a platform, each value
marked CANARY. Under every name a user may type (``cisco_xe`` is the name most Catalyst 9000 owners use; the IOS
corpus runs under every IOS-family name because they are one platform), no canary reaches the sanitised text,
the audit-config output (json and text), a scan's report.json/HTML/CSV, the signed envelope, the logs, stdout or
stderr. A platform or alias added without scrub rules or without a corpus makes a test here fail.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w

from probes.switch.common import Platform
from probes.switch.platforms import PLATFORMS, UnsupportedPlatform, index, platform_for, supported_platforms
from probes.switch.sanitise import REMOVED, rules, sanitise

REPO = Path(__file__).resolve().parents[2]
CORPORA = REPO / "tests" / "fixtures" / "switch" / "canaries"
LAB_DATA = REPO / "agent" / "lab" / "switch_data"
CANARY = re.compile(r"CANARY\w*")

# The secret syntaxes each corpus must keep covering (a corpus trimmed by accident fails here first).
SYNTAXES: dict[str, tuple[str, ...]] = {
    "cisco_ios": (r"^enable secret 5 ", r"^enable password 0 ", r"^username \S+ .*password 7 ",
                  r"^username \S+ .*secret 9 ", r"^line vty(?:.*\n)+? password ", r"^line con(?:.*\n)+? password ",
                  r"^snmp-server community ", r"^snmp-server host .* version 2c ", r"^snmp-server user .* v3 auth ",
                  r"^radius server(?:.*\n)+? key ", r"^tacacs server(?:.*\n)+? key ", r"^radius-server host .* key ",
                  r"^tacacs-server host .* key "),
    "hp_procurve": (r"^password manager .*plaintext ", r"^password operator .*plaintext ", r"^snmp-server community ",
                    r"^snmpv3 user .* auth .* priv ", r"^radius-server host .* key ", r"^tacacs-server host .* key "),
    "aruba_aoscx": (r"^user .* password plaintext ", r"^user .* password ciphertext ", r"^snmp-server community ",
                    r"auth-pass plaintext ", r"priv-pass ciphertext ", r"^radius-server host .* key ",
                    r"^tacacs-server host .* key "),
    "juniper_junos": (r"encrypted-password ", r"radius-server(?:.*\n)+?.* secret ", r"tacplus-server", r"community ",
                      r"authentication-key ", r"privacy-key "),
}


def corpus(name: str) -> str:
    return (CORPORA / f"{platform_for(name).name}.txt").read_text(encoding="utf-8")


def leaks(places: dict[str, str]) -> dict[str, list[str]]:
    return {where: sorted(set(CANARY.findall(text))) for where, text in places.items() if CANARY.search(text)}


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.name)
def test_every_platform_has_a_corpus_covering_its_secret_syntax(platform: Platform):
    path = CORPORA / f"{platform.name}.txt"
    assert path.is_file(), f"add {path.relative_to(REPO)}: every secret syntax of {platform.name}, marked CANARY"
    text = path.read_text(encoding="utf-8")
    assert platform.name in SYNTAXES, f"list the secret syntaxes of {platform.name} in SYNTAXES"
    missing = [s for s in SYNTAXES[platform.name] if not re.search(s, text, re.MULTILINE)]
    assert missing == []
    assert len(CANARY.findall(text)) >= 8


@pytest.mark.parametrize("name", supported_platforms())
def test_sanitiser_removes_every_canary_under_every_name(name: str):
    text = corpus(name)
    clean = sanitise(text, name)
    assert CANARY.findall(clean) == []
    assert clean.count("\n") == text.count("\n") and REMOVED in clean  # keywords stay: a reader sees a secret is set


def test_the_aliases_are_accepted_and_share_their_platform():
    assert platform_for("cisco_xe") is platform_for("cisco_ios")
    assert platform_for("aruba_procurve") is platform_for("hp_procurve")
    assert set(supported_platforms()) == {n for p in PLATFORMS for n in p.names}


def test_an_unknown_name_is_refused_not_scrubbed_with_shared_rules_only():
    with pytest.raises(UnsupportedPlatform):
        sanitise("enable password 0 CANARYx", "cisco_iosxe")


def test_a_platform_without_scrub_rules_or_with_a_taken_name_is_refused_at_import():
    class Bare(Platform):
        name = "bare_os"
        aliases = ("bare",)
        vendor = "Nobody"
        config_command = "show config"
        commands = ("show config",)
        scrub_rules = ()

    class Thief(Platform):
        name = "thief_os"
        aliases = ("cisco_xe",)
        vendor = "Nobody"
        config_command = "show config"
        commands = ("show config",)
        scrub_rules = rules((r"^(secret )\S+", r"\g<1><removed>"))

    with pytest.raises(RuntimeError, match="no scrub rules"):
        index((*PLATFORMS, Bare()))
    with pytest.raises(RuntimeError, match="'cisco_xe' is claimed"):
        index((*PLATFORMS, Thief()))


@pytest.mark.parametrize("name", supported_platforms())
def test_audit_config_under_every_name_prints_no_secret(name: str, tmp_path: Path, capfd, caplog):
    from typer.testing import CliRunner

    from agent.cli import app

    caplog.set_level(logging.DEBUG)
    path = tmp_path / f"{name}.cfg"
    path.write_text(corpus(name), encoding="utf-8")
    runner = CliRunner()
    outputs = {}
    for fmt in ("json", "text"):
        result = runner.invoke(app, ["switch", "audit-config", str(path), "--platform", name, "--format", fmt])
        assert result.exit_code in (0, 1), result.output
        outputs[fmt] = result.output
    captured = capfd.readouterr()
    document = json.loads(outputs["json"])
    assert document["platform"] == name
    [evidence] = document["evidence"]  # the sanitised configuration it judged is in the output
    assert REMOVED in evidence["data"]["running_config"]
    assert leaks({**outputs, "stdout": captured.out, "stderr": captured.err, "logs": caplog.text}) == {}


def _lab_case(name: str, root: Path) -> Path:
    """A copy of the platform's first lab recording with its configuration replaced by the canary corpus."""
    platform = platform_for(name)
    source = sorted(p for p in (LAB_DATA / platform.name).iterdir() if p.is_dir())[0]
    case = root / name
    shutil.copytree(source, case)
    (case / f"{platform.config_command.replace(' ', '_')}.txt").write_text(corpus(name), encoding="utf-8")
    return case


def test_a_scan_under_every_name_stores_no_secret_anywhere(tmp_path: Path):
    """Real SSH to simulated switches named by every accepted platform name, through `schoolnet -v scan`."""
    pytest.importorskip("fakenos", reason="fakenos (the [lab] extra) is not installed")
    from agent.delivery.signing import init_keys
    from agent.lab.switches import LabSwitch, SwitchLab

    switches = [LabSwitch(f"{name.upper().replace('_', '-')}-SW", name, str(_lab_case(name, tmp_path / "cases")))
                for name in supported_platforms()]
    lab = SwitchLab(switches, snmp=False)
    try:
        fragment = lab.start(tmp_path / "lab")
        config = {"site": {"id": "T-1", "name": "Canary school", "phase": "secondary"},
                  "probes": {"target_timeout_s": 60, "concurrency": 16}, "switches": fragment["switches"]}
        path = tmp_path / "schoolnet.toml"
        path.write_text(tomli_w.dumps(config), encoding="utf-8")
        out = tmp_path / "out"
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "schoolnet"), "-v", "scan", "--config", str(path), "--only",
             "switches", "--output", str(out), "--format", "json", "--no-progress"],
            capture_output=True, text=True, timeout=180, check=False,
        )
    finally:
        lab.stop()
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    report_bytes = (out / "report.json").read_bytes()
    report = json.loads(report_bytes)
    devices = {e["target"]: e for e in report["evidence"] if e["kind"] == "switch.device"}
    for switch in switches:  # every device was read over SSH and its configuration stored, scrubbed
        evidence = devices[switch.name]
        assert evidence["ok"], evidence["error"]
        assert REMOVED in evidence["data"]["running_config"], switch.name
    envelope = init_keys(tmp_path / "state").sign(report_bytes)
    places = {
        "stdout": proc.stdout,
        "stderr (logs)": proc.stderr,
        "envelope": json.dumps(envelope),
        "envelope payload": base64.b64decode(envelope["payload"]).decode("utf-8"),
        **{f.name: f.read_text(encoding="utf-8", errors="replace") for f in out.iterdir() if f.is_file()},
    }
    assert {"report.json", "report.html", "report.csv"} <= set(places)
    assert leaks(places) == {}


@pytest.mark.parametrize("name", supported_platforms())
def test_the_evidence_names_the_canonical_platform_so_judging_never_sees_an_alias(name: str):
    """An alias once missed the firmware data too (aruba_procurve: 'No supported-release data')."""
    from agent.cli.switch import evidence_record, judge
    from probes.switch.probe import build_device

    platform = platform_for(name)
    device = build_device(name, "edge", None, platform.read_config(corpus(name)), None, None, [], [])
    assert device.platform == platform.name
    fixed = device.model_copy(update={"firmware_version": {"cisco_ios": "17.12.4", "hp_procurve": "WC.16.11.0012",
                                                           "aruba_aoscx": "FL.10.13.1000",
                                                           "juniper_junos": "23.4R2"}[platform.name]})
    results = judge(evidence_record(fixed, "sw"), "secondary")
    details = {r.detail for r in results if r.check == "switch_firmware_supported"}
    assert details and not any("No supported-release data" in d for d in details), details
