"""speedtest-cli as a library against loopback mini servers: config handling, tuning, figures, failures."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pytest

from agent.speed_server import MINI_CONFIG_XML
from probes.broadband.common import MeasurementError, ServerUnreachable
from probes.broadband.speedtest_backend import (
    DEFAULT_MINI_CONFIG,
    UPLOAD_SIZES,
    SpeedtestSettings,
    measure,
    parse_config,
    tuned_config,
)


def test_parse_and_tune_the_mini_config():
    sections = parse_config(MINI_CONFIG_XML, "test")
    tuned = tuned_config(sections, streams=8, duration_s=3.0)
    # speedtest-cli's upload consumer waits for exactly upload_max requests: anything else hangs it forever.
    assert tuned["upload_max"] == tuned["counts"]["upload"] * len(tuned["sizes"]["upload"])
    assert tuned["threads"]["download"] >= 8 and tuned["threads"]["upload"] >= 8
    assert tuned["length"] == {"upload": 3.0, "download": 3.0}
    assert tuned["lat_lon"] == (0.0, 0.0)


def test_upload_sizes_are_sent_in_full_by_speedtest_cli():
    """speedtest-cli sends round(size/36)*36 bytes, cut to size-9, after a 9-byte prefix: never short here."""
    for size in UPLOAD_SIZES:
        assert round(size / 36) * 36 >= size - 9, size
    assert 65536 not in UPLOAD_SIZES


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (b"<settings><client", "malformed speedtest configuration XML"),
        (b"not xml at all", "malformed speedtest configuration XML"),
        (b"<settings><client lat='0' lon='0'/></settings>", "has no <server-config> element"),
    ],
)
def test_malformed_config_is_a_reason(xml, reason):
    with pytest.raises(MeasurementError, match=reason):
        parse_config(xml, "http://example/speedtest-config.php")


def test_non_numeric_config_value():
    bad = DEFAULT_MINI_CONFIG.replace(b'threadsperurl="4"', b'threadsperurl="four"')
    with pytest.raises(MeasurementError, match="non-numeric"):
        tuned_config(parse_config(bad, "t"), 4, None)


def test_measures_against_the_speed_servers_mini_endpoints(speed_url):
    result = measure(SpeedtestSettings(server=f"{speed_url}/", streams=4, duration_s=1.0, timeout_s=5))
    assert result.backend == "speedtest"
    assert result.server == speed_url
    assert result.download_mbps and result.download_mbps > 0
    assert result.upload_mbps and result.upload_mbps > 0
    assert result.latency_idle_ms is not None
    assert result.download_bytes and result.upload_bytes


class _MalformedConfig(BaseHTTPRequestHandler):
    """A mini server whose speedtest-config.php is broken XML."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b"<settings><client ip=" if self.path.split("?")[0].endswith("config.php") else (
            b'<html>upload_extension: "php"</html>')
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_malformed_config_from_the_server_is_unknown_with_reason(handler_server):
    with handler_server(_MalformedConfig) as url, pytest.raises(MeasurementError, match="malformed speedtest config"):
        measure(SpeedtestSettings(server=url, duration_s=1.0, timeout_s=3))


class _NoConfigMini(BaseHTTPRequestHandler):
    """A stock speedtest mini: no config of its own (404), only the page; the built-in default config is used."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.split("?")[0].endswith("config.php"):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'<html>upload_extension: "php"</html>'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_mini_without_config_uses_the_builtin_one(handler_server):
    # The page answers but there is nothing to download from: the built-in config was accepted (no config
    # error), and the failed transfers are reported as such.
    with handler_server(_NoConfigMini) as url, pytest.raises(MeasurementError, match="transfers failed|latency"):
        measure(SpeedtestSettings(server=url, streams=2, duration_s=1.0, timeout_s=3))


def test_unreachable_mini_server(dead_url):
    with pytest.raises(ServerUnreachable, match="Failed to connect"):
        measure(SpeedtestSettings(server=dead_url, duration_s=1.0, timeout_s=2))


def test_config_url_unreachable_without_fallback(dead_url):
    with pytest.raises(ServerUnreachable, match="cannot fetch the speedtest configuration"):
        measure(SpeedtestSettings(server="1234", config_url=f"{dead_url}/speedtest-config.php", timeout_s=2))


def test_server_that_is_neither_id_nor_url(speed_url):
    with pytest.raises(MeasurementError, match="neither an Ookla server id"):
        measure(SpeedtestSettings(server="not-a-server", config_url=f"{speed_url}/speedtest-config.php"))


@pytest.fixture
def ookla_stand_in(monkeypatch, tcp_port):
    """The speed server, also answering speedtest.net's config and server list as the http proxy speedtest-cli
    honours (``http_proxy``), so "server by id" and "nearest" run offline: nothing leaves loopback."""
    import threading
    from urllib.parse import urlsplit

    from agent.speed_server import SpeedHandler, make_server

    server = make_server("127.0.0.1", 0)
    port = server.server_address[1]
    servers_xml = (
        '<?xml version="1.0"?><settings><servers>'
        f'<server url="http://127.0.0.1:{port}/speedtest/upload.php" lat="0.1" lon="0.1" name="Loopback"'
        f' country="ZZ" cc="ZZ" sponsor="Lab ISP" id="4242" host="127.0.0.1:{port}"/>'
        f'<server url="http://127.0.0.1:{tcp_port}/speedtest/upload.php" lat="10" lon="10" name="Nowhere"'
        f' country="ZZ" cc="ZZ" sponsor="Dead ISP" id="999" host="127.0.0.1:{tcp_port}"/>'
        "</servers></settings>"
    ).encode()

    class OoklaHandler(SpeedHandler):
        def do_GET(self) -> None:
            if urlsplit(self.path).path.endswith("speedtest-servers-static.php"):
                return self._small(servers_xml, "text/xml")
            return super().do_GET()

    server.RequestHandlerClass = OoklaHandler
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()


CONFIG_VIA_PROXY = "http://www.speedtest.net/speedtest-config.php"


def test_server_by_id(ookla_stand_in):
    result = measure(SpeedtestSettings(server="4242", config_url=CONFIG_VIA_PROXY, streams=2, duration_s=1.0))
    assert result.server.startswith("Lab ISP (Loopback) 127.0.0.1")
    assert result.download_mbps and result.upload_mbps


def test_nearest_server_skips_the_dead_one(ookla_stand_in):
    result = measure(SpeedtestSettings(server=None, config_url=CONFIG_VIA_PROXY, streams=2, duration_s=1.0,
                                       timeout_s=2))
    assert result.server.startswith("Lab ISP")


def test_unknown_server_id(ookla_stand_in):
    with pytest.raises(MeasurementError, match="speedtest"):
        measure(SpeedtestSettings(server="31337", config_url=CONFIG_VIA_PROXY, duration_s=1.0))


def test_credentials_in_a_server_url_never_reach_a_reason(speed_url):
    from agent.config.broadband import BroadbandConfig
    from probes.broadband.probe import measure_speed

    with_secret = speed_url.replace("http://", "http://auditor:canary-s3cret@")
    bb = BroadbandConfig(backend="speedtest", server=with_secret, duration_s=1.0, warmup_s=0.2, runs=1)
    with pytest.raises(MeasurementError) as caught:
        measure_speed(bb)  # urllib cannot use credentials in a URL; the reason it gives must not quote them
    assert "canary-s3cret" not in str(caught.value) and "127.0.0.1" in str(caught.value)


def test_redact():
    from probes.broadband.common import redact

    text = "Failed to connect to https://u:p@host:1/x and ftp://a@b"
    assert redact(text) == "Failed to connect to https://host:1/x and ftp://b"
