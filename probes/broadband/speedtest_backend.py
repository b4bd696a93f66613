"""The ``speedtest`` backend: speedtest-cli 2.1.3 used as a library.

Three ways to pick a server (``server`` in the config): a number is an Ookla server id, an ``http(s)://`` URL is
a speedtest "mini"-style server (for example ``schoolnet speed-server``, which serves the mini endpoints), and
nothing at all means the nearest Ookla server.

speedtest-cli's own ``get_config`` always fetches the hard-coded ``www.speedtest.net`` config, even for a mini
server, and fails with no internet. :class:`ConfiguredSpeedtest` replaces it: the config comes from a URL we
choose (the mini server's own ``/speedtest-config.php`` first, then a built-in default for mini servers that have
none), and is parsed here so that a malformed document becomes a clear "unknown" reason rather than a crash.
The parsed config is then tuned for gigabit lines: more parallel streams, large download files, and only
upload sizes that speedtest-cli sends in full (it sends 65,536 and 4,194,304 bytes 7 short, which stalls servers).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from probes.broadband.common import MeasurementError, RunResult, ServerUnreachable, TransferAborted, dns_resolution_ms

OOKLA_CONFIG_URL = "https://www.speedtest.net/speedtest-config.php"
# Used for mini servers that publish no config of their own (speedtest mini never did).
DEFAULT_MINI_CONFIG = b"""<?xml version="1.0" encoding="UTF-8"?>
<settings>
<client ip="0.0.0.0" lat="0" lon="0" isp="unknown" country="ZZ" />
<server-config threadcount="4" ignoreids="" />
<download testlength="10" threadsperurl="4" />
<upload testlength="10" ratio="3" threads="4" maxchunkcount="50" />
</settings>"""
DOWNLOAD_SIDES = [1500, 2000, 2500, 3000, 3500, 4000]  # random{N}x{N}.jpg: 4.5 MB to 32 MB each
# Upload sizes in bytes. speedtest-cli builds each body as round(size / 36) repetitions of 36 characters, so for
# some sizes (65,536, 4,194,304) it sends 7 bytes fewer than the Content-Length it announces, and a strict server
# waits for them. Every size here satisfies round(size / 36) * 36 >= size - 9 (tested).
UPLOAD_SIZES = [524288, 1048576, 7340032]


@dataclass(frozen=True)
class SpeedtestSettings:
    server: str | None = None  # Ookla server id, mini URL, or None for the nearest
    streams: int = 8
    duration_s: float = 10.0
    timeout_s: float = 10.0
    config_url: str | None = None  # None: the mini server's own, or Ookla's


def parse_config(xml_bytes: bytes, source: str) -> dict[str, dict[str, str]]:
    """The four sections speedtest-cli needs, as attribute dicts; MeasurementError naming ``source`` if malformed."""
    try:
        root = ET.fromstring(xml_bytes)
    except ET.ParseError as exc:
        raise MeasurementError(f"malformed speedtest configuration XML from {source}: {exc}") from None
    sections: dict[str, dict[str, str]] = {}
    for tag in ("client", "server-config", "download", "upload"):
        element = root.find(tag)
        if element is None:
            raise MeasurementError(f"speedtest configuration from {source} has no <{tag}> element")
        sections[tag] = dict(element.attrib)
    return sections


def tuned_config(sections: dict[str, dict[str, str]], streams: int, duration_s: float | None) -> dict[str, Any]:
    """speedtest-cli's ``config`` dict from the parsed sections, with enough streams for gigabit lines."""
    try:
        server_config, download, upload = sections["server-config"], sections["download"], sections["upload"]
        ignore = [int(i) for i in server_config.get("ignoreids", "").split(",") if i.strip()]
        threads_per_url = int(download.get("threadsperurl", "4"))
        max_chunks = int(upload.get("maxchunkcount", "50"))
        length_down = float(download.get("testlength", "10"))
        length_up = float(upload.get("testlength", "10"))
        config_threads = int(server_config.get("threadcount", "4")) * 2
        lat, lon = float(sections["client"].get("lat", "0")), float(sections["client"].get("lon", "0"))
    except ValueError as exc:
        raise MeasurementError(f"speedtest configuration has a non-numeric value: {exc}") from None
    upload_count = max(1, math.ceil(max_chunks / len(UPLOAD_SIZES)))
    return {
        "client": sections["client"],
        "ignore_servers": ignore,
        "sizes": {"upload": UPLOAD_SIZES, "download": DOWNLOAD_SIDES},
        # Enough requests that the streams are still busy when the time runs out.
        "counts": {"upload": upload_count, "download": max(threads_per_url, streams)},
        # speedtest-cli joins upload threads in start order, so one slow response holds back new requests; twice
        # the streams keeps the line busy when the server answers each upload late (measured: 0.85 -> 0.98 of
        # iperf3 at 1 Gbps with a 20 ms response delay).
        "threads": {"upload": max(2 * streams, 2), "download": max(streams, config_threads)},
        "length": {"upload": duration_s or length_up, "download": duration_s or length_down},
        # MUST equal counts x sizes, or speedtest-cli's upload consumer waits forever.
        "upload_max": upload_count * len(UPLOAD_SIZES),
        "lat_lon": (lat, lon),
    }


def _speedtest_class() -> type:
    import speedtest  # imported here: the module is only needed when this backend runs

    class ConfiguredSpeedtest(speedtest.Speedtest):  # type: ignore[misc]
        """speedtest.Speedtest whose config comes from a URL we choose (or a built-in default)."""

        def __init__(
            self, *, config_urls: list[str], fallback_xml: bytes | None, streams: int, duration_s: float | None,
            timeout_s: float,
        ) -> None:
            self._config_urls = config_urls
            self._fallback_xml = fallback_xml
            self._streams = streams
            self._duration_s = duration_s
            super().__init__(timeout=timeout_s)

        def get_config(self) -> dict[str, Any]:
            xml_bytes, source = self._fetch_config()
            tuned = tuned_config(parse_config(xml_bytes, source), self._streams, self._duration_s)
            self.lat_lon = tuned.pop("lat_lon")
            self.config.update(tuned)
            return cast("dict[str, Any]", self.config)  # the library keeps (and reads) this very dict

        def _fetch_config(self) -> tuple[bytes, str]:
            problems = []
            for url in self._config_urls:
                request = speedtest.build_request(url, headers={"Accept-Encoding": "identity"})
                handle, error = speedtest.catch_request(request, opener=self._opener)
                if error:
                    problems.append(f"{url}: {error}")
                    continue
                try:
                    body: bytes = handle.read()
                finally:
                    handle.close()
                if int(handle.code) == 200:
                    return body, url
                problems.append(f"{url}: HTTP {handle.code}")
            if self._fallback_xml is not None:
                return self._fallback_xml, "the built-in mini-server config"
            raise ServerUnreachable("cannot fetch the speedtest configuration: " + "; ".join(problems))

    return ConfiguredSpeedtest


class SpeedtestBackend:
    name = "speedtest"

    def __init__(self, settings: SpeedtestSettings) -> None:
        self.settings = settings

    def measure(self) -> RunResult:
        import speedtest

        s = self.settings
        mini = s.server is not None and "://" in s.server
        if mini:
            assert s.server is not None
            base = s.server.rstrip("/")
            if base.endswith((".php", ".asp", ".aspx", ".jsp")):
                base = base.rsplit("/", 1)[0]
            urls = [s.config_url] if s.config_url else [f"{base}/speedtest-config.php"]
            fallback = None if s.config_url else DEFAULT_MINI_CONFIG
        else:
            urls, fallback = [s.config_url or OOKLA_CONFIG_URL], None
        cls = _speedtest_class()
        try:
            st = cls(
                config_urls=urls, fallback_xml=fallback, streams=s.streams, duration_s=s.duration_s,
                timeout_s=s.timeout_s,
            )
            if mini:
                assert s.server is not None
                st.set_mini_server(s.server)
                st.get_best_server(st.servers)
            elif s.server:
                try:
                    server_id = int(s.server)
                except ValueError:
                    raise MeasurementError(
                        f"speedtest server {s.server!r} is neither an Ookla server id nor a mini-server URL"
                    ) from None
                st.get_servers([server_id])
                st.get_best_server()
            else:
                st.get_servers()
                st.get_best_server()
            best = st.best
            if float(best.get("latency", 0)) >= 1_000_000:  # speedtest-cli scores a failed ping as 3,600 s
                raise ServerUnreachable(f"the speedtest server {best.get('url')} did not answer its latency test")
            download_bps = st.download()
            # Bodies built up front (speedtest-cli's default; ~140 MB with a full Ookla config): building them
            # lazily inside the timed window cost 2% of the upload figure at 1 Gbps.
            upload_bps = st.upload(pre_allocate=True)
        except MeasurementError:
            raise
        except (speedtest.SpeedtestMiniConnectFailure, speedtest.ConfigRetrievalError,
                speedtest.ServersRetrievalError) as exc:
            raise ServerUnreachable(f"speedtest: {exc}") from None
        except speedtest.SpeedtestException as exc:
            raise MeasurementError(f"speedtest: {type(exc).__name__}: {exc}") from None
        results = st.results
        if not results.bytes_received or not results.bytes_sent:
            raise TransferAborted(
                f"speedtest moved {results.bytes_received:,} bytes down and {results.bytes_sent:,} up: "
                "the transfers failed"
            )
        parts = urlsplit(str(best.get("url", "")))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        base_path = parts.path.rsplit("/", 2)[0]  # .../speedtest/upload.php -> ...
        # Rebuilt from its parts so that credentials in a mini-server URL never reach the evidence.
        shown = (f"{parts.scheme}://{host}{port}{base_path}" if mini
                 else f"{best.get('sponsor', '')} ({best.get('name', '')}) {host}")
        return RunResult(
            backend=self.name,
            server=shown.strip(),
            host=host or None,
            download_mbps=download_bps / 1e6,
            upload_mbps=upload_bps / 1e6,
            latency_idle_ms=float(results.ping) if results.ping else None,
            dns_resolution_ms=dns_resolution_ms(host) if host else None,
            streams=s.streams,
            download_bytes=int(results.bytes_received),
            upload_bytes=int(results.bytes_sent),
        )


def measure(settings: SpeedtestSettings) -> RunResult:
    return SpeedtestBackend(settings).measure()
