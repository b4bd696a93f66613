"""`schoolnet enroll URL --token T`: register this agent's public key with the collector for one site."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import requests

from agent.delivery.signing import load_keys, raw_public_bytes
from agent.delivery.upload import check_url, tls_verify
from agent.errors import CannotRunError, UsageError
from agent.files import write_atomic

ENROL_PATH = "/api/v1/enrol"
ENROLMENT_FILE = "enrolment.json"


def enroll(
    url: str,
    token: str,
    state_dir: Path,
    *,
    agent_id: str | None,
    ca_bundle: Path | None = None,
    allow_plain_http: bool = False,
    timeout_s: float = 30.0,
) -> dict[str, Any]:
    """Send the public key with the one-time token; save what the collector answered in the state dir."""
    base = check_url(url, allow_plain_http, what="URL")
    keys = load_keys(state_dir)
    body = {
        "token": token,
        "public_key": base64.b64encode(raw_public_bytes(keys.public_key)).decode("ascii"),
        "agent_id": agent_id,
    }
    try:
        response = requests.post(base + ENROL_PATH, json=body, timeout=timeout_s, verify=tls_verify(ca_bundle))
    except requests.exceptions.SSLError as exc:
        raise CannotRunError(f"{base}: TLS verification failed ({exc}); pass --ca-bundle for a private CA") from None
    except requests.exceptions.RequestException as exc:
        raise CannotRunError(f"{base}: collector unreachable ({exc})") from None
    try:
        answer = response.json()
    except ValueError:
        answer = {"detail": response.text[:200]}
    if response.status_code != 201:
        detail = answer.get("detail") if isinstance(answer, dict) else answer
        raise UsageError(f"--token: the collector refused enrolment (HTTP {response.status_code}): {detail}")
    record = {"collector_url": base, **answer}
    write_atomic(state_dir.expanduser() / ENROLMENT_FILE, (json.dumps(record, indent=2) + "\n").encode())
    return record


def enrolment(state_dir: Path) -> dict[str, Any] | None:
    """What the last successful enrolment recorded, if any."""
    try:
        data = json.loads((state_dir.expanduser() / ENROLMENT_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
