"""Collector down, killed mid-upload, acknowledgement lost: after recovery every report is stored exactly once.

A real collector process (SIGKILLed and restarted on the same port and database), real HTTP through a small TCP
proxy that can swallow the collector's answer after forwarding the request (a lost acknowledgement)."""

from __future__ import annotations

import random
import socket
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import select

from agent.config.upload import UploadConfig
from agent.delivery.outbox import Outbox
from agent.delivery.upload import flush, queue_report
from collector.db import make_engine
from collector.models import StoredReport
from tests.support.collector_kit import CollectorProcess, enrolled_keys, free_port, provision, report_bytes

ROUNDS = 12
REPORTS_PER_ROUND = 3


class AckDroppingProxy:
    """Forwards each HTTP request to the collector; while ``drop`` > 0 it reads the answer and throws it away."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.drop = 0
        self.dropped = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    @staticmethod
    def _read_message(conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    def _handle(self, client: socket.socket) -> None:
        try:
            self._relay(client)
        except OSError:
            pass  # the collector was killed mid-request: the client sees its connection drop

    def _relay(self, client: socket.socket) -> None:
        with client:
            request = self._read_message(client)
            if not request:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
            except OSError:
                return  # collector down: the client sees its connection closed
            with upstream:
                upstream.sendall(request)
                response = self._read_message(upstream)
            if self.drop > 0:
                self.drop -= 1
                self.dropped += 1
                return  # the collector stored it; the agent never hears so
            status_line, _, rest = response.partition(b"\r\n")
            client.sendall(status_line + b"\r\nConnection: close\r\n" + rest)

    def close(self) -> None:
        self.running = False
        self.sock.close()


def _stored_ids(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(select(StoredReport.report_id)))
    finally:
        engine.dispose()


def test_every_report_stored_exactly_once(db_url: str, tmp_path: Path) -> None:
    rng = random.Random(20261129)
    site = provision(db_url, "Trust R", f"URN-R{uuid.uuid4().hex[:6]}")
    port = free_port()
    server = CollectorProcess(db_url, tmp_path / "srv", port).start()
    proxy = AckDroppingProxy(port)
    state = tmp_path / "state"
    enrolled_keys(server.url, site.enrol_token, state)
    config = UploadConfig(
        enabled=True, url=proxy.url, max_attempts=4, backoff_initial_s=0.05, backoff_max_s=0.2, timeout_s=5
    )
    outbox = Outbox(state)
    made: list[str] = []
    outcomes: dict[str, int] = {"down": 0, "killed": 0, "ack_lost": 0, "normal": 0}
    try:
        for round_number in range(ROUNDS):
            for _ in range(REPORTS_PER_ROUND):
                rid = str(uuid.uuid4())
                queue_report(state, rid, report_bytes(site.site_id, report_id=uuid.UUID(rid)), site.site_id)
                made.append(rid)
            scenario = ("normal", "ack_lost", "down", "killed")[round_number % 4]
            outcomes[scenario] += 1
            if scenario == "normal":
                flush(outbox, config)
            elif scenario == "ack_lost":
                proxy.drop = rng.randint(1, REPORTS_PER_ROUND)
                flush(outbox, config)
            elif scenario == "down":
                server.kill()
                result = flush(outbox, config)
                assert result.delivered == [] and len(result.waiting) >= REPORTS_PER_ROUND
                assert "collector unreachable" in result.waiting[0].reason() or "HTTP" in result.waiting[0].reason()
                server = CollectorProcess(db_url, tmp_path / "srv", port).start()
            else:
                sender = threading.Thread(target=flush, args=(outbox, config))
                sender.start()
                time.sleep(rng.uniform(0.0, 0.08))
                server.kill()  # in the middle of the uploads, maybe mid-transaction
                sender.join(30)
                server = CollectorProcess(db_url, tmp_path / "srv", port).start()
            assert not outbox.rejected(), [i.last_error for i in outbox.rejected()]
        # Recovery: the next runs empty the outbox.
        for _ in range(5):
            if not outbox.items():
                break
            flush(outbox, config)
        assert outbox.items() == [], [i.reason() for i in outbox.items()]
        assert outbox.rejected() == []
        stored = _stored_ids(db_url)
        assert sorted(stored) == sorted(made), "every report stored, none twice, none lost"
        assert proxy.dropped >= 1, "the lost-acknowledgement path was exercised"
    finally:
        proxy.close()
        server.stop()


def test_outbox_survives_and_upload_cli_reports_waiting(tmp_path: Path) -> None:
    """With no collector at all, `schoolnet upload` keeps every report and exits 1; `outbox list` says why."""
    import json
    import os
    import subprocess
    import sys

    from agent.delivery.signing import init_keys

    state = tmp_path / "state"
    init_keys(state)
    queue_report(state, "11111111-1111-4111-8111-111111111111", b'{"x": 1}')
    config = tmp_path / "schoolnet.toml"
    config.write_text(
        f'[site]\nid = "URN1"\nname = "School"\nphase = "primary"\n[agent]\nstate_dir = "{state}"\n'
        f'[upload]\nenabled = true\nurl = "http://127.0.0.1:{free_port()}"\nmax_attempts = 2\n'
        "backoff_initial_s = 0.01\n"
    )
    env = {**os.environ}
    run = [sys.executable, "-c", "from agent.cli import main; main()"]
    done = subprocess.run(
        [*run, "upload", "--config", str(config), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["waiting"][0]["reason"].startswith(
        "2 attempt(s) failed; last: collector unreachable"
    )
    listed = subprocess.run(
        [*run, "outbox", "list", "--config", str(config), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    waiting = json.loads(listed.stdout)["waiting"]
    assert [w["report_id"] for w in waiting] == ["11111111-1111-4111-8111-111111111111"]
    assert waiting[0]["attempts"] == 2


def test_scan_hook_signs_queues_and_uploads(tmp_path: Path) -> None:
    """scan_and_write with [upload] on: the report.json bytes arrive at the collector, signed, unchanged."""
    import base64
    import json

    import requests

    from agent.config import Config
    from agent.lab import Lab
    from agent.lab.collector import CollectorLab
    from agent.scan import scan_and_write

    lab_component = CollectorLab()
    with Lab(tmp_path / "lab", components=[lab_component]) as lab:
        config = Config.model_validate(lab.config)
        assert config.upload.enabled
        report = scan_and_write(config, [], tmp_path / "out", show_progress=False)
        written = (tmp_path / "out" / "report.json").read_bytes()
        assert Outbox(config.agent.state_dir).items() == []
        headers = {"Authorization": f"Bearer {lab_component.viewer_token}"}
        envelope = requests.get(
            f"{config.upload.url}/api/v1/reports/{report.report_id}/envelope", headers=headers, timeout=10
        )
        assert envelope.status_code == 200
        assert base64.b64decode(json.loads(envelope.content)["payload"]) == written
        process = lab_component.process
        assert process is not None
    assert process.poll() is not None, "the lab left no collector behind"
