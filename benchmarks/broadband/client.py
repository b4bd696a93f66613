"""One measurement, run inside the client namespace by the benchmark; prints one JSON line.

    python -m benchmarks.broadband.client http URL DURATION STREAMS
    python -m benchmarks.broadband.client speedtest URL DURATION STREAMS
"""

from __future__ import annotations

import json
import resource
import sys
import time


def main() -> None:
    tool, url, duration, streams = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    started = time.perf_counter()
    if tool == "http":
        from probes.broadband.http_backend import HttpSettings, measure

        result = measure(HttpSettings(url=url, duration_s=duration, streams=streams, warmup_s=1.0))
    elif tool == "speedtest":
        from probes.broadband.speedtest_backend import SpeedtestSettings
        from probes.broadband.speedtest_backend import measure as st_measure

        result = st_measure(SpeedtestSettings(server=url, duration_s=duration, streams=streams))
    else:
        raise SystemExit(f"unknown tool {tool}")
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "download_mbps": result.download_mbps,
        "upload_mbps": result.upload_mbps,
        "latency_idle_ms": result.latency_idle_ms,
        "latency_loaded_ms": result.latency_loaded_ms,
        "cpu_percent": 100 * (usage.ru_utime + usage.ru_stime) / wall,
        "wall_s": wall,
    }))


if __name__ == "__main__":
    main()
