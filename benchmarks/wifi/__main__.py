"""Analyse a 100,000-beacon capture with schoolnet and with tshark; print frames/s and wall time side by side.

    .venv/bin/python -m benchmarks.wifi [--frames 100000] [--file /tmp/schoolnet-bench-beacons.pcap] [--bss 400]

The capture is crafted once with scapy (``--bss`` distinct access points: every security mode, HT to EHT,
2.4/5/6 GHz), then repeated with varying signal and TIM bytes until it holds ``--frames`` beacons.
tshark runs the command from issue 4 on the same file.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

TSHARK_FIELDS = ["wlan.bssid", "wlan.ssid", "wlan_radio.channel", "radiotap.dbm_antsignal", "wlan.rsn.akms.type"]


def craft_bases(count: int) -> list[bytes]:
    from scapy.all import AKMSuite, Dot11, Dot11Beacon, Dot11Elt, Dot11EltRates, Dot11EltRSN, RadioTap, RSNCipherSuite

    ccmp = RSNCipherSuite(cipher=0x04)
    tkip = RSNCipherSuite(cipher=0x02)
    suites = [[2], [8], [2, 8], [1], [5], [18], [1, 3], [2, 4]]
    bases = []
    for i in range(count):
        ch = [1, 6, 11, 36, 44, 149, 5, 100][i % 8]
        mac = f"02:be:{i >> 8 & 0xff:02x}:{i & 0xff:02x}:00:01"
        frame = (
            RadioTap(present="Flags+Rate+Channel+dBm_AntSignal", Rate=2,
                     ChannelFrequency=2407 + 5 * ch if ch <= 14 else 5000 + 5 * ch,
                     ChannelFlags="2GHz+CCK" if ch <= 14 else "5GHz+OFDM", dBm_AntSignal=-40 - i % 50)
            / Dot11(type=0, subtype=8, addr1="ff:ff:ff:ff:ff:ff", addr2=mac, addr3=mac)
            / Dot11Beacon(cap="ESS+privacy" if i % 9 else "ESS")
            / Dot11Elt(ID="SSID", info=f"bench-{i}".encode())
            / Dot11EltRates(rates=[0x82, 0x84, 0x8b, 0x96])
            / Dot11Elt(ID="DSset", info=bytes([ch]))
            / Dot11Elt(ID=5, info=bytes([0, 1, 0, 0]))  # TIM: varied per frame below
        )
        if i % 9:
            frame /= Dot11EltRSN(group_cipher_suite=tkip if i % 7 == 0 else ccmp, pairwise_cipher_suites=[ccmp],
                                 akm_suites=[AKMSuite(suite=a) for a in suites[i % len(suites)]],
                                 mfp_capable=i % 2, mfp_required=i % 4 == 1)
        frame /= Dot11Elt(ID=45, info=bytes(26)) / Dot11Elt(ID=61, info=bytes([ch, 5]) + bytes(20))
        if i % 3:
            frame /= Dot11Elt(ID=191, info=bytes(12)) / Dot11Elt(ID=192, info=bytes([1, 42, 0, 0, 0]))
        if i % 5 == 0:
            frame /= Dot11Elt(ID=255, info=bytes([35]) + bytes(17) + b"\xfa\xff\xfa\xff")
        frame /= Dot11Elt(ID=221, info=b"\x00\x50\xf2\x02\x01\x01" + bytes(18))  # WMM
        bases.append(bytes(frame))
    return bases


def write_capture(path: Path, frames: int, bss: int) -> None:
    bases = craft_bases(bss)
    with path.open("wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 127))
        for n in range(frames):
            base = bytearray(bases[n % bss])
            base[14] = (256 - 40 - (n * 7) % 50) & 0xFF  # dBm antenna signal varies
            tim = base.find(b"\x05\x04\x00\x01")
            if tim >= 0:
                base[tim + 2] = n % 3  # DTIM count changes beacon to beacon, as on air
            out.write(struct.pack("<IIII", 1_700_000_000 + n // 10, (n % 10) * 102400, len(base), len(base)))
            out.write(base)


def run_schoolnet(path: Path) -> tuple[float, int, int]:
    from probes.wifi.beacons import analyze_capture

    started = time.perf_counter()
    scan = analyze_capture(path)
    return time.perf_counter() - started, scan.frames_total or 0, len(scan.networks)


def run_tshark(path: Path) -> tuple[float, int] | None:
    tshark = shutil.which("tshark")
    if tshark is None:
        return None
    argv = [tshark, "-r", str(path), "-Y", "wlan.fc.type_subtype==8", "-T", "fields"]
    for name in TSHARK_FIELDS:
        argv += ["-e", name]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    return elapsed, done.stdout.count("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--bss", type=int, default=400)
    parser.add_argument("--file", type=Path, default=Path("/tmp/schoolnet-bench-beacons.pcap"))
    parser.add_argument("--rebuild", action="store_true", help="craft the capture again even if it exists")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool; the best is shown")
    args = parser.parse_args(argv)
    expected_size = None
    if args.file.exists() and not args.rebuild:
        expected_size = args.file.stat().st_size
    if expected_size is None:
        print(f"crafting {args.frames} beacons from {args.bss} access points into {args.file} ...", file=sys.stderr)
        write_capture(args.file, args.frames, args.bss)
    ours = min((run_schoolnet(args.file) for _ in range(args.repeat)), key=lambda r: r[0])
    theirs_runs = [run_tshark(args.file) for _ in range(args.repeat)]
    print(f"capture: {args.file} ({args.file.stat().st_size / 1e6:.1f} MB, {ours[1]} frames, {ours[2]} BSS)")
    print(f"{'tool':<28} {'wall s':>8} {'frames/s':>12}")
    print(f"{'schoolnet analyze_capture':<28} {ours[0]:>8.3f} {ours[1] / ours[0]:>12,.0f}")
    if theirs_runs[0] is None:
        print("tshark: not installed (apt-get install tshark)")
        return 0
    best = min((r for r in theirs_runs if r is not None), key=lambda r: r[0])
    print(f"{'tshark -T fields (beacons)':<28} {best[0]:>8.3f} {best[1] / best[0]:>12,.0f}")
    ratio = ours[0] / best[0]
    print(f"schoolnet / tshark wall time: {ratio:.2f}x (target <= 2x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
