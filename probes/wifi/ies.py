"""802.11 information elements: walk them from bytes and decide security, PMF, generation, channel, width.

Everything here works on plain ``bytes`` (no scapy) so the capture parser stays fast and the same
rules serve every source: ``iw`` and ``nmcli`` text are mapped to the same suite numbers and go
through :func:`classify` too. A malformed element raises :class:`MalformedElement`; callers count
the frame as malformed and skip it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from contract.errors import InputError
from contract.evidence.wifi import SECURITY_RANK

# Suite selectors are kept as one int: OUI << 8 | type (00-0F-AC:4 -> 0x000FAC04).
OUI_IEEE = 0x000FAC
OUI_MS = 0x0050F2  # WPA1 vendor element and its suites
OUI_WFA = 0x506F9A


def suite(oui: int, kind: int) -> int:
    return oui << 8 | kind


CCMP = suite(OUI_IEEE, 4)

_CIPHER_NAMES = {
    0: "use-group",
    1: "WEP-40",
    2: "TKIP",
    4: "CCMP",
    5: "WEP-104",
    6: "BIP-CMAC-128",
    7: "no-group-traffic",
    8: "GCMP-128",
    9: "GCMP-256",
    10: "CCMP-256",
    11: "BIP-GMAC-128",
    12: "BIP-GMAC-256",
    13: "BIP-CMAC-256",
}
_AKM_NAMES = {
    1: "802.1X",
    2: "PSK",
    3: "FT-802.1X",
    4: "FT-PSK",
    5: "802.1X-SHA256",
    6: "PSK-SHA256",
    7: "TDLS",
    8: "SAE",
    9: "FT-SAE",
    10: "AP-PEERKEY",
    11: "802.1X-SUITE-B",
    12: "802.1X-SUITE-B-192",
    13: "FT-802.1X-SHA384",
    14: "FILS-SHA256",
    15: "FILS-SHA384",
    16: "FT-FILS-SHA256",
    17: "FT-FILS-SHA384",
    18: "OWE",
    19: "FT-PSK-SHA384",
    20: "PSK-SHA384",
    21: "PASN",
    22: "FT-802.1X-SHA384-EXT",
    23: "802.1X-SHA384",
    24: "SAE-EXT-KEY",
    25: "FT-SAE-EXT-KEY",
}
AKM_BY_NAME = {name: suite(OUI_IEEE, n) for n, name in _AKM_NAMES.items()}
AKM_BY_NAME.update({"WPA-802.1X": suite(OUI_MS, 1), "WPA-PSK": suite(OUI_MS, 2)})
AKM_BY_NAME.update({"OSEN": suite(OUI_WFA, 1), "DPP": suite(OUI_WFA, 2)})
CIPHER_BY_NAME = {name: suite(OUI_IEEE, n) for n, name in _CIPHER_NAMES.items()}

# AKM families (IEEE OUI types) that decide the security mode.
_PSK = {2, 4, 6, 19, 20}
_SAE = {8, 9, 24, 25}
_SUITE_B = {11, 12}
_ENTERPRISE = {1, 3, 5, 13, 14, 15, 16, 17, 22, 23}
_OWE = {18}
_LEGACY_CIPHERS = {1, 2, 5}  # WEP-40, TKIP, WEP-104



class MalformedElement(InputError):
    """An information element is truncated or inconsistent; the frame carrying it is skipped."""


def _suite_name(value: int, names: dict[int, str]) -> str:
    oui, kind = value >> 8, value & 0xFF
    if oui in (OUI_IEEE, OUI_MS) and kind in names:
        return names[kind]
    return f"{oui >> 16:02x}-{(oui >> 8) & 0xFF:02x}-{oui & 0xFF:02x}:{kind}"


def cipher_name(value: int) -> str:
    return _suite_name(value, _CIPHER_NAMES)


def akm_name(value: int) -> str:
    oui, kind = value >> 8, value & 0xFF
    if oui == OUI_MS:
        return {1: "WPA-802.1X", 2: "WPA-PSK"}.get(kind, _suite_name(value, {}))
    if oui == OUI_WFA:
        return {1: "OSEN", 2: "DPP"}.get(kind, _suite_name(value, {}))
    return _suite_name(value, _AKM_NAMES)


@dataclass(frozen=True)
class RsnInfo:
    """The suites of one RSN (or WPA1) element."""

    group: int
    pairwise: tuple[int, ...]
    akms: tuple[int, ...]
    capabilities: int | None = None
    group_mgmt: int | None = None


def _u16(b: bytes, o: int) -> int:
    return b[o] | b[o + 1] << 8


def _suites(b: bytes, o: int, n: int) -> tuple[tuple[int, ...], int]:
    """A 2-byte count then ``count`` 4-byte suites starting at ``o``."""
    if o + 2 > n:
        raise MalformedElement("suite count truncated")
    count = _u16(b, o)
    o += 2
    end = o + 4 * count
    if end > n:
        raise MalformedElement(f"suite list of {count} runs past the element")
    return tuple(int.from_bytes(b[i : i + 4], "big") for i in range(o, end, 4)), end


def parse_rsn(b: bytes, *, wpa1: bool = False) -> RsnInfo:
    """RSN element body (ID 48), or the WPA1 vendor body after its OUI and type (``wpa1=True``).

    Trailing fields may be omitted (the standard's defaults then apply); a field cut in half may not.
    """
    n = len(b)
    if n < 2:
        raise MalformedElement("RSN version missing")
    if _u16(b, 0) != 1:
        raise MalformedElement(f"RSN version {_u16(b, 0)}")
    default_cipher = suite(OUI_MS, 2) if wpa1 else CCMP  # WPA1 defaults to TKIP
    default_akm = suite(OUI_MS, 1) if wpa1 else suite(OUI_IEEE, 1)
    group = default_cipher
    pairwise: tuple[int, ...] = (default_cipher,)
    akms: tuple[int, ...] = (default_akm,)
    caps: int | None = None
    group_mgmt: int | None = None
    o = 2
    if o < n:
        if o + 4 > n:
            raise MalformedElement("group cipher truncated")
        group = int.from_bytes(b[o : o + 4], "big")
        o += 4
    if o < n:
        pairwise, o = _suites(b, o, n)
    if o < n:
        akms, o = _suites(b, o, n)
    if not wpa1 and o < n:
        if o + 2 > n:
            raise MalformedElement("RSN capabilities truncated")
        caps = _u16(b, o)
        o += 2
        if o < n:
            _pmkids, o = _pmkid_list(b, o, n)
        if o < n:
            if o + 4 > n:
                raise MalformedElement("group management cipher truncated")
            group_mgmt = int.from_bytes(b[o : o + 4], "big")
            o += 4
    return RsnInfo(group, pairwise, akms, caps, group_mgmt)


def _pmkid_list(b: bytes, o: int, n: int) -> tuple[int, int]:
    if o + 2 > n:
        raise MalformedElement("PMKID count truncated")
    count = _u16(b, o)
    end = o + 2 + 16 * count
    if end > n:
        raise MalformedElement("PMKID list runs past the element")
    return count, end


@dataclass(frozen=True)
class Security:
    """What a BSS offers, decided from its suites (never from a text label)."""

    security: str
    legacy_crypto: bool
    pmf: str
    akm: tuple[str, ...]
    ciphers: tuple[str, ...]
    group_mgmt_cipher: str | None = None


def classify(rsn: RsnInfo | None, wpa: RsnInfo | None, privacy: bool) -> Security:
    """Security mode (strongest offered), legacy crypto, PMF, and the AKM/cipher names of one BSS."""
    modes: list[str] = []
    akm_names: list[str] = []
    cipher_values: list[int] = []
    pmf = "none"
    mfpr = False
    if rsn is not None:
        caps = rsn.capabilities or 0
        mfpr = bool(caps & 0x40)
        pmf = "required" if mfpr else "capable" if caps & 0x80 else "none"
        for akm in rsn.akms:
            akm_names.append(akm_name(akm))
            oui, kind = akm >> 8, akm & 0xFF
            if oui == OUI_IEEE:
                if kind in _SAE:
                    modes.append("wpa3-personal")
                elif kind in _PSK:
                    modes.append("wpa2-personal")
                elif kind in _SUITE_B:
                    modes.append("wpa3-enterprise")
                elif kind in _ENTERPRISE:
                    # WPA3-Enterprise is 802.1X with protected management frames required.
                    modes.append("wpa3-enterprise" if mfpr else "wpa2-enterprise")
                elif kind in _OWE:
                    modes.append("owe")
            elif oui == OUI_WFA:
                modes.append("wpa2-enterprise" if kind == 1 else "wpa3-personal")
        cipher_values.extend((*rsn.pairwise, rsn.group))
        if not modes:
            modes.append("wpa2-personal")  # an RSN element whose AKMs we do not know: still not open
    if wpa is not None:
        for akm in wpa.akms:
            name = akm_name(akm)
            akm_names.append(name if name.startswith("WPA-") else f"WPA-{name}")
            modes.append("wpa-enterprise" if akm & 0xFF == 1 else "wpa-personal")
        cipher_values.extend((*wpa.pairwise, wpa.group))
        if not wpa.akms:
            modes.append("wpa-personal")
    ciphers: list[str] = []
    legacy = wpa is not None
    for value in cipher_values:
        if value >> 8 in (OUI_IEEE, OUI_MS) and value & 0xFF in _LEGACY_CIPHERS:
            legacy = True
        name = cipher_name(value)
        if name not in ciphers and name != "use-group":
            ciphers.append(name)
    if not modes:
        if privacy:
            modes.append("wep")
            ciphers.append("WEP")
            legacy = True
        else:
            modes.append("open")
    security = max(modes, key=SECURITY_RANK.__getitem__)
    group_mgmt = cipher_name(rsn.group_mgmt) if rsn is not None and rsn.group_mgmt is not None else None
    return Security(security, legacy, pmf, tuple(dict.fromkeys(akm_names)), tuple(ciphers), group_mgmt)


# --- channels and bands --------------------------------------------------------------------------


def freq_to_channel(freq_mhz: int) -> int | None:
    if freq_mhz == 2484:
        return 14
    if 2407 < freq_mhz < 2484:
        return (freq_mhz - 2407) // 5
    if 4900 <= freq_mhz < 5000:
        return (freq_mhz - 4000) // 5
    if 5000 <= freq_mhz < 5925:
        return (freq_mhz - 5000) // 5
    if freq_mhz == 5935:
        return 2
    if 5950 < freq_mhz <= 7125:
        return (freq_mhz - 5950) // 5
    return None


# What a radio can report. Anything outside is a corrupt or forged file, refused rather than judged: a
# signal of 1e308 dBm would otherwise pass the coverage check. Received Wi-Fi signals sit between the noise
# floor (about -100 dBm) and a few dBm next to the antenna; Wi-Fi channels lie in the 2.4, 5 and 6 GHz bands
# (and 802.11ah below 1 GHz, 802.11ad/ay near 60 GHz, which some drivers list too).
SIGNAL_DBM_MIN, SIGNAL_DBM_MAX = -150.0, 30.0
_FREQ_MHZ_RANGES = ((750.0, 1000.0), (2400.0, 2500.0), (4900.0, 7125.0), (57000.0, 71000.0))


def plausible_signal_dbm(value: float) -> bool:
    return SIGNAL_DBM_MIN <= value <= SIGNAL_DBM_MAX  # NaN compares False: refused too


def plausible_freq_mhz(value: float) -> bool:
    return any(low <= value <= high for low, high in _FREQ_MHZ_RANGES)


def freq_to_band(freq_mhz: int) -> str | None:
    if 2400 <= freq_mhz < 2500:
        return "2.4"
    if 4900 <= freq_mhz < 5925:
        return "5"
    if 5925 <= freq_mhz <= 7125:
        return "6"
    return None


def channel_to_freq(channel: int, band: str) -> int | None:
    if band == "2.4":
        return 2484 if channel == 14 else 2407 + 5 * channel if 1 <= channel <= 13 else None
    if band == "5":
        return 5000 + 5 * channel if channel >= 1 else None
    if band == "6":
        return 5935 if channel == 2 else 5950 + 5 * channel if channel >= 1 else None
    return None


# --- the element walk ---------------------------------------------------------------------------

_GEN_BY_PHY = {"ht": 4, "vht": 5, "he": 6, "eht": 7}


@dataclass
class Elements:
    """The elements of one beacon/probe response that matter here, decoded."""

    ssid: bytes | None = None
    ds_channel: int | None = None
    rsn: RsnInfo | None = None
    wpa: RsnInfo | None = None
    phy: str = "legacy"
    ht_primary: int | None = None
    width_mhz: int = 20
    six_ghz_primary: int | None = None
    owe_transition: bool = False
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def generation(self) -> int | None:
        return _GEN_BY_PHY.get(self.phy)


_PHY_ORDER = {"legacy": 0, "ht": 1, "vht": 2, "he": 3, "eht": 4}
_HE_6GHZ_WIDTH = {0: 20, 1: 40, 2: 80, 3: 160}
_EHT_WIDTH = {0: 20, 1: 40, 2: 80, 3: 160, 4: 320}


def split_elements(ies: bytes) -> list[tuple[int, bytes]]:
    """The (id, body) list; raises MalformedElement when an element runs past the end."""
    out: list[tuple[int, bytes]] = []
    i, n = 0, len(ies)
    while i + 2 <= n:
        end = i + 2 + ies[i + 1]
        if end > n:
            raise MalformedElement(f"element {ies[i]} of length {ies[i + 1]} runs past the frame")
        out.append((ies[i], ies[i + 2 : end]))
        i = end
    if i != n:
        raise MalformedElement("a stray byte after the last element")
    return out


def decode_elements(elements: Sequence[tuple[int, bytes]]) -> Elements:
    """Decode the split elements; raises MalformedElement for a broken element that matters."""
    e = Elements()
    phy = 0
    vht_width: int | None = None
    ht_width = 20
    he_6ghz_width: int | None = None
    eht_width: int | None = None
    for eid, body in elements:
        if eid == 0:
            if e.ssid is None:
                if len(body) > 32:
                    raise MalformedElement("SSID longer than 32 bytes")
                e.ssid = body
        elif eid == 3:
            if len(body) != 1:
                raise MalformedElement("DS parameter set is not one byte")
            e.ds_channel = body[0] or None
        elif eid == 48:
            e.rsn = parse_rsn(body)
        elif eid == 221:
            if len(body) >= 4 and body[:4] == b"\x00\x50\xf2\x01":
                e.wpa = parse_rsn(body[4:], wpa1=True)
            elif len(body) >= 4 and body[:4] == b"\x50\x6f\x9a\x1c":
                e.owe_transition = True
        elif eid == 45:
            phy = max(phy, 1)
        elif eid == 61:
            if len(body) < 2:
                raise MalformedElement("HT operation truncated")
            e.ht_primary = body[0] or None
            if body[1] & 0x04 and body[1] & 0x03 in (1, 3):
                ht_width = 40
        elif eid == 191:
            phy = max(phy, 2)
        elif eid == 192:
            if len(body) < 3:
                raise MalformedElement("VHT operation truncated")
            vht_width = _vht_width(body[0], body[1], body[2])
        elif eid == 255:
            if not body:
                raise MalformedElement("empty extension element")
            ext = body[0]
            if ext in (35, 36):
                phy = max(phy, 3)
                if ext == 36:
                    he_6ghz_width = _he_operation(body, e)
            elif ext in (106, 107, 108):
                phy = max(phy, 4)
                if ext == 106:
                    eht_width = _eht_operation(body)
    e.phy = ("legacy", "ht", "vht", "he", "eht")[phy]
    width = ht_width
    for candidate in (vht_width, he_6ghz_width, eht_width):
        if candidate is not None and candidate > width:
            width = candidate
    e.width_mhz = width
    return e


def _vht_width(code: int, ccfs0: int, ccfs1: int) -> int | None:
    if code == 0:
        return None  # 20 or 40 MHz: HT operation says which
    if code == 1:
        if ccfs1 == 0:
            return 80
        return 160  # 160 MHz (|ccfs1 - ccfs0| == 8) or 80+80
    return 160  # codes 2 and 3: deprecated 160 and 80+80 signalling


def _he_operation(body: bytes, e: Elements) -> int | None:
    """HE Operation (ext 36): picks the 6 GHz Operation Information when present."""
    if len(body) < 7:
        raise MalformedElement("HE operation truncated")
    params = body[1] | body[2] << 8 | body[3] << 16
    o = 7  # ext id, 3 bytes parameters, 1 byte BSS colour, 2 bytes basic HE-MCS set
    if params & (1 << 14):  # VHT Operation Information present
        o += 3
    if params & (1 << 15):  # Co-Hosted BSS: Max Co-Hosted BSSID Indicator
        o += 1
    if params & (1 << 17):  # 6 GHz Operation Information present
        if o + 5 > len(body):
            raise MalformedElement("HE 6 GHz operation information truncated")
        e.six_ghz_primary = body[o] or None
        return _HE_6GHZ_WIDTH[body[o + 1] & 0x03]
    return None


def _eht_operation(body: bytes) -> int | None:
    if len(body) < 6:
        raise MalformedElement("EHT operation truncated")
    if body[1] & 0x01:  # EHT Operation Information present
        if len(body) < 9:
            raise MalformedElement("EHT operation information truncated")
        return _EHT_WIDTH.get(body[6] & 0x07)
    return None


def phy_rank(phy: str | None) -> int:
    return _PHY_ORDER.get(phy or "", -1)


def decode_ssid(raw: bytes) -> tuple[str, bool]:
    """(text, hidden). Hidden: empty or all NUL bytes. Non-UTF-8 bytes are escaped as \\xNN."""
    if not raw or not raw.strip(b"\x00"):
        return "", True
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace"), False
