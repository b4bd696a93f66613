"""300 test addresses across three segments' filter profiles, a third black-holed: schoolnet vs sequential curl.

    .venv/bin/python -m benchmarks.filtering [--per-segment 100] [--timeout 2] [--skip-curl]

The namespace school lab (well-kept profile) with the filtering plugin: each segment (staff, student, guest)
gets ``--per-segment`` addresses, a third of them to an address the firewall drops silently, the rest spread
over the lab's categories (NXDOMAIN, sinkhole, block page, TLS interception, reset, allowed). schoolnet runs
``schoolnet filtering test`` once per segment inside that segment's namespace (safe search off, so both
tools fetch the same list). The naive peer runs ``curl -s -o /dev/null --max-time T`` over the same list,
one address after the other, in the same namespace. Both resolve through the segment's resolv.conf.
Wall time includes process start-up for both. Needs root, ip and nft.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import tomli_w

from agent.lab.filtering import BLACKHOLE, DOMAIN, SEGMENT_NAMES, VERDICT_TESTS, FilteringNetns, netns_available


def url_list(per_segment: int) -> list[tuple[str, str]]:
    holes = per_segment // 3
    rows = [("misc", f"http://blackhole.{DOMAIN}/p{i}") for i in range(holes)]
    for i in range(per_segment - holes):
        category, url = VERDICT_TESTS[i % len(VERDICT_TESTS)]
        rows.append((category, f"{url.rstrip('/')}/p{i}"))
    return rows


def curl_outcome(code: int) -> str:
    # 6: could not resolve (NXDOMAIN), 7: refused (reset), 28: timeout, 60: certificate not trusted (interception)
    return {0: "allowed", 6: "blocked", 7: "blocked", 60: "blocked", 28: "unknown"}.get(code, f"exit {code}")


def run_curl(lab: FilteringNetns, segment: str, rows: list[tuple[str, str]], timeout_s: float, ca: str) -> list[str]:
    """One curl per address, one after the other, in one shell inside the segment's namespace."""
    assert lab.workdir is not None
    urls = lab.workdir / f"curl-{segment}.txt"
    urls.write_text("".join(f"{url}\n" for _, url in rows), encoding="utf-8")
    script = (f'while read -r url; do curl -s -o /dev/null --cacert "{ca}" --max-time {timeout_s:g} "$url" '
              f'</dev/null; echo $?; done < "{urls}"')
    done = subprocess.run(lab.exec_argv(segment, "sh", "-c", script), capture_output=True, text=True)
    codes = [curl_outcome(int(code)) for code in done.stdout.split()]
    if len(codes) != len(rows):
        sys.exit(f"curl on {segment}: {len(codes)} results for {len(rows)} addresses ({done.stderr[-300:]})")
    return codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-segment", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=2.0, help="per address, both tools (seconds)")
    parser.add_argument("--skip-curl", action="store_true")
    args = parser.parse_args()
    why = netns_available()
    if why:
        sys.exit(f"benchmarks.filtering {why}")
    rows = url_list(args.per_segment)
    with FilteringNetns("well-kept") as lab:
        assert lab.workdir is not None
        tests = lab.write_tests("bench.csv", tuple(rows))
        config = lab.workdir / "bench.toml"
        section = {**lab.filtering_section(lab.workdir / "runs.jsonl", tests), "timeout_s": args.timeout,
                   "safe_search": False}
        config.write_text(tomli_w.dumps({"site": {"id": "B", "name": "bench", "phase": "secondary"},
                                         "agent": {"state_dir": str(lab.workdir / "state")}, "filtering": section}))
        ours: dict[str, list[str]] = {}
        started = time.monotonic()
        for segment in SEGMENT_NAMES:
            done = subprocess.run(lab.exec_argv(segment, sys.executable, "-m", "agent", "filtering", "test",
                                                "--segment", segment, "--config", str(config), "--format", "json"),
                                  capture_output=True, text=True)
            if done.returncode not in (0, 1, 4):
                sys.exit(f"schoolnet failed on {segment}: {done.stderr[-500:]}")
            ours[segment] = [t["outcome"] for t in json.loads(done.stdout)["tests"]]
        ours_s = time.monotonic() - started
        total = len(rows) * len(SEGMENT_NAMES)
        holes = sum(1 for _, u in rows if BLACKHOLE in u or "blackhole" in u) * len(SEGMENT_NAMES)
        print(f"{total} addresses ({holes} black-holed), timeout {args.timeout:g} s, 3 segments (well-kept lab)")
        print(f"{'tool':<40} {'wall s':>8} {'URLs/s':>8}")
        print(f"{'schoolnet filtering test (x3 segments)':<40} {ours_s:8.1f} {total / ours_s:8.1f}")
        if args.skip_curl:
            return
        started = time.monotonic()
        theirs = {segment: run_curl(lab, segment, rows, args.timeout, section["ca_bundle"])
                  for segment in SEGMENT_NAMES}
        curl_s = time.monotonic() - started
        print(f"{'curl, sequential':<40} {curl_s:8.1f} {total / curl_s:8.1f}")
        print(f"speed-up: {curl_s / ours_s:.1f}x")
        agree = sum(a == b for s in SEGMENT_NAMES for a, b in zip(ours[s], theirs[s], strict=True))
        print(f"same outcome (blocked/allowed/unknown) for {agree} of {total} addresses")
        differ: dict[str, int] = {}
        for s in SEGMENT_NAMES:
            for (category, _), a, b in zip(rows, ours[s], theirs[s], strict=True):
                if a != b:
                    key = f"{s}/{category}: schoolnet {a}, curl {b}"
                    differ[key] = differ.get(key, 0) + 1
        for key, count in sorted(differ.items()):
            print(f"  {count:3d} x {key}")
        if differ:
            print("  (curl's exit code cannot tell a block page, served with HTTP 200/403, from the site itself)")


if __name__ == "__main__":
    main()
