"""The capture parser: every security mode, PMF, generation, channel/width, SSID edge cases, link types."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from scapy.all import Dot11Elt, Dot11EltMicrosoftWPA, raw

from probes.wifi.beacons import (
    BeaconAnalyzer,
    CaptureError,
    analyze_bytes,
    analyze_capture,
    read_frames,
)
from tests.wifi.helpers import analyse, beacon, cipher, eht, he, he_6ghz_operation, ht, one, rsn, vht, write

TKIP, CCMP, GCMP256 = cipher(2), cipher(4), cipher(9)


def wpa1(akm: int = 2, pair: int = 2, group: int = 2) -> Dot11Elt:
    """WPA1 vendor element: 00:50:F2 type 1, version 1, group, one pairwise, one AKM (all 00:50:F2)."""
    body = b"\x00\x50\xf2\x01" + b"\x01\x00" + b"\x00\x50\xf2" + bytes([group])
    body += b"\x01\x00" + b"\x00\x50\xf2" + bytes([pair]) + b"\x01\x00" + b"\x00\x50\xf2" + bytes([akm])
    return Dot11Elt(ID=221, info=body)


# (description, extra elements, privacy, security, legacy_crypto, pmf, akm)
SECURITY_CASES = [
    ("open", [], False, "open", False, "none", []),
    ("wep: privacy bit without RSN/WPA", [], True, "wep", True, "none", []),
    ("owe", [rsn([18], mfpc=1, mfpr=1)], True, "owe", False, "required", ["OWE"]),
    ("wpa1 personal", [wpa1(akm=2)], True, "wpa-personal", True, "none", ["WPA-PSK"]),
    ("wpa1 enterprise", [wpa1(akm=1)], True, "wpa-enterprise", True, "none", ["WPA-802.1X"]),
    ("wpa2 personal", [rsn([2])], True, "wpa2-personal", False, "none", ["PSK"]),
    ("wpa2 personal sha256", [rsn([6], mfpc=1, mfpr=1)], True, "wpa2-personal", False, "required", ["PSK-SHA256"]),
    ("wpa2 personal with tkip", [rsn([2], pair=(TKIP, CCMP), group=TKIP)], True, "wpa2-personal", True, "none",
     ["PSK"]),
    ("wpa1+wpa2 mixed", [wpa1(), rsn([2], pair=(TKIP, CCMP), group=TKIP)], True, "wpa2-personal", True, "none",
     ["PSK", "WPA-PSK"]),
    ("wpa2 enterprise", [rsn([1], mfpc=1)], True, "wpa2-enterprise", False, "capable", ["802.1X"]),
    ("ft wpa2 enterprise", [rsn([1, 3])], True, "wpa2-enterprise", False, "none", ["802.1X", "FT-802.1X"]),
    ("ft psk", [rsn([2, 4])], True, "wpa2-personal", False, "none", ["PSK", "FT-PSK"]),
    ("wpa3 personal", [rsn([8], mfpc=1, mfpr=1)], True, "wpa3-personal", False, "required", ["SAE"]),
    ("ft sae", [rsn([8, 9], mfpc=1, mfpr=1)], True, "wpa3-personal", False, "required", ["SAE", "FT-SAE"]),
    ("sae-ext-key (wi-fi 7)", [rsn([24], mfpc=1, mfpr=1)], True, "wpa3-personal", False, "required",
     ["SAE-EXT-KEY"]),
    ("wpa3 transition psk+sae", [rsn([2, 8], mfpc=1)], True, "wpa3-personal", False, "capable", ["PSK", "SAE"]),
    ("wpa3 enterprise", [rsn([5], mfpc=1, mfpr=1)], True, "wpa3-enterprise", False, "required", ["802.1X-SHA256"]),
    ("wpa3 enterprise only: 802.1X + pmf required", [rsn([1], mfpc=1, mfpr=1)], True, "wpa3-enterprise", False,
     "required", ["802.1X"]),
    ("wpa3 enterprise transition", [rsn([1, 5], mfpc=1)], True, "wpa2-enterprise", False, "capable",
     ["802.1X", "802.1X-SHA256"]),
    ("wpa3 enterprise 192-bit", [rsn([12], pair=(GCMP256,), group=GCMP256, mfpc=1, mfpr=1)], True,
     "wpa3-enterprise", False, "required", ["802.1X-SUITE-B-192"]),
    ("ft wpa3 enterprise", [rsn([13], mfpc=1, mfpr=1)], True, "wpa3-enterprise", False, "required",
     ["FT-802.1X-SHA384"]),
]


@pytest.mark.parametrize(
    ("extra", "privacy", "security", "legacy", "pmf", "akm"),
    [case[1:] for case in SECURITY_CASES],
    ids=[case[0] for case in SECURITY_CASES],
)
def test_security_modes(tmp_path: Path, extra, privacy, security, legacy, pmf, akm) -> None:
    network = one(tmp_path, *extra, privacy=privacy)
    assert network.security == security
    assert network.legacy_crypto is legacy
    assert network.pmf == pmf
    assert sorted(network.akm) == sorted(akm)


def test_ciphers_and_group_management_cipher_are_listed(tmp_path: Path) -> None:
    network = one(tmp_path, rsn([2], pair=(TKIP, CCMP), group=TKIP))
    assert network.ciphers == ["TKIP", "CCMP"]
    assert one(tmp_path, rsn([12], pair=(GCMP256,), group=GCMP256, mfpc=1, mfpr=1)).ciphers == ["GCMP-256"]
    assert one(tmp_path, privacy=True).ciphers == ["WEP"]


def test_security_is_read_from_suites_not_from_the_ssid(tmp_path: Path) -> None:
    network = analyse(tmp_path, [beacon("02:00:00:00:00:09", b"WPA3-Secure", 6, -40, [], privacy=False)])[0]
    assert network.security == "open"


@pytest.mark.parametrize(
    ("extra", "generation", "phy"),
    [
        ([], None, "legacy"),
        ([ht()], 4, "ht"),
        ([ht(), vht()], 5, "vht"),
        ([ht(), vht(), he()], 6, "he"),
        ([ht(), vht(), he(), eht()], 7, "eht"),
        ([eht()], 7, "eht"),  # the highest element decides, whatever else is there
    ],
    ids=["legacy", "wifi4", "wifi5", "wifi6", "wifi7", "eht-only"],
)
def test_generation(tmp_path: Path, extra, generation, phy) -> None:
    network = one(tmp_path, rsn([8], mfpc=1, mfpr=1), *extra)
    assert network.generation == generation
    assert network.phy == phy
    assert network.wifi_6e is False


def test_wifi_6e_is_he_on_6ghz(tmp_path: Path) -> None:
    network = one(tmp_path, rsn([8], mfpc=1, mfpr=1), he(), he_6ghz_operation(37), channel=37, freq_mhz=6135)
    assert (network.band, network.channel, network.generation, network.wifi_6e) == ("6", 37, 6, True)
    assert network.channel_width_mhz == 80
    seven = one(tmp_path, rsn([8], mfpc=1, mfpr=1), he(), eht(), he_6ghz_operation(5), channel=5, freq_mhz=5975)
    assert (seven.band, seven.generation, seven.wifi_6e) == ("6", 7, False)


def test_6ghz_without_radiotap_band_comes_from_he_operation(tmp_path: Path) -> None:
    frame = beacon("02:00:00:00:00:06", b"six", 21, None, [rsn([8], mfpc=1, mfpr=1), he(), he_6ghz_operation(21)],
                   freq_mhz=6055, radiotap=False)
    network = analyse(tmp_path, [frame])[0]
    assert (network.band, network.channel, network.signal_dbm) == ("6", 21, None)


@pytest.mark.parametrize(
    ("extra", "width"),
    [
        ([ht()], 20),
        ([ht(), Dot11Elt(ID=61, info=bytes([36, 0x05]) + bytes(20))], 40),  # secondary above, any width
        ([ht(), Dot11Elt(ID=61, info=bytes([36, 0x01]) + bytes(20))], 20),  # secondary set but STA width 20
        ([ht(), vht(), Dot11Elt(ID=192, info=bytes([1, 42, 0, 0, 0]))], 80),
        ([ht(), vht(), Dot11Elt(ID=192, info=bytes([1, 42, 50, 0, 0]))], 160),
        ([ht(), vht(), Dot11Elt(ID=192, info=bytes([2, 50, 0, 0, 0]))], 160),
    ],
    ids=["20", "ht40", "ht20-with-offset", "vht80", "vht160", "vht160-deprecated"],
)
def test_channel_width(tmp_path: Path, extra, width) -> None:
    assert one(tmp_path, rsn([2]), *extra).channel_width_mhz == width


def test_channel_and_band_sources(tmp_path: Path) -> None:
    # 5 GHz beacons often carry no DS element: the RadioTap frequency gives the channel.
    assert (one(tmp_path, rsn([2]), channel=149).channel, one(tmp_path, rsn([2]), channel=149).band) == (149, "5")
    # The AP's own DS element wins over the receiver's tuned frequency (heard on an adjacent channel).
    network = analyse(tmp_path, [beacon("02:00:00:00:00:07", b"adj", 7, -80, [rsn([2])], freq_mhz=2437)])[0]
    assert (network.channel, network.band, network.frequency_mhz) == (7, "2.4", 2437)
    # HT operation's primary channel when there is neither DS nor RadioTap.
    frame = beacon("02:00:00:00:00:08", b"ht", 44, None, [rsn([2]), Dot11Elt(ID=61, info=bytes([44, 0]) + bytes(20))],
                   radiotap=False)
    assert (analyse(tmp_path, [frame])[0].channel, analyse(tmp_path, [frame])[0].band) == (44, "5")


def test_hidden_ssid_empty_and_nul_padded(tmp_path: Path) -> None:
    frames = [
        beacon("02:00:00:00:00:01", b"", 6, -50, [rsn([2])]),
        beacon("02:00:00:00:00:02", b"\x00" * 8, 6, -50, [rsn([2])]),
    ]
    for network in analyse(tmp_path, frames):
        assert network.ssid == "" and network.hidden is True


def test_hidden_ssid_named_by_a_probe_response_stays_marked_hidden(tmp_path: Path) -> None:
    frames = [
        beacon("02:00:00:00:00:01", b"", 6, -50, [rsn([2])]),
        beacon("02:00:00:00:00:01", b"Staff-Hidden", 6, -52, [rsn([2])], probe_response=True),
    ]
    (network,) = analyse(tmp_path, frames)
    assert (network.ssid, network.hidden, network.frames) == ("Staff-Hidden", True, 2)


def test_non_utf8_ssid_is_escaped_and_kept_exactly(tmp_path: Path) -> None:
    network = analyse(tmp_path, [beacon("02:00:00:00:00:01", b"Caf\xe9-\xff", 1, -60, [rsn([2])])])[0]
    assert network.ssid == "Caf\\xe9-\\xff"
    assert bytes.fromhex(network.ssid_hex or "") == b"Caf\xe9-\xff"
    utf8 = analyse(tmp_path, [beacon("02:00:00:00:00:02", "Invité".encode(), 1, -60, [rsn([2])])])[0]
    assert utf8.ssid == "Invité"


def test_owe_transition_element_is_noticed(tmp_path: Path) -> None:
    owe_tm = Dot11Elt(ID=221, info=b"\x50\x6f\x9a\x1c" + bytes.fromhex("020000000002") + b"\x04" + b"owe1")
    network = one(tmp_path, owe_tm, privacy=False)
    assert (network.security, network.owe_transition) == ("open", True)


def test_signal_is_the_median_and_bssid_lower_case(tmp_path: Path) -> None:
    frames = [beacon("02:AB:CD:00:00:01", b"s", 1, dbm, [rsn([2])]) for dbm in (-70, -40, -60, -61, -90)]
    (network,) = analyse(tmp_path, frames)
    assert network.bssid == "02:ab:cd:00:00:01"
    assert network.signal_dbm == -61
    assert network.frames == 5


def test_raw_80211_link_type_has_no_signal(tmp_path: Path) -> None:
    frame = beacon("02:00:00:00:00:01", b"raw", 11, -50, [rsn([8], mfpc=1, mfpr=1), ht()], radiotap=False)
    path = write(tmp_path / "raw.pcap", [frame])
    assert struct.unpack_from("<I", path.read_bytes(), 20)[0] == 105
    (network,) = analyze_capture(path).networks
    assert (network.signal_dbm, network.channel, network.band, network.security) == (None, 11, "2.4",
                                                                                      "wpa3-personal")


def test_raw_80211_with_an_unannounced_fcs_is_read(tmp_path: Path) -> None:
    frame = raw(beacon("02:00:00:00:00:01", b"fcs", 11, None, [rsn([2]), ht()], radiotap=False)) + b"\x12\x34\x56\x78"
    analyzer = BeaconAnalyzer()
    analyzer.add_frame(105, frame)
    assert analyzer.frames_malformed == 0
    assert analyzer.networks()[0].ssid == "fcs"


def test_radiotap_fcs_flag_and_bad_fcs(tmp_path: Path) -> None:
    from scapy.all import RadioTap

    body = beacon("02:00:00:00:00:01", b"fcs", 6, None, [rsn([2])], radiotap=False)
    good = RadioTap(present="Flags+Channel+dBm_AntSignal", Flags="FCS", ChannelFrequency=2437, ChannelFlags="CCK",
                    dBm_AntSignal=-44) / body
    bad = RadioTap(present="Flags+Channel+dBm_AntSignal", Flags="FCS+badFCS", ChannelFrequency=2437,
                   ChannelFlags="CCK", dBm_AntSignal=-44) / body
    analyzer = BeaconAnalyzer()
    analyzer.add_frame(127, raw(good) + b"\xde\xad\xbe\xef")
    analyzer.add_frame(127, raw(bad) + b"\xde\xad\xbe\xef")
    assert (analyzer.frames_total, analyzer.frames_malformed) == (2, 1)
    assert analyzer.networks()[0].signal_dbm == -44


def test_radiotap_with_tsft_and_extended_presence_words(tmp_path: Path) -> None:
    body = raw(beacon("02:00:00:00:00:01", b"ext", 1, None, [rsn([2])], radiotap=False))
    # Two presence words (the first has Ext set), then TSFT aligned to 8, Flags, Rate, Channel, dBm signal.
    present = 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x80000000
    fields = bytes(4) + struct.pack("<QBBHHb", 123456789, 0, 2, 2412, 0x00A0, -33)
    header = struct.pack("<BBHII", 0, 0, 12 + len(fields), present, 0x00000001) + fields
    analyzer = BeaconAnalyzer()
    analyzer.add_frame(127, header + body)
    assert analyzer.frames_malformed == 0
    assert (analyzer.networks()[0].signal_dbm, analyzer.networks()[0].frequency_mhz) == (-33, 2412)


def test_pcapng_reads_like_pcap(tmp_path: Path) -> None:
    frames = [beacon("02:00:00:00:00:01", b"ng", 6, -47, [rsn([8], mfpc=1, mfpr=1), ht(), vht(), he()])]
    (network,) = analyse(tmp_path, frames, pcapng=True)
    assert (network.ssid, network.signal_dbm, network.security, network.generation) == ("ng", -47, "wpa3-personal", 6)


def test_only_beacons_and_probe_responses_are_dissected(tmp_path: Path) -> None:
    from scapy.all import Dot11, Dot11ProbeReq, RadioTap

    probe_request = RadioTap() / Dot11(type=0, subtype=4, addr1="ff:ff:ff:ff:ff:ff", addr2="02:00:00:00:00:99",
                                       addr3="ff:ff:ff:ff:ff:ff") / Dot11ProbeReq() / Dot11Elt(ID=0, info=b"x")
    data = RadioTap() / Dot11(type=2, subtype=0, addr1="02:00:00:00:00:01", addr2="02:00:00:00:00:02")
    path = write(tmp_path / "mixed.pcap", [probe_request, data, beacon("02:00:00:00:00:01", b"b", 1, -50, [])])
    scan = analyze_capture(path)
    assert scan.frames_total == 3 and scan.frames_malformed == 0
    assert [n.ssid for n in scan.networks] == ["b"]


def test_malformed_elements_are_counted_and_skipped(tmp_path: Path) -> None:
    good = raw(beacon("02:00:00:00:00:01", b"ok", 1, -50, [rsn([2])]))
    truncated_element = good + b"\x30\x20\x01\x00"  # RSN claims 32 bytes, 2 remain
    five_pairwise_none_present = Dot11Elt(ID=48, info=b"\x01\x00\x00\x0f\xac\x04\x05\x00")
    bad_rsn = raw(beacon("02:00:00:00:00:02", b"bad", 1, -50, [five_pairwise_none_present]))
    stray = good + b"\x00"
    long_ssid = raw(beacon("02:00:00:00:00:03", b"x" * 40, 1, -50, []))
    analyzer = BeaconAnalyzer()
    for frame in (good, truncated_element, bad_rsn, stray, long_ssid, good[:30], b"", b"\x00"):
        analyzer.add_frame(127, frame)
    assert analyzer.frames_total == 8
    assert analyzer.frames_malformed == 7
    assert [n.ssid for n in analyzer.networks()] == ["ok"]


@pytest.mark.parametrize("pcapng", [False, True])
@pytest.mark.parametrize("cut", [10, 1])
def test_a_capture_cut_mid_record_is_truncated_not_malformed(tmp_path: Path, pcapng: bool, cut: int) -> None:
    """Issue 9 defect 9: the cut record is not one more malformed frame; the scan says it is truncated."""
    frame = beacon("02:00:00:00:00:01", b"a", 1, -50, [rsn([2])])
    whole = write(tmp_path / "whole.pcap", [frame] * 2, pcapng=pcapng).read_bytes()
    data = whole[:-cut]
    analyzer = analyze_bytes(data)
    assert (analyzer.frames_total, analyzer.frames_malformed) == (1, 0)
    scan = analyzer.scan()
    assert scan.truncated and scan.file_size_bytes == len(data)
    one_record = len(whole) - len(write(tmp_path / "one.pcap", [frame], pcapng=pcapng).read_bytes())
    assert scan.bytes_read == len(whole) - one_record  # up to the end of the last whole record
    assert [n.ssid for n in scan.networks] == ["a"]


def test_a_cut_record_header_is_truncated_too_and_a_whole_file_is_not(tmp_path: Path) -> None:
    whole = write(tmp_path / "w.pcap", [beacon("02:00:00:00:00:01", b"a", 1, -50, [])]).read_bytes()
    assert not analyze_bytes(whole).scan().truncated
    assert analyze_bytes(whole).scan().bytes_read is None
    header_cut = analyze_bytes(whole + b"\x00" * 7).scan()  # 7 bytes of a 16-byte record header
    assert header_cut.truncated and header_cut.bytes_read == len(whole)


def test_not_a_capture_and_wrong_link_type(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="not a pcap"):
        list(read_frames(b"hello world, not a capture"))
    ethernet = tmp_path / "eth.pcap"
    ethernet.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    with pytest.raises(CaptureError, match="link type 1"):
        analyze_capture(ethernet)
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(b"")
    with pytest.raises(CaptureError, match="empty"):
        analyze_capture(empty)


def test_big_endian_and_nanosecond_pcap(tmp_path: Path) -> None:
    frame = raw(beacon("02:00:00:00:00:01", b"be", 1, -50, [rsn([2])]))
    big = struct.pack(">IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 127) + struct.pack(">IIII", 1, 2, len(frame),
                                                                                        len(frame)) + frame
    assert [n.ssid for n in analyze_bytes(big).networks()] == ["be"]


def test_dot11_elt_microsoft_wpa_default_is_wpa_enterprise(tmp_path: Path) -> None:
    network = one(tmp_path, Dot11EltMicrosoftWPA())
    assert network.security == "wpa-enterprise" and network.legacy_crypto is True


def test_ppi_link_type_with_80211_common(tmp_path: Path) -> None:
    body = raw(beacon("02:00:00:00:00:01", b"kismet", 11, None, [rsn([2]), ht()], radiotap=False))
    common = struct.pack("<QHHHHBBbb", 0, 0, 2, 2462, 0x0080, 0, 0, -58, -95)
    field = struct.pack("<HH", 2, len(common)) + common
    header = struct.pack("<BBHI", 0, 0, 8 + len(field), 105) + field
    path = tmp_path / "ppi.pcap"
    path.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 192)
                     + struct.pack("<IIII", 0, 0, len(header + body), len(header + body)) + header + body)
    (network,) = analyze_capture(path).networks
    assert (network.ssid, network.signal_dbm, network.frequency_mhz, network.channel) == ("kismet", -58, 2462, 11)
