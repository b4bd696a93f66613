"""iperf3 backend: a real iperf3 server on loopback, and the JSON parser's failure paths."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from agent.lab.procs import stop_process
from probes.broadband.common import MeasurementError, ServerUnreachable
from probes.broadband.iperf3_backend import Iperf3Settings, measure, parse_json, parse_server
from tests.conftest import free_port

needs_iperf3 = pytest.mark.skipif(shutil.which("iperf3") is None, reason="iperf3 is not installed")


@pytest.fixture
def iperf3_server():
    port = free_port()
    proc = subprocess.Popen(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        yield f"127.0.0.1:{port}"
    finally:
        stop_process(proc)


@needs_iperf3
def test_measures_against_a_real_server(iperf3_server):
    result = measure(Iperf3Settings(server=iperf3_server, streams=2, duration_s=1.0, warmup_s=0.0))
    assert result.backend == "iperf3" and result.server == f"iperf3://{iperf3_server}"
    assert result.download_mbps and result.download_mbps > 0
    assert result.upload_mbps and result.upload_mbps > 0
    assert result.latency_loaded_upload_ms is not None


@needs_iperf3
def test_unreachable_server():
    with pytest.raises(ServerUnreachable, match="iperf3: unable to connect"):
        measure(Iperf3Settings(server=f"127.0.0.1:{free_port()}", duration_s=1.0, warmup_s=0.0, timeout_s=2))


def test_missing_binary():
    with pytest.raises(MeasurementError, match="not installed"):
        measure(Iperf3Settings(server="127.0.0.1", binary="no-such-iperf3-binary"))


def test_parse_json_figures():
    doc = """{"start": {}, "intervals": [], "end": {
      "streams": [{"sender": {"mean_rtt": 2000}}, {"sender": {"mean_rtt": 4000}}],
      "sum_sent": {"bits_per_second": 957000000.0, "retransmits": 3},
      "sum_received": {"bits_per_second": 956400000.0}}}"""
    figures = parse_json(doc)
    assert figures.mbps == pytest.approx(956.4)
    assert figures.mean_rtt_ms == pytest.approx(3.0)
    assert figures.retransmits == 3


@pytest.mark.parametrize(
    ("text", "error", "reason"),
    [
        ('{"error": "unable to connect to server: Connection refused"}', ServerUnreachable, "unable to connect"),
        ('{"error": "the server is busy running a test. try again later"}', MeasurementError, "server is busy"),
        ("iperf3: error - bad option", MeasurementError, "did not print JSON"),
        ("", MeasurementError, "no output"),
        ('{"end": {}}', MeasurementError, "no end.sum_received"),
    ],
)
def test_parse_json_failures(text, error, reason):
    with pytest.raises(error, match=reason):
        parse_json(text)


def test_parse_server():
    assert parse_server("iperf.example") == ("iperf.example", 5201)
    assert parse_server("iperf3://10.0.0.5:5999") == ("10.0.0.5", 5999)
    assert parse_server("[2001:db8::1]:5202") == ("2001:db8::1", 5202)
    with pytest.raises(MeasurementError):
        parse_server("host:port")
