"""Parse ``nmcli -t -f FIELDS dev wifi list`` text (terse: ``:``-separated, ``\\:`` and ``\\\\`` escaped).

The fields we ask for (and expect when the text carries no header) are :data:`RECOMMENDED_FIELDS`::

    nmcli -t -f ACTIVE,SSID,SSID-HEX,BSSID,MODE,CHAN,FREQ,SIGNAL,SECURITY,WPA-FLAGS,RSN-FLAGS,BANDWIDTH dev wifi list

Text saved with the command on its first line (``$ nmcli --terse --fields a,b,c device wifi list``)
is read with the fields named there. WPA-FLAGS, RSN-FLAGS and SECURITY are required: the security
mode is decided from the flags (NetworkManager's decoding of the RSN/WPA elements' suites), and
SECURITY is read only to tell WEP (privacy with neither element) from open.

What nmcli cannot tell, and we therefore leave null: PMF (NetworkManager does not expose the RSN
capabilities), the Wi-Fi generation, and an exact signal. ``signal_dbm`` is estimated from nmcli's
0-100 SIGNAL with the inverse of NetworkManager's linear mapping (-100 dBm -> 0 %, -40 dBm -> 100 %)
and marked ``signal_estimated``.
"""

from __future__ import annotations

import re

from contract.errors import InputError, Reason
from contract.evidence.wifi import WifiNetwork, WifiScan
from probes.wifi.ies import (
    CCMP,
    OUI_IEEE,
    OUI_MS,
    RsnInfo,
    classify,
    decode_ssid,
    freq_to_band,
    freq_to_channel,
    plausible_freq_mhz,
    suite,
)

RECOMMENDED_FIELDS: tuple[str, ...] = (
    "ACTIVE",
    "SSID",
    "SSID-HEX",
    "BSSID",
    "MODE",
    "CHAN",
    "FREQ",
    "SIGNAL",
    "SECURITY",
    "WPA-FLAGS",
    "RSN-FLAGS",
    "BANDWIDTH",
)
RECOMMENDED_COMMAND = "nmcli -t -f " + ",".join(RECOMMENDED_FIELDS) + " dev wifi list"
# node-wifi's field list, common in saved logs.
NODE_WIFI_FIELDS: tuple[str, ...] = (
    "ACTIVE",
    "SSID",
    "BSSID",
    "MODE",
    "CHAN",
    "FREQ",
    "SIGNAL",
    "SECURITY",
    "WPA-FLAGS",
    "RSN-FLAGS",
)
_REQUIRED = ("BSSID", "SECURITY", "WPA-FLAGS", "RSN-FLAGS")
_FIELDS_ARG = re.compile(r"(?:^|\s)(?:-f|--fields)[ =](\S+)")
_BSSID_ESCAPED = re.compile(r"(?:[0-9A-Fa-f]{2}\\:){5}[0-9A-Fa-f]{2}")

_CIPHER_FLAGS = {"wep40": 1, "tkip": 2, "ccmp": 4, "wep104": 5}
_AKM_FLAGS = {"psk": 2, "802.1x": 1, "sae": 8, "owe": 18, "eap_suite_b_192": 12}


class NmcliParseError(InputError):
    """The text is not terse nmcli wifi list output with the fields we need, or holds a value no radio can report
    (reason ``impossible_value``)."""


class _Impossible(Exception):
    """A field no radio can report; parse_nmcli names the line."""


def looks_like_nmcli(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()][:20]
    return any("nmcli" in line for line in lines[:1]) or any(_BSSID_ESCAPED.search(line) for line in lines)


def split_terse(line: str) -> list[str]:
    """Split one terse line on unescaped ``:``; undo ``\\:`` and ``\\\\``."""
    fields: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and i + 1 < len(line):
            current.append(line[i + 1])
            i += 2
            continue
        if char == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    fields.append("".join(current))
    return fields


def _flags(text: str, oui: int, *, wpa1: bool) -> RsnInfo | None:
    # owe_tm marks an open BSS that points to its OWE twin: it is not a suite of this BSS.
    tokens = [t.lower() for t in text.split() if t and t not in ("(none)", "owe_tm")]
    if not tokens:
        return None
    pairwise = tuple(
        suite(oui, _CIPHER_FLAGS[t[5:]]) for t in tokens if t.startswith("pair_") and t[5:] in _CIPHER_FLAGS
    )
    groups = [suite(oui, _CIPHER_FLAGS[t[6:]]) for t in tokens if t.startswith("group_") and t[6:] in _CIPHER_FLAGS]
    akms = []
    for token in tokens:
        if token in _AKM_FLAGS:
            kind = _AKM_FLAGS[token]
            akms.append(suite(oui if kind <= 2 else OUI_IEEE, kind))
    default = suite(oui, 2) if wpa1 else CCMP
    return RsnInfo(group=groups[0] if groups else default, pairwise=pairwise or (default,), akms=tuple(akms))


def signal_percent_to_dbm(percent: int) -> int:
    """Inverse of NetworkManager's mapping of dBm to 0-100 (linear from -100 to -40 dBm): an estimate."""
    return round(-100 + 0.6 * max(0, min(100, percent)))


def _fields_from_header(line: str) -> tuple[str, ...] | None:
    match = _FIELDS_ARG.search(line)
    if not match:
        return None
    return tuple(f.strip().upper() for f in match.group(1).split(",") if f.strip())


def parse_nmcli(text: str, fields: tuple[str, ...] | None = None) -> WifiScan:
    """Networks from terse nmcli output. Raises NmcliParseError naming the line that does not fit."""
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and ("nmcli" in lines[0] and not _BSSID_ESCAPED.search(lines[0])):
        fields = fields or _fields_from_header(lines[0])
        lines = lines[1:]
    rows = [split_terse(line) for line in lines]
    if fields is None:
        count = len(rows[0]) if rows else len(RECOMMENDED_FIELDS)
        for candidate in (RECOMMENDED_FIELDS, NODE_WIFI_FIELDS):
            if len(candidate) == count:
                fields = candidate
                break
        else:
            raise NmcliParseError(
                f"nmcli text has {count} fields per line and no header naming them; save it with: "
                f"{RECOMMENDED_COMMAND}"
            )
    fields = tuple(f.upper() for f in fields)
    missing = [f for f in _REQUIRED if f not in fields]
    if missing:
        raise NmcliParseError(f"nmcli fields {', '.join(missing)} are missing; use: {RECOMMENDED_COMMAND}")
    networks: list[WifiNetwork] = []
    seen: set[tuple[str, str]] = set()
    for number, row in enumerate(rows, start=1):
        if len(row) != len(fields):
            raise NmcliParseError(f"line {number}: {len(row)} fields, expected {len(fields)} ({','.join(fields)})")
        try:
            network = _network(dict(zip(fields, row, strict=True)))
        except _Impossible as exc:
            raise NmcliParseError(f"line {number}: {exc}", reason=Reason.impossible_value) from None
        except (ValueError, IndexError) as exc:
            raise NmcliParseError(f"line {number}: {str(exc).splitlines()[0]}") from None
        if (network.bssid, network.ssid) not in seen:
            seen.add((network.bssid, network.ssid))
            networks.append(network)
    return WifiScan(source="nmcli", networks=networks, frames_total=len(rows), frames_malformed=0)


def _int_prefix(text: str) -> int | None:
    match = re.match(r"\s*(\d+)", text or "")
    return int(match.group(1)) if match else None


def _network(row: dict[str, str]) -> WifiNetwork:
    if row.get("SSID-HEX"):
        try:
            raw = bytes.fromhex(row["SSID-HEX"])
        except ValueError:
            raw = row.get("SSID", "").encode("utf-8")
    else:
        raw = row.get("SSID", "").encode("utf-8")
    ssid, hidden = decode_ssid(raw)
    rsn = _flags(row.get("RSN-FLAGS", ""), OUI_IEEE, wpa1=False)
    wpa = _flags(row.get("WPA-FLAGS", ""), OUI_MS, wpa1=True)
    security_label = row.get("SECURITY", "").upper().split()
    privacy = "WEP" in security_label  # NetworkManager's rendering of the privacy bit without WPA/RSN
    sec = classify(rsn, wpa, privacy)
    freq = _int_prefix(row.get("FREQ", ""))
    if freq is not None and not plausible_freq_mhz(freq):
        raise _Impossible(f"FREQ {row['FREQ'].strip()} is impossible (expected a Wi-Fi frequency, in MHz)")
    channel = _int_prefix(row.get("CHAN", ""))
    band = freq_to_band(freq) if freq else None
    if channel is None and freq:
        channel = freq_to_channel(freq)
    if band is None and channel is not None:
        band = "2.4" if channel <= 14 else "5"
    percent = _int_prefix(row.get("SIGNAL", ""))
    if percent is not None and not 0 <= percent <= 100:
        raise _Impossible(f"SIGNAL {row['SIGNAL'].strip()} is impossible (nmcli gives a percentage, 0 to 100)")
    owe_tm = "owe_tm" in (row.get("RSN-FLAGS", "") + " " + row.get("WPA-FLAGS", "")).lower().split()
    return WifiNetwork(
        bssid=row["BSSID"].lower(),
        ssid=ssid,
        channel=channel,
        band=band,
        channel_width_mhz=_int_prefix(row.get("BANDWIDTH", "")),
        signal_dbm=signal_percent_to_dbm(percent) if percent is not None else None,
        security=sec.security,
        legacy_crypto=sec.legacy_crypto,
        pmf=None,
        generation=None,
        akm=list(sec.akm),
        ciphers=list(sec.ciphers),
        phy=None,
        hidden=hidden,
        ssid_hex=raw.hex() if row.get("SSID-HEX") else None,
        frequency_mhz=freq,
        owe_transition=owe_tm,
        signal_estimated=percent is not None,
    )
