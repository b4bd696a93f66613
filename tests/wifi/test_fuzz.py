"""Property-based fuzzing: no input, however broken, makes an exception escape the parsers."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.all import raw

from probes.wifi.beacons import BeaconAnalyzer, CaptureError, analyze_bytes
from probes.wifi.ies import MalformedElement, decode_elements, parse_rsn, split_elements
from probes.wifi.iw import IwParseError, parse_iw_scan
from probes.wifi.nmcli import NmcliParseError, parse_nmcli
from tests.wifi.helpers import beacon, he, ht, rsn, vht

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_GOOD = raw(beacon("02:00:00:00:00:01", b"fuzz", 36, -50, [rsn([2, 8], mfpc=1), ht(), vht(), he()]))
_IES_AT = _GOOD.index(b"\x00\x04fuzz")  # the SSID element: where the elements begin

# Elements with ids that matter to the parser, and arbitrary (possibly lying) lengths and bodies.
element = st.tuples(
    st.sampled_from([0, 3, 45, 48, 61, 191, 192, 221, 255, 5, 7, 50]),
    st.integers(min_value=0, max_value=255),
    st.binary(max_size=64),
).map(lambda t: bytes([t[0], t[1]]) + t[2])
vendor_prefixes = st.sampled_from([b"\x00\x50\xf2\x01", b"\x50\x6f\x9a\x1c", b"\x00\x50\xf2\x02"])


@FUZZ
@given(st.lists(element, max_size=12))
def test_random_elements_never_raise(elements: list[bytes]) -> None:
    analyzer = BeaconAnalyzer()
    analyzer.add_frame(127, _GOOD[:_IES_AT] + b"".join(elements))
    assert analyzer.frames_total == 1
    assert analyzer.frames_malformed + len(analyzer.networks()) == 1


@FUZZ
@given(st.binary(max_size=80), vendor_prefixes, st.sampled_from([48, 221, 255, 61, 192]))
def test_security_element_bodies_never_raise(body: bytes, prefix: bytes, eid: int) -> None:
    payload = (prefix + body if eid == 221 else bytes([35 if body[:1] == b"" else body[0]]) + body if eid == 255
               else body)[:255]
    analyzer = BeaconAnalyzer()
    analyzer.add_frame(127, _GOOD[:_IES_AT] + b"\x00\x01x" + bytes([eid, len(payload)]) + payload)
    assert analyzer.frames_total == 1


@FUZZ
@given(st.binary(max_size=64))
def test_parse_rsn_raises_only_malformed(body: bytes) -> None:
    for wpa1 in (False, True):
        try:
            parse_rsn(body, wpa1=wpa1)
        except MalformedElement:
            pass


@FUZZ
@given(st.binary(max_size=200))
def test_split_and_decode_raise_only_malformed(data: bytes) -> None:
    try:
        decode_elements(split_elements(data))
    except MalformedElement:
        pass


@FUZZ
@given(st.binary(max_size=400), st.sampled_from([105, 127, 192]))
def test_whole_random_frames_never_raise(frame: bytes, linktype: int) -> None:
    analyzer = BeaconAnalyzer()
    analyzer.add_frame(linktype, frame)
    assert analyzer.frames_total == 1


@FUZZ
@given(st.integers(min_value=0, max_value=len(_GOOD)), st.binary(max_size=8))
def test_truncated_and_padded_real_frames_never_raise(cut: int, tail: bytes) -> None:
    analyzer = BeaconAnalyzer()
    analyzer.add_frame(127, _GOOD[:cut] + tail)
    assert analyzer.frames_total == 1


@FUZZ
@given(st.binary(max_size=300))
def test_random_files_raise_only_capture_error(data: bytes) -> None:
    header = b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + bytes(8) + b"\xff\xff\x00\x00\x7f\x00\x00\x00"
    for candidate in (data, header + data, b"\x0a\x0d\x0d\x0a" + data):
        try:
            analyze_bytes(candidate)
        except CaptureError:
            pass


@FUZZ
@given(st.text(max_size=400))
def test_iw_and_nmcli_text_raise_only_their_parse_errors(text: str) -> None:
    for candidate in (text, "BSS 02:00:00:00:00:01(on wlan0)\n" + text):
        try:
            parse_iw_scan(candidate)
        except IwParseError:
            pass
    try:
        parse_nmcli(text)
    except NmcliParseError:
        pass
