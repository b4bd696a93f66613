"""Survey samples: record, load, merge per location (median), scans from recorded iw/nmcli runs, the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.errors import UsageError
from contract.evidence.wifi import WifiNetwork, WifiScan, WifiSurvey
from probes.wifi.survey import (
    SurveyError,
    aggregate,
    load_samples,
    merge_networks,
    record_sample,
    site_scan,
    take_scan,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wifi"
T0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def net(bssid: str, ssid: str, dbm: int | None) -> WifiNetwork:
    return WifiNetwork(bssid=bssid, ssid=ssid, signal_dbm=dbm, security="wpa3-personal", legacy_crypto=False)


def test_record_load_and_aggregate(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "survey.jsonl"
    for minutes, room, dbm in ((0, "Hall", -60), (5, "Hall", -50), (9, "Hall", -70), (12, "Room 1", -66)):
        record_sample(path, room, WifiScan(source="iw", networks=[net("02:00:00:00:00:01", "Staff", dbm)]),
                      T0 + timedelta(minutes=minutes))
    samples = load_samples(path)
    assert [s.location for s in samples] == ["Hall", "Hall", "Hall", "Room 1"]
    rooms = aggregate(samples, ["Library", "Hall"])
    assert [r.location for r in rooms] == ["Library", "Hall", "Room 1"]
    library, hall, room1 = rooms
    assert isinstance(hall, WifiSurvey) and hall.kind == "wifi.survey"
    assert (library.samples, library.networks) == (0, [])
    assert (hall.samples, hall.networks[0].signal_dbm, hall.source) == (3, -60, "iw")
    assert hall.first_sample_at == T0.isoformat() and room1.samples == 1
    whole = site_scan(samples)
    assert whole is not None and whole.kind == "wifi.scan" and whole.location is None and whole.samples == 4


def test_merge_keeps_latest_fields_and_median_signal() -> None:
    merged = merge_networks([[net("02:00:00:00:00:01", "A", -70)], [net("02:00:00:00:00:01", "A", None),
                                                                     net("02:00:00:00:00:02", "B", -40)]])
    assert [(n.bssid, n.signal_dbm) for n in merged] == [("02:00:00:00:00:01", -70), ("02:00:00:00:00:02", -40)]
    assert site_scan([]) is None


def test_bad_survey_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    record_sample(path, "Hall", WifiScan(source="iw"), T0)
    with path.open("a") as handle:
        handle.write("{not json\n")
    with pytest.raises(SurveyError, match=r"s\.jsonl:2"):
        load_samples(path)
    assert load_samples(tmp_path / "missing.jsonl") == []


class Replay:
    """A runner that answers commands from recorded output, and remembers what was asked."""

    def __init__(self, answers: dict[str, tuple[int, str, str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, argv: Any) -> tuple[int, str, str]:
        key = " ".join(argv)
        self.asked.append(key)
        for prefix, answer in self.answers.items():
            if key.startswith(prefix):
                return answer
        return 127, "", f"{argv[0]}: command not found"


def test_take_scan_prefers_iw_then_falls_back_to_dump_then_nmcli() -> None:
    iw_text = (FIXTURES / "iw" / "modern-mixed.txt").read_text()
    runner = Replay({"iw dev wlan0 scan dump": (0, iw_text, ""),
                     "iw dev wlan0 scan": (255, "", "command failed: Operation not permitted (-1)")})
    assert take_scan("wlan0", runner).source == "iw"
    assert runner.asked == ["iw dev wlan0 scan", "iw dev wlan0 scan dump"]
    nmcli_text = "\n".join((FIXTURES / "nmcli" / "recommended-fields.txt").read_text().splitlines()[1:])
    runner = Replay({"nmcli": (0, nmcli_text, "")})
    scan = take_scan("wlan0", runner)
    assert scan.source == "nmcli" and len(scan.networks) == 9
    assert runner.asked[-1].endswith("ifname wlan0")
    with pytest.raises(SurveyError, match="Operation not permitted"):
        take_scan("wlan0", Replay({"iw dev wlan0 scan": (255, "", "Operation not permitted")}))


def write_config(tmp_path: Path, survey_file: Path) -> Path:
    config = tmp_path / "schoolnet.toml"
    config.write_text(
        '[site]\nid = "T1"\nname = "Test"\nphase = "primary"\n\n'
        "[wifi]\n"
        'ssids = [{ ssid = "Riverside-Staff", role = "staff" }, { ssid = "Riverside-Student", role = "student" }]\n'
        'known_ouis = ["0a:5c:01"]\n'
        'locations = ["Hall", "Room 1"]\n'
        f'survey_file = "{survey_file}"\n'
    )
    return config


def test_cli_survey_from_file_records_and_judges(tmp_path: Path) -> None:
    survey_file = tmp_path / "survey.jsonl"
    config = write_config(tmp_path, survey_file)
    source = FIXTURES / "iw" / "modern-mixed.txt"
    runner = CliRunner()
    result = runner.invoke(app, ["wifi", "survey", "--location", "Hall", "--from", str(source), "--config",
                                 str(config), "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["location"] == "Hall" and body["samples"] == 1
    assert [r["check"] for r in body["results"]] == ["wifi_signal_coverage"]
    assert body["results"][0]["status"] == "pass"  # staff -48 dBm, student -61 dBm
    assert len(load_samples(survey_file)) == 1
    again = runner.invoke(app, ["wifi", "survey", "--location", "Hall", "--from", str(source), "--config",
                                str(config), "--format", "json"])
    assert json.loads(again.stdout)["samples"] == 2


def test_cli_survey_rejects_unknown_location(tmp_path: Path) -> None:
    config = write_config(tmp_path, tmp_path / "s.jsonl")
    result = CliRunner().invoke(app, ["wifi", "survey", "--location", "Gym", "--from",
                                      str(FIXTURES / "iw" / "modern-mixed.txt"), "--config", str(config)])
    assert isinstance(result.exception, UsageError)  # main() maps it to exit code 2
    assert "Hall, Room 1" in str(result.exception)
