"""Parse ``iw dev IF scan`` / ``iw dev IF scan dump`` text into the same per-BSS evidence as captures.

iw prints each BSS as a ``BSS aa:bb:..(on wlan0)`` line followed by indented ``key: value`` lines (a tab
or four spaces; the element sections such as ``RSN:`` continue on deeper-indented ``* ...`` lines).
iw has already decoded the RSN/WPA elements into suite names, so those names are mapped back to suite
numbers and judged by the same :func:`probes.wifi.ies.classify` as beacons: the security mode comes
from the AKM and cipher suites, not from a label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from contract.errors import InputError, Reason
from contract.evidence.wifi import WifiNetwork, WifiScan
from probes.wifi.ies import (
    OUI_IEEE,
    OUI_MS,
    OUI_WFA,
    SIGNAL_DBM_MAX,
    SIGNAL_DBM_MIN,
    RsnInfo,
    classify,
    decode_ssid,
    freq_to_band,
    freq_to_channel,
    plausible_freq_mhz,
    plausible_signal_dbm,
    suite,
)

_BSS_LINE = re.compile(r"^BSS ([0-9a-fA-Fx]{2}(?::[0-9a-fA-Fx]{2}){5})")
_HEX_SUITE = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{2})-([0-9a-f]{2}):(\d+)$", re.IGNORECASE)
_CAPS_HEX = re.compile(r"\(0x([0-9a-f]+)\)\s*$", re.IGNORECASE)

# iw's names for AKM suites (scan.c print_auth), longest first so "FT/IEEE 802.1X/SHA-384" wins.
_IW_AKMS: dict[str, int] = {
    "IEEE 802.1X": 1,
    "PSK": 2,
    "FT/IEEE 802.1X": 3,
    "FT/PSK": 4,
    "IEEE 802.1X/SHA-256": 5,
    "PSK/SHA-256": 6,
    "TDLS/TPK": 7,
    "SAE": 8,
    "FT/SAE": 9,
    "IEEE 802.1X/SUITE-B": 11,
    "IEEE 802.1X/SUITE-B-192": 12,
    "FT/IEEE 802.1X/SHA-384": 13,
    "FILS/SHA-256": 14,
    "FILS/SHA-384": 15,
    "FT/FILS/SHA-256": 16,
    "FT/FILS/SHA-384": 17,
    "OWE": 18,
    "FT/PSK/SHA-384": 19,
    "PSK/SHA-384": 20,
    "SAE-EXT-KEY": 24,
    "FT/SAE-EXT-KEY": 25,
}
_IW_AKM_RE = re.compile(
    "|".join(re.escape(n) for n in sorted([*_IW_AKMS, "OSEN", "DPP"], key=len, reverse=True))
    + r"|[0-9a-fA-F]{2}-[0-9a-fA-F]{2}-[0-9a-fA-F]{2}:\d+"
)
_IW_CIPHERS: dict[str, int] = {
    "Use group cipher suite": 0,
    "WEP-40": 1,
    "TKIP": 2,
    "CCMP": 4,
    "WEP-104": 5,
    "AES-128-CMAC": 6,
    "NO-GROUP": 7,
    "GCMP": 8,
    "GCMP-128": 8,
    "GCMP-256": 9,
    "CCMP-256": 10,
    "BIP-GMAC-128": 11,
    "BIP-GMAC-256": 12,
    "BIP-CMAC-256": 13,
}


class IwParseError(InputError):
    """The text is not iw scan output, or holds a value no radio can report (reason ``impossible_value``)."""


def looks_like_iw(text: str) -> bool:
    return any(_BSS_LINE.match(line) for line in text.splitlines()[:50])


@dataclass
class _Block:
    bssid: str
    lines: list[tuple[int, str]] = field(default_factory=list)  # (indent, stripped text)
    numbers: list[int] = field(default_factory=list)  # the file's line number of each entry in lines


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        match = _BSS_LINE.match(raw)
        if match:
            blocks.append(_Block(match.group(1).lower()))
            continue
        if not blocks or not raw.strip():
            continue
        expanded = raw.expandtabs(8)
        blocks[-1].lines.append((len(expanded) - len(expanded.lstrip()), expanded.strip()))
        blocks[-1].numbers.append(number)
    return blocks


def _measure(block: _Block, key: str, value: str, unit: str) -> float | None:
    """The number at the start of ``value`` (a top-level ``key: value`` line); None when there is none.
    IwParseError (impossible_value), naming the line, when no radio can report it."""
    try:
        number = float(value.split()[0])
    except (ValueError, IndexError):
        return None
    plausible = plausible_signal_dbm(number) if unit == "dBm" else plausible_freq_mhz(number)
    if not plausible:
        line = next((n for n, (_indent, text) in zip(block.numbers, block.lines, strict=True)
                     if text.startswith(f"{key}:")), None)
        where = f"line {line}" if line is not None else f"BSS {block.bssid}"
        expected = (f"{SIGNAL_DBM_MIN:g} to {SIGNAL_DBM_MAX:+g} dBm" if unit == "dBm"
                    else "a Wi-Fi frequency (2.4, 5 or 6 GHz band)")
        raise IwParseError(f"{where}: {key} {value.split()[0]} {unit} is impossible (expected {expected})",
                           reason=Reason.impossible_value)
    return number


def unescape_ssid(text: str) -> bytes:
    """iw escapes unprintable bytes (and non-ASCII, and edge spaces) as \\xNN; undo it."""
    out = bytearray()
    i = 0
    while i < len(text):
        if text.startswith("\\x", i) and i + 4 <= len(text):
            try:
                out.append(int(text[i + 2 : i + 4], 16))
                i += 4
                continue
            except ValueError:
                pass
        out.extend(text[i].encode("utf-8"))
        i += 1
    return bytes(out)


def _suite_from_hex(token: str) -> int | None:
    match = _HEX_SUITE.match(token)
    if not match:
        return None
    oui = int(match.group(1) + match.group(2) + match.group(3), 16)
    return suite(oui, int(match.group(4)))


def _akms(text: str, oui: int) -> tuple[int, ...]:
    out = []
    for token in _IW_AKM_RE.findall(text):
        if token in _IW_AKMS:
            out.append(suite(oui, _IW_AKMS[token]) if _IW_AKMS[token] <= 2 else suite(OUI_IEEE, _IW_AKMS[token]))
        elif token in ("OSEN", "DPP"):
            out.append(suite(OUI_WFA, 1 if token == "OSEN" else 2))
        elif (value := _suite_from_hex(token)) is not None:
            out.append(value)
    return tuple(out)


def _ciphers(text: str, oui: int) -> tuple[int, ...]:
    text = text.replace("Use group cipher suite", "Use-group")
    out = []
    for token in text.split():
        if token == "Use-group":
            out.append(suite(oui, 0))
        elif token in _IW_CIPHERS:
            out.append(suite(oui, _IW_CIPHERS[token]))
        elif (value := _suite_from_hex(token)) is not None:
            out.append(value)
    return tuple(out)


def _security_section(items: dict[str, str], *, wpa1: bool) -> RsnInfo:
    oui = OUI_MS if wpa1 else OUI_IEEE
    group = _ciphers(items.get("group cipher", ""), oui)
    pairwise = _ciphers(items.get("pairwise ciphers", ""), oui)
    akms = _akms(items.get("authentication suites", ""), oui)
    caps = None
    if (match := _CAPS_HEX.search(items.get("capabilities", ""))) is not None:
        caps = int(match.group(1), 16)
    mgmt = _ciphers(items.get("group mgmt cipher suite", ""), OUI_IEEE)
    return RsnInfo(
        group=group[0] if group else suite(oui, 4),
        pairwise=pairwise or (suite(oui, 4),),
        akms=akms,
        capabilities=caps,
        group_mgmt=mgmt[0] if mgmt else None,
    )


def _parse_block(block: _Block) -> WifiNetwork:
    base = min((indent for indent, _ in block.lines), default=0)
    sections: dict[str, dict[str, str]] = {}
    top: dict[str, str] = {}
    ssids: list[str] = []
    current: dict[str, str] | None = None
    for indent, text in block.lines:
        if indent <= base:
            key, _, value = text.partition(":")
            key = key.strip()
            if key == "SSID":
                ssids.append(value[1:] if value.startswith(" ") else value)
                current = None
                continue
            if key in sections or key in top:
                current = {}  # a second copy (beacon after probe response): the first one wins
                continue
            current = sections.setdefault(key, {})
            top[key] = value.strip()
            value = value.strip()
            if value.startswith("*"):
                _add_item(current, value)
        elif current is not None and text.startswith("*"):
            _add_item(current, text)
    freq = _measure(block, "freq", top["freq"], "MHz") if top.get("freq") else None
    signal = _measure(block, "signal", top["signal"], "dBm") if top.get("signal") else None
    return _network(block.bssid, top, sections, ssids, freq, signal)


def _add_item(section: dict[str, str], text: str) -> None:
    key, _, value = text.lstrip("* ").partition(":")
    section.setdefault(key.strip().lower(), value.strip())


def _network(bssid: str, top: dict[str, str], sections: dict[str, dict[str, str]], ssids: list[str],
             freq_mhz: float | None, signal_dbm: float | None) -> WifiNetwork:
    freq = int(freq_mhz) if freq_mhz is not None else None
    signal = round(signal_dbm) if signal_dbm is not None else None
    raw_ssid = next((unescape_ssid(s) for s in ssids if unescape_ssid(s).strip(b"\x00")), b"")
    ssid, hidden = decode_ssid(raw_ssid)
    privacy = "Privacy" in top.get("capability", "").split()
    rsn = _security_section(sections["RSN"], wpa1=False) if "RSN" in sections else None
    wpa = _security_section(sections["WPA"], wpa1=True) if "WPA" in sections else None
    sec = classify(rsn, wpa, privacy)
    phy = "legacy"
    for header, name in (
        ("HT capabilities", "ht"),
        ("VHT capabilities", "vht"),
        ("HE capabilities", "he"),
        ("EHT capabilities", "eht"),
    ):
        if header in top:
            phy = name
    generation = {"ht": 4, "vht": 5, "he": 6, "eht": 7}.get(phy)
    channel = None
    ds = top.get("DS Parameter set", "")
    if ds.startswith("channel"):
        channel = int(ds.split()[1])
    ht_op = sections.get("HT operation", {})
    if channel is None and ht_op.get("primary channel", "").isdigit():
        channel = int(ht_op["primary channel"])
    band = freq_to_band(freq) if freq else None
    if freq and (channel is None or band == "6"):
        channel = freq_to_channel(freq)
    if band is None and channel is not None:
        band = "2.4" if channel <= 14 else "5"
    width = 20
    if ht_op.get("secondary channel offset") in ("above", "below") and ht_op.get("sta channel width") == "any":
        width = 40
    vht_op = sections.get("VHT operation", {})
    vht_code = vht_op.get("channel width", "").split(" ")[0]
    if vht_code == "1":
        width = 160 if vht_op.get("center freq segment 2", "0") not in ("0", "") else 80
    elif vht_code in ("2", "3"):
        width = 160
    return WifiNetwork(
        bssid=bssid,
        ssid=ssid,
        channel=channel,
        band=band,
        channel_width_mhz=width,
        signal_dbm=signal,
        security=sec.security,
        legacy_crypto=sec.legacy_crypto,
        pmf=sec.pmf,
        generation=generation,
        akm=list(sec.akm),
        ciphers=list(sec.ciphers),
        wifi_6e=band == "6" and generation == 6,
        phy=phy,
        hidden=hidden,
        ssid_hex=raw_ssid.hex() if raw_ssid else None,
        frequency_mhz=freq,
        group_mgmt_cipher=sec.group_mgmt_cipher,
    )


def parse_iw_scan(text: str) -> WifiScan:
    """Every BSS in ``iw dev IF scan`` (or ``scan dump``) output. Raises IwParseError when there is none."""
    blocks = _blocks(text)
    if not blocks:
        raise IwParseError("no 'BSS aa:bb:cc:dd:ee:ff' lines: not iw scan output")
    networks: list[WifiNetwork] = []
    malformed = 0
    for block in blocks:
        try:
            networks.append(_parse_block(block))
        except (ValueError, IndexError):
            malformed += 1
    return WifiScan(source="iw", networks=networks, frames_total=len(blocks), frames_malformed=malformed)
