"""The external scan end to end: a scanner key enrolled by the trust's admin, a scan of the lab school's public
address from the lab's internet namespace, signed and uploaded to a real collector process, and read back per
school (JSON and CSV). Unenrolled keys, tampered scans and other trusts' schools are refused with the reason."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import tomli_w

pytest.importorskip("fastapi", reason="the [collector] extra is not installed")

from agent.delivery.signing import envelope_bytes, init_keys, make_envelope, raw_public_bytes
from agent.lab.netns import WAN_FIREWALL, NetnsLab
from contract.external_scan import EXTERNAL_SCAN_TYPE
from tests.support.collector_kit import CollectorProcess, provision

pytestmark = pytest.mark.netns
SCHOOLNET = str(Path(sys.executable).parent / "schoolnet")


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    from collector import admin
    from collector.db import make_engine, session_factory

    work = tmp_path_factory.mktemp("snfw-collector")
    db_url = f"sqlite:///{work / 'collector.db'}"
    viewer = provision(db_url, "Lab Trust", "LAB-EXT-1").viewer_token
    provision(db_url, "Other Trust", "OTHER-1")
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        admin_token = admin.issue_token(session, "lab-trust", "scanner admin", role="admin").token
    engine.dispose()
    server = CollectorProcess(db_url, work).start()
    try:
        yield server.url, admin_token, viewer
    finally:
        server.stop()


def enrol(url: str, admin_token: str, state: Path) -> None:
    keys = init_keys(state)
    public = base64.b64encode(raw_public_bytes(keys.private_key.public_key())).decode()
    done = requests.post(f"{url}/api/v1/trust-scanners", json={"name": "trust server", "public_key": public},
                         headers={"Authorization": f"Bearer {admin_token}"}, timeout=10)
    assert done.status_code == 201, done.text


def test_external_scan_signed_uploaded_and_filed_under_the_school(leaky: NetnsLab, collector, tmp_path: Path) -> None:
    url, admin_token, viewer = collector
    state = tmp_path / "scanner-state"
    enrol(url, admin_token, state)
    config = tmp_path / "trust.toml"
    config.write_text(tomli_w.dumps({
        "site": {"id": "TRUST", "name": "Trust server", "phase": "secondary"},
        "agent": {"state_dir": str(state), "id": "trust-scanner-1"},
        "firewall": {"rate_pps": 2000, "timeout_s": 0.3, "external": {
            "ports": "22,23,113,443,10443", "udp_ports": [],
            "schools": [{"site_id": "LAB-EXT-1", "addresses": [WAN_FIREWALL],
                         "declared": [{"protocol": "tcp", "port": 10443, "purpose": "SSL VPN portal"}]}]}},
    }))
    signed = tmp_path / "scan.dsse.json"
    done = subprocess.run([SCHOOLNET, "firewall", "external-scan", "--config", str(config), "--netns", leaky.ns("inet"),
                           "--upload", url, "--output", str(signed), "--format", "json"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "RES_OPTIONS": "timeout:1 attempts:1"})
    assert done.returncode == 1, done.stderr  # WAN SSH open: inbound beyond the declared VPN portal
    scan = json.loads(done.stdout)
    assert scan["schools"][0]["site_id"] == "LAB-EXT-1"

    read = requests.get(f"{url}/api/v1/sites/LAB-EXT-1/external-scans",
                        headers={"Authorization": f"Bearer {viewer}"}, timeout=10)
    assert read.status_code == 200, read.text
    stored = read.json()
    assert len(stored) == 1 and stored[0]["scan_id"] == scan["scan_id"] and stored[0]["scanner"] == "trust server"
    verdicts = {(r["requirement"], r["check"]): r["status"] for r in stored[0]["results"]}
    assert verdicts[("dfe.cyber.firewall", "firewall_inbound_only_declared")] == "fail"
    assert verdicts[("dfe.broadband.security-safeguarding", "firewall_inbound_only_declared")] == "fail"
    assert verdicts[("dfe.cyber.firewall", "firewall_admin_not_exposed")] == "fail"
    ports = stored[0]["evidence"][0]["data"]["ports"]
    assert {(p["port"], p["state"]) for p in ports} >= {(22, "open"), (10443, "open")}
    as_csv = requests.get(f"{url}/api/v1/sites/LAB-EXT-1/external-scans?format=csv",
                          headers={"Authorization": f"Bearer {viewer}"}, timeout=10)
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "firewall_inbound_only_declared,fail" in as_csv.text

    # The same signed file again: accepted, nothing stored twice.
    again = requests.post(f"{url}/api/v1/external-scans", data=signed.read_bytes(), timeout=10)
    assert again.status_code == 201 and again.json()["schools"] == 0


def test_refusals(collector, tmp_path: Path) -> None:
    url, admin_token, _ = collector
    state = tmp_path / "state"
    enrol(url, admin_token, state)
    keys = init_keys(tmp_path / "stranger")
    scan = {"scan_id": "8b7f8d0e-6c1a-4e59-9f6e-1d2c3b4a5f60", "scanner": "x", "started_at": "2026-12-02T04:00:00Z",
            "finished_at": "2026-12-02T04:01:00Z", "standards_version": "t",
            "schools": [{"site_id": "OTHER-1", "addresses": [], "evidence": [], "results": []}]}
    payload = json.dumps(scan).encode()

    def post(body: bytes) -> requests.Response:
        return requests.post(f"{url}/api/v1/external-scans", data=body, timeout=10)

    stranger = post(envelope_bytes(make_envelope(keys.private_key, payload, EXTERNAL_SCAN_TYPE)))
    assert stranger.status_code == 401 and stranger.json()["error"] == "unknown_scanner"
    from agent.delivery.signing import load_keys

    ours = load_keys(state)
    other_trust = post(envelope_bytes(make_envelope(ours.private_key, payload, EXTERNAL_SCAN_TYPE)))
    assert other_trust.status_code == 422 and "OTHER-1" in other_trust.json()["detail"]
    envelope = make_envelope(ours.private_key, payload, EXTERNAL_SCAN_TYPE)
    envelope["payload"] = base64.b64encode(payload.replace(b"OTHER-1", b"LAB-EXT-1")).decode()
    tampered = post(envelope_bytes(envelope))
    assert tampered.status_code == 401 and tampered.json()["error"] == "bad_signature"
    report_type = post(envelope_bytes(make_envelope(ours.private_key, payload)))
    assert report_type.status_code == 400 and report_type.json()["error"] == "wrong_type"
    no_admin = requests.post(f"{url}/api/v1/trust-scanners", json={"name": "x", "public_key": "AAAA"}, timeout=10)
    assert no_admin.status_code == 401
