"""iw and nmcli text: recorded fixtures (tests/fixtures/wifi/<source>/<case>.txt + .expected.json), edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from probes.wifi.files import UnknownSourceError, analyze_file, detect_source
from probes.wifi.iw import IwParseError, parse_iw_scan, unescape_ssid
from probes.wifi.nmcli import (
    NODE_WIFI_FIELDS,
    NmcliParseError,
    parse_nmcli,
    signal_percent_to_dbm,
    split_terse,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wifi"
CASES = sorted(FIXTURES.glob("*/*.txt"))


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.stem}" for c in CASES])
def test_fixture_matches_expected(case: Path) -> None:
    expected = json.loads(case.with_suffix(".expected.json").read_text(encoding="utf-8"))
    scan = analyze_file(case)
    assert scan.source == case.parent.name
    got = {n.bssid: n.model_dump(mode="json") for n in scan.networks}
    for want in expected:
        network = got[want["bssid"]]
        for key, value in want.items():
            assert network[key] == value, f"{want['bssid']} {key}"


def test_detect_source_by_content(tmp_path: Path) -> None:
    assert detect_source(FIXTURES / "iw" / "modern-mixed.txt") == "iw"
    assert detect_source(FIXTURES / "nmcli" / "no-header.txt") == "nmcli"
    junk = tmp_path / "junk.pcap"
    junk.write_text("just some notes\n")
    with pytest.raises(UnknownSourceError, match="junk.pcap"):
        detect_source(junk)


def test_iw_unescape_and_scan_dump_without_ies() -> None:
    assert unescape_ssid("Caf\\xc3\\xa9\\x20") == "Café ".encode()
    assert unescape_ssid("a\\xzz") == b"a\\xzz"
    dump = "BSS 02:00:00:00:00:aa(on wlp2s0)\n\tfreq: 2412\n\tsignal: -30.00 dBm\n\tcapability: ESS (0x0001)\n"
    (network,) = parse_iw_scan(dump).networks
    assert (network.ssid, network.hidden, network.channel, network.security) == ("", True, 1, "open")


def test_iw_rejects_text_without_bss_lines() -> None:
    with pytest.raises(IwParseError):
        parse_iw_scan("wlan0     No scan results\n")


def test_nmcli_terse_splitting() -> None:
    assert split_terse(r"yes:a\:b:c\\d:") == ["yes", "a:b", "c\\d", ""]


def test_nmcli_signal_estimate_is_monotonic_and_bounded() -> None:
    values = [signal_percent_to_dbm(p) for p in range(0, 101)]
    assert values == sorted(values)
    assert (values[0], values[100], signal_percent_to_dbm(150)) == (-100, -40, -40)


def test_nmcli_node_wifi_field_order_without_header() -> None:
    line = r"no:Net:31\:23\:03\:1A\:9F\:1C:Infra:11:2462 MHz:100:WPA2:(none):pair_ccmp group_ccmp psk"
    (network,) = parse_nmcli(line).networks
    assert len(NODE_WIFI_FIELDS) == 10
    assert (network.bssid, network.channel, network.security, network.pmf) == (
        "31:23:03:1a:9f:1c", 11, "wpa2-personal", None)


def test_nmcli_errors_name_the_problem() -> None:
    with pytest.raises(NmcliParseError, match="no header"):
        parse_nmcli("a:b:c\n")
    with pytest.raises(NmcliParseError, match="WPA-FLAGS"):
        parse_nmcli("$ nmcli -t -f SSID,BSSID,SECURITY dev wifi list\nx:aa\\:bb\\:cc\\:dd\\:ee\\:ff:WPA2\n")
    with pytest.raises(NmcliParseError, match="line 2"):
        parse_nmcli("$ nmcli --terse --fields ssid,bssid,security,wpa-flags,rsn-flags device wifi list\n"
                    "x:aa\\:bb\\:cc\\:dd\\:ee\\:ff:WPA2:(none):psk\nshort:line\n")
