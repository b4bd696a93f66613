"""`schoolnet wifi analyze` through the real console script: contract JSON shape, text, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.wifi.helpers import beacon, eht, ht, rsn, write

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wifi"
CONTRACT_KEYS = {"bssid", "ssid", "channel", "band", "signal_dbm", "security", "legacy_crypto", "pmf", "generation",
                 "akm", "ciphers"}
RESULT_KEYS = {"requirement", "check", "status", "detail", "target", "evidence_ref"}


def schoolnet(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("schoolnet", path=str(Path(sys.executable).parent))
    assert exe, "schoolnet console script not installed in this venv"
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    return write(tmp_path / "b.pcap", [
        beacon("02:AA:00:00:00:01", b"School-Staff", 36, -48, [rsn([8], mfpc=1, mfpr=1), ht()]),
        beacon("02:AA:00:00:00:02", b"Open-Cafe", 1, -70, [], privacy=False),
    ])


def test_analyze_json_is_the_contract_shape_and_only_stdout(capture: Path, tmp_path: Path) -> None:
    done = schoolnet("wifi", "analyze", str(capture), "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # the open network fails wifi_no_open_networks
    body = json.loads(done.stdout)
    assert set(body) >= {"networks", "results"}
    assert len(body["networks"]) == 2
    for network in body["networks"]:
        assert set(network) >= CONTRACT_KEYS
        assert network["bssid"] == network["bssid"].lower()
        assert network["band"] in ("2.4", "5", "6")
    for result in body["results"]:
        assert set(result) >= RESULT_KEYS
        assert result["status"] in ("pass", "fail", "warn", "unknown", "not_applicable", "manual")
    assert "wifi_signal_coverage" not in {r["check"] for r in body["results"]}  # judged per survey location


def test_analyze_text_and_other_sources(tmp_path: Path) -> None:
    done = schoolnet("wifi", "analyze", str(FIXTURES / "iw" / "modern-mixed.txt"), cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert "Riverside-Staff" in done.stdout and "<hidden>" in done.stdout
    done = schoolnet("wifi", "analyze", str(FIXTURES / "nmcli" / "recommended-fields.txt"), "--format", "json",
                     cwd=tmp_path)
    assert json.loads(done.stdout)["source"] == "nmcli"


def test_analyze_with_config_judges_only_school_networks(capture: Path, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[site]\nid = "T"\nname = "T"\nphase = "primary"\n[wifi]\n'
                      'ssids = [{ ssid = "School-Staff", role = "staff" }]\nknown_bssids = ["02:aa:00:00:00:01"]\n')
    done = schoolnet("wifi", "analyze", str(capture), "--format", "json", "--config", str(config), cwd=tmp_path)
    statuses = {r["check"]: r["status"] for r in json.loads(done.stdout)["results"]}
    assert statuses["wifi_no_open_networks"] == "pass"
    assert statuses["wifi_school_ssids_wpa3_or_enterprise"] == "pass"
    assert statuses["wifi_no_rogue_school_ssid"] == "pass"
    assert done.returncode == 1  # Wi-Fi 4 fails wifi_latest_generation


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [(None, 2, "no such file"), (b"plain notes\n", 2, "not a pcap"),
     (b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + bytes(8) + b"\xff\xff\x00\x00\x01\x00\x00\x00", 2, "link type 1")],
    ids=["missing", "not-a-capture", "ethernet"],
)
def test_analyze_usage_errors(tmp_path: Path, content: bytes | None, code: int, message: str) -> None:
    path = tmp_path / "input.bin"
    if content is not None:
        path.write_bytes(content)
    done = schoolnet("wifi", "analyze", str(path), "--format", "json", cwd=tmp_path)
    assert done.returncode == code
    assert done.stdout == ""
    assert message in done.stderr and "input.bin" in done.stderr


def test_live_without_root_or_interface_cannot_run(tmp_path: Path) -> None:
    done = schoolnet("wifi", "live", "--interface", "nosuchwlan9", "--seconds", "1", cwd=tmp_path)
    assert done.returncode == 3
    assert "nosuchwlan9" in done.stderr or "root" in done.stderr


def test_a_capture_cut_mid_record_is_reported_as_truncated(tmp_path: Path) -> None:
    """Issue 9 defect 9: it exited 0 with "1 frames, 1 malformed"; now it says what was read, and exits 4."""
    frame = beacon("02:AA:00:00:00:01", b"School-Staff", 36, -48, [rsn([8], mfpc=1, mfpr=1), ht(), eht()])
    path = write(tmp_path / "cut.pcap", [frame, frame])
    path.write_bytes(path.read_bytes()[:-10])
    done = schoolnet("wifi", "analyze", str(path), "--format", "json", cwd=tmp_path)
    assert done.returncode == 4, done.stderr  # nothing failed, but the capture could be read only in part
    body = json.loads(done.stdout)
    assert body["truncated"] is True and body["frames_total"] == 1 and body["frames_malformed"] == 0
    assert body["bytes_read"] < body["file_size_bytes"] == path.stat().st_size
    assert "cut short mid-record" in done.stderr
    statuses = {r["check"]: r for r in body["results"]}
    pmf = statuses["wifi_pmf_enabled"]  # what was read passes, but a pass on part of a capture is not proven
    assert pmf["status"] == "unknown" and f"{body['bytes_read']:,} of" in pmf["detail"]
    text = schoolnet("wifi", "analyze", str(path), cwd=tmp_path)
    assert text.returncode == 4 and "TRUNCATED" in text.stdout


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("\tsignal: 1e308 dBm", "line 3: signal 1e308 dBm is impossible"),
        ("\tsignal: nan dBm", "line 3: signal nan dBm is impossible"),
        ("\tsignal: 45.00 dBm", "line 3: signal 45.00 dBm is impossible"),
        ("\tfreq: 1e308", "line 3: freq 1e308 MHz is impossible"),
        ("\tfreq: inf", "line 3: freq inf MHz is impossible"),
    ],
)
def test_impossible_iw_values_are_refused_with_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "scan.txt"
    path.write_text(f"BSS 02:aa:00:00:00:01(on wlan0)\n\tlast seen: 10 ms ago\n{line}\n\tSSID: School\n",
                    encoding="utf-8")
    done = schoolnet("wifi", "analyze", str(path), "--format", "json", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert message in done.stderr and str(path) in done.stderr


def test_impossible_nmcli_values_are_refused_with_the_line() -> None:
    from contract.errors import Reason
    from probes.wifi.nmcli import NmcliParseError, parse_nmcli

    good = ("no:School:5363686F6F6C:02\\:AA\\:00\\:00\\:00\\:01:Infra:36:5180 MHz:80 Mbit/s:{s}:***:WPA2:(none):"
            "pair_ccmp group_ccmp psk:80 MHz")
    fields = ("ACTIVE", "SSID", "SSID-HEX", "BSSID", "MODE", "CHAN", "FREQ", "RATE", "SIGNAL", "BARS", "SECURITY",
              "WPA-FLAGS", "RSN-FLAGS", "BANDWIDTH")
    assert parse_nmcli(good.format(s=70), fields).networks[0].signal_dbm == -58
    with pytest.raises(NmcliParseError, match="line 2: SIGNAL 250 is impossible") as caught:
        parse_nmcli(good.format(s=70) + "\n" + good.format(s=250), fields)
    assert caught.value.reason is Reason.impossible_value
