"""A 4xx that can never succeed moves the report to the outbox's rejected folder with the reason; transient
answers keep it waiting (issue 9). Real HTTP: a loopback server answering what each case needs, and a real
collector (the lab's) refusing a report whose timestamps are impossible."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agent.config.upload import UploadConfig
from agent.delivery.outbox import Outbox
from agent.delivery.signing import init_keys
from agent.delivery.upload import flush, queue_report

REPORT_ID = "22222222-2222-4222-8222-222222222222"


@pytest.fixture
def answering() -> Iterator[tuple[str, list[tuple[int, bytes]]]]:
    """A loopback HTTP server answering each POST with the next (status, body) in the list (the last repeats)."""
    answers: list[tuple[int, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            status, body = answers.pop(0) if len(answers) > 1 else answers[0]
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", answers
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def queued(tmp_path: Path) -> Outbox:
    state = tmp_path / "state"
    init_keys(state)
    queue_report(state, REPORT_ID, b'{"report": 1}')
    return Outbox(state)


def send(url: str, box: Outbox):
    config = UploadConfig(enabled=True, url=url, max_attempts=3, backoff_initial_s=0.0)
    return flush(box, config, sleep=lambda _s: None, rng=random.Random(1))


def collector_error(status: int, code: str, detail: str) -> tuple[int, bytes]:
    return status, json.dumps({"error": code, "detail": detail}).encode()


@pytest.mark.parametrize(
    ("status", "code"),
    [(422, "bad_timestamps"), (422, "invalid_report"), (413, "too_large"), (401, "bad_signature"),
     (403, "key_revoked"), (415, "wrong_payload_type"), (422, "some_future_refusal")],
)
def test_permanent_collector_refusal_moves_the_report_to_rejected_with_the_reason(
    tmp_path, answering, status, code
) -> None:
    url, answers = answering
    answers.append(collector_error(status, code, "the reason, in the collector's words"))
    box = queued(tmp_path)
    result = send(url, box)
    assert box.items() == [] and [i.report_id for i in box.rejected()] == [REPORT_ID]
    assert result.rejected == [(REPORT_ID, f"HTTP {status} {code}: the reason, in the collector's words")]
    assert box.rejected()[0].last_error == result.rejected[0][1]
    assert box.rejected()[0].attempts == 1  # refused once is enough: no retries of what can never succeed
    assert (box.rejected_directory / f"{REPORT_ID}.envelope.json").is_file()


@pytest.mark.parametrize(
    "answer",
    [
        collector_error(503, "unavailable", "database down"),
        collector_error(500, "internal", "oops"),
        collector_error(429, "rate_limited", "slow down"),
        collector_error(401, "unknown_key", "no enrolled key"),  # enrol, and the same envelope verifies
        collector_error(422, "from_future", "finished after now"),  # this clock runs ahead: later it is fine
        (404, json.dumps({"detail": "Not Found"}).encode()),  # not the collector (wrong upload.url)
        (403, b"<html>proxy says no</html>"),  # a proxy in the way
    ],
)
def test_transient_or_foreign_answers_keep_the_report_waiting(tmp_path, answering, answer) -> None:
    url, answers = answering
    answers.append(answer)
    box = queued(tmp_path)
    result = send(url, box)
    assert box.rejected() == [] and [i.report_id for i in box.items()] == [REPORT_ID]
    assert [i.report_id for i in result.waiting] == [REPORT_ID]
    assert box.items()[0].attempts == 3
    if answer[0] in (404, 403) and b"error" not in answer[1]:
        assert "is upload.url right?" in box.items()[0].last_error


def test_waiting_report_is_delivered_once_the_collector_recovers(tmp_path, answering) -> None:
    url, answers = answering
    answers += [collector_error(503, "unavailable", "db"), (201, json.dumps({"status": "stored"}).encode())]
    box = queued(tmp_path)
    assert send(url, box).delivered == [REPORT_ID]
    assert box.items() == [] and box.rejected() == []


def test_real_collector_refusing_impossible_timestamps_puts_the_report_aside(tmp_path) -> None:
    """The lab's collector answers 422 to a report that finished before it started: rejected, with the reason,
    and the next upload run does not try it again."""
    pytest.importorskip("fastapi", reason="the [collector] extra is not installed")
    from agent.config import Config
    from agent.lab import Lab
    from agent.lab.collector import CollectorLab
    from agent.scan import run_scan

    with Lab(tmp_path / "lab", components=[CollectorLab()]) as lab:
        config = Config.model_validate(lab.config)
        report = run_scan(config, [], show_progress=False)
        data = json.loads(report.model_dump_json())
        data["started_at"], data["finished_at"] = data["finished_at"], "2020-01-01T00:00:00Z"
        queue_report(config.agent.state_dir, data["report_id"], json.dumps(data).encode())
        box = Outbox(config.agent.state_dir)
        result = flush(box, config.upload, sleep=lambda _s: None)
        assert [r for r, _ in result.rejected] == [data["report_id"]], result
        reason = result.rejected[0][1]
        assert reason.startswith("HTTP 422 ") and box.items() == []
        assert box.rejected()[0].last_error == reason
        again = flush(box, config.upload, sleep=lambda _s: None)
        assert again.rejected == [] and again.delivered == [] and again.waiting == []
