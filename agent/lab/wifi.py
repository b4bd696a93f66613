"""The simulated school's Wi-Fi: beacon captures crafted with scapy, a room-by-room survey, a leaky guest network.

Riverside Academy has three captures a technician might bring back:

- ``main-building.pcap``: the well-run part: WPA3-Enterprise staff, WPA3-Personal students, OWE guests,
  PMF required, Wi-Fi 6 and 7 access points (one on 6 GHz), plus a neighbour's router;
- ``science-block.pcap``: a forgotten legacy access point: WPA1/TKIP staff, a WEP lab network and an
  open guest SSID on Wi-Fi 4 and older radios;
- ``car-park.pcap``: an evil twin: the staff SSID, open, from a radio that is not the school's.

The survey has samples for several rooms (one weak, one configured room never surveyed), recorded
through the same analyser as any capture. Guest isolation is probed against a TCP "MIS server" on
loopback that the guest network should not reach (it does: the demo shows the failure).
"""

from __future__ import annotations

import logging
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.lab.procs import free_port

log = logging.getLogger("schoolnet.lab.wifi")

SSIDS = [
    {"ssid": "Riverside-Staff", "role": "staff"},
    {"ssid": "Riverside-Student", "role": "student"},
    {"ssid": "Riverside-Guest", "role": "guest"},
    {"ssid": "Riverside-Lab", "role": "iot"},
]
SCHOOL_OUI = "0a:5c:01"
OLD_AP = "00:14:6c:aa:00:01"
LOCATIONS = ["Main hall", "Room 1", "Room 2", "Library", "Music room"]
# Room -> signal offset from the AP's reference level (dB); the Library is too far from its AP.
ROOM_OFFSETS_DB = {"Main hall": 0, "Room 1": -6, "Room 2": -10, "Library": -24}


# --- crafting beacons with scapy (also used by the tests) -------------------------------------------


def ht() -> Any:
    from scapy.layers.dot11 import Dot11Elt

    return Dot11Elt(ID=45, info=bytes(26))


def vht() -> Any:
    from scapy.layers.dot11 import Dot11Elt

    return Dot11Elt(ID=191, info=bytes(12))


def he() -> Any:
    from scapy.layers.dot11 import Dot11Elt

    # HE Capabilities: extension 35, 6 bytes MAC + 11 bytes PHY capabilities + 4 bytes MCS map.
    return Dot11Elt(ID=255, info=bytes([35]) + bytes(17) + b"\xfa\xff\xfa\xff")


def eht() -> Any:
    from scapy.layers.dot11 import Dot11Elt

    return Dot11Elt(ID=255, info=bytes([108]) + bytes(2) + bytes(9) + bytes(4))


def he_6ghz_operation(primary: int, width_code: int = 2) -> Any:
    """HE Operation (extension 36) with 6 GHz Operation Information (width code 2 = 80 MHz)."""
    from scapy.layers.dot11 import Dot11Elt

    params = (1 << 17).to_bytes(3, "little")
    centre = primary + 6 if width_code == 2 else primary
    six_ghz = bytes([primary, width_code, centre, 0, 6])
    return Dot11Elt(ID=255, info=bytes([36]) + params + b"\x01" + b"\xfc\xff" + six_ghz)


def cipher(kind: int) -> Any:
    from scapy.layers.dot11 import RSNCipherSuite

    return RSNCipherSuite(cipher=kind)


def rsn(akms: list[int], pair: tuple[Any, ...] | None = None, group: Any = None, mfpc: int = 0, mfpr: int = 0) -> Any:
    """An RSN element with these AKM suite types (00-0F-AC:n); CCMP unless told otherwise."""
    from scapy.layers.dot11 import AKMSuite, Dot11EltRSN

    return Dot11EltRSN(
        group_cipher_suite=group if group is not None else cipher(4),
        pairwise_cipher_suites=list(pair) if pair is not None else [cipher(4)],
        akm_suites=[AKMSuite(suite=a) for a in akms],
        mfp_capable=mfpc,
        mfp_required=mfpr,
    )


def beacon(
    bssid: str,
    ssid: bytes,
    channel: int,
    dbm: int | None,
    extra: list[Any],
    *,
    privacy: bool = True,
    freq_mhz: int | None = None,
    probe_response: bool = False,
    radiotap: bool = True,
) -> Any:
    """A beacon (or probe response) with RadioTap channel and signal; ``dbm=None`` leaves signal out."""
    from scapy.layers.dot11 import Dot11, Dot11Beacon, Dot11Elt, Dot11EltRates, Dot11ProbeResp, RadioTap

    freq = freq_mhz or (2407 + 5 * channel if channel <= 14 else 5000 + 5 * channel)
    body_cls = Dot11ProbeResp if probe_response else Dot11Beacon
    frame = (
        Dot11(type=0, subtype=5 if probe_response else 8, addr1="ff:ff:ff:ff:ff:ff", addr2=bssid, addr3=bssid)
        / body_cls(cap="ESS+privacy" if privacy else "ESS")
        / Dot11Elt(ID="SSID", info=ssid)
        / Dot11EltRates(rates=[0x82, 0x84, 0x8B, 0x96])
    )
    if channel <= 14 or freq < 5925:
        frame /= Dot11Elt(ID="DSset", info=bytes([channel if channel <= 14 else 0]))
    for element in extra:
        frame /= element
    if not radiotap:
        return frame
    if dbm is None:
        head = RadioTap(present="Flags+Rate+Channel", Rate=2, ChannelFrequency=freq, ChannelFlags="OFDM")
    else:
        head = RadioTap(
            present="Flags+Rate+Channel+dBm_AntSignal",
            Rate=2,
            ChannelFrequency=freq,
            ChannelFlags="2GHz+CCK" if freq < 3000 else "5GHz+OFDM",
            dBm_AntSignal=dbm,
        )
    return head / frame


def with_signal(frame: Any, offset_db: int) -> Any:
    """A copy of a RadioTap beacon heard ``offset_db`` louder (or quieter)."""
    from scapy.layers.dot11 import RadioTap

    copy = frame.copy()
    copy[RadioTap].dBm_AntSignal = max(-127, copy[RadioTap].dBm_AntSignal + offset_db)
    return copy


def _school_beacons() -> list[Any]:
    from scapy.layers.dot11 import Dot11Elt

    HT, VHT, HE, EHT = ht(), vht(), he(), eht()
    wmm = Dot11Elt(ID=221, info=b"\x00\x50\xf2\x02\x01\x01" + bytes(18))
    return [
        beacon(f"{SCHOOL_OUI}:00:00:01", b"Riverside-Staff", 36, -48, [rsn([5], mfpc=1, mfpr=1), HT, VHT, HE, EHT]),
        beacon(f"{SCHOOL_OUI}:00:00:02", b"Riverside-Student", 36, -49, [rsn([8], mfpc=1, mfpr=1), HT, VHT, HE, EHT]),
        beacon(f"{SCHOOL_OUI}:00:00:03", b"Riverside-Guest", 36, -49, [rsn([18], mfpc=1, mfpr=1), HT, VHT, HE, EHT]),
        beacon(f"{SCHOOL_OUI}:00:01:01", b"Riverside-Staff", 6, -55, [rsn([5], mfpc=1, mfpr=1), HT, HE]),
        beacon(f"{SCHOOL_OUI}:00:01:02", b"Riverside-Student", 6, -56, [rsn([8], mfpc=1, mfpr=1), HT, HE]),
        beacon(
            f"{SCHOOL_OUI}:00:02:01",
            b"Riverside-Staff",
            37,
            -60,
            [rsn([5], mfpc=1, mfpr=1), HE, he_6ghz_operation(37)],
            freq_mhz=6135,
        ),
        # The IoT network sits on 2.4 GHz channel 3, overlapping both 1 and 6.
        beacon(f"{SCHOOL_OUI}:00:01:03", b"Riverside-Lab", 3, -57, [rsn([2, 8], mfpc=1), HT, HE]),
        beacon("6c:38:a1:04:2c:58", b"Bbox-Neighbour", 6, -76, [rsn([2]), HT]),
        beacon("6c:38:a1:04:2c:59", b"Bbox-Neighbour-5G", 44, -84, [rsn([2]), HT, VHT, wmm]),
    ]


def _legacy_beacons() -> list[Any]:
    from scapy.layers.dot11 import Dot11EltMicrosoftWPA

    tkip = cipher(2)
    return [
        beacon(OLD_AP, b"Riverside-Staff", 1, -58, [Dot11EltMicrosoftWPA(), rsn([2], pair=(tkip,), group=tkip), ht()]),
        beacon("00:14:6c:aa:00:02", b"Riverside-Lab", 1, -60, [], privacy=True),
        beacon("00:14:6c:aa:00:03", b"Riverside-Guest", 1, -59, [ht()], privacy=False),
    ]


def _evil_twin_beacons() -> list[Any]:
    return [
        beacon("de:ad:be:ef:00:01", b"Riverside-Staff", 11, -63, [ht()], privacy=False),
        # the genuine access point, heard faintly from the car park
        beacon(f"{SCHOOL_OUI}:00:01:01", b"Riverside-Staff", 6, -70, [rsn([5], mfpc=1, mfpr=1), ht(), he()]),
    ]


class WifiLab:
    """Writes the captures and survey into the workdir; runs the 'MIS server' guests must not reach."""

    name = "wifi"

    def __init__(self) -> None:
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self, workdir: Path) -> dict[str, Any]:
        try:
            from scapy.utils import wrpcap
        except ModuleNotFoundError:  # scapy is a runtime dependency; be explicit if it is missing anyway
            log.warning("no simulated Wi-Fi: scapy is not installed")
            return {}
        folder = (workdir / "wifi").resolve()
        folder.mkdir(parents=True, exist_ok=True)
        captures = {
            "main-building.pcap": _school_beacons(),
            "science-block.pcap": _legacy_beacons(),
            "car-park.pcap": _evil_twin_beacons(),
        }
        for name, frames in captures.items():
            wrpcap(str(folder / name), frames)
        survey_file = folder / "survey.jsonl"
        self._write_survey(survey_file, folder)
        mis_port, closed_port = self._start_mis_server()
        return {
            "wifi": {
                "ssids": SSIDS,
                "known_ouis": [SCHOOL_OUI],
                "known_bssids": [OLD_AP, "00:14:6c:aa:00:02", "00:14:6c:aa:00:03"],
                "locations": LOCATIONS,
                "captures": [str(folder / name) for name in captures],
                "survey_file": str(survey_file),
                "guest_isolation": {
                    "ssid": "Riverside-Guest",
                    "addresses": ["127.0.0.1"],
                    "ports": [mis_port, closed_port],
                    "timeout_s": 0.5,
                    "require_connected": False,
                },
            }
        }

    def _write_survey(self, path: Path, folder: Path) -> None:
        """One sample per surveyed room (two in the hall), through the same analyser as captures."""
        from scapy.utils import wrpcap

        from probes.wifi.beacons import analyze_capture
        from probes.wifi.survey import record_sample

        path.unlink(missing_ok=True)
        base = _school_beacons()
        taken_at = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
        rooms = [*ROOM_OFFSETS_DB.items(), ("Main hall", -3)]
        for number, (room, offset) in enumerate(rooms):
            sample_pcap = folder / f"survey-{number}.pcap"
            wrpcap(str(sample_pcap), [with_signal(frame, offset) for frame in base])
            record_sample(path, room, analyze_capture(sample_pcap), taken_at + timedelta(minutes=7 * number))
            sample_pcap.unlink()

    def _start_mis_server(self) -> tuple[int, int]:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        server.settimeout(0.2)
        self._server = server
        closed_port = free_port()  # a port nothing listens on: the probe sees "refused"

        def serve() -> None:
            while not self._stopping.is_set():
                try:
                    conn, _addr = server.accept()
                except (TimeoutError, OSError):
                    continue
                conn.close()

        self._thread = threading.Thread(target=serve, name="wifi-lab-mis", daemon=True)
        self._thread.start()
        return int(server.getsockname()[1]), closed_port

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._server is not None:
            try:
                self._server.close()
            except OSError:
                pass
            self._server = None
