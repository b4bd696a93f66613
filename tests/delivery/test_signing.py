"""Keys and DSSE envelopes: exact bytes, key file permissions, offline verification."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.delivery.signing import (
    PAYLOAD_TYPE,
    EnvelopeError,
    init_keys,
    key_id,
    key_paths,
    load_keys,
    load_public_key,
    pae,
    verify_envelope,
)
from agent.errors import CannotRunError, UsageError


def test_pae_matches_the_dsse_spec_example() -> None:
    assert (
        pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_envelope_carries_the_exact_bytes(tmp_path) -> None:
    keys = init_keys(tmp_path)
    # Odd whitespace and key order: any re-serialisation would change these bytes.
    payload = b'{"b": 1,   "a": [1,2]}\n'
    envelope = keys.sign(payload)
    assert envelope["payloadType"] == PAYLOAD_TYPE
    assert base64.b64decode(envelope["payload"]) == payload
    assert envelope["signatures"][0]["keyid"] == keys.keyid == key_id(keys.public_key)
    assert verify_envelope(json.dumps(envelope).encode(), keys.public_key) == payload


def test_tampering_and_wrong_key_fail(tmp_path) -> None:
    keys = init_keys(tmp_path)
    envelope = keys.sign(b'{"x": 1}')
    tampered = dict(envelope, payload=base64.b64encode(b'{"x": 2}').decode())
    with pytest.raises(EnvelopeError, match="does not verify"):
        verify_envelope(tampered, keys.public_key)
    with pytest.raises(EnvelopeError, match="no signature by key"):
        verify_envelope(envelope, Ed25519PrivateKey.generate().public_key())
    retyped = dict(envelope, payloadType="text/plain")
    with pytest.raises(EnvelopeError, match="does not verify"):
        verify_envelope(retyped, keys.public_key)


def test_key_files_and_permissions(tmp_path) -> None:
    keys = init_keys(tmp_path)
    private_path, public_path = key_paths(tmp_path)
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert b"PRIVATE" not in public_path.read_bytes()
    assert load_keys(tmp_path).keyid == keys.keyid
    assert key_id(load_public_key(public_path)) == keys.keyid
    with pytest.raises(UsageError, match="already exists"):
        init_keys(tmp_path)
    assert init_keys(tmp_path, force=True).keyid != keys.keyid


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_refuses_a_key_others_can_read(tmp_path, mode) -> None:
    init_keys(tmp_path)
    private_path, _ = key_paths(tmp_path)
    os.chmod(private_path, mode)
    with pytest.raises(CannotRunError, match="chmod 600"):
        load_keys(tmp_path)


def test_missing_key_says_what_to_run(tmp_path) -> None:
    with pytest.raises(UsageError, match="schoolnet keys init"):
        load_keys(tmp_path)


def _schoolnet(*args: str, env_state: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCHOOLNET_STATE_DIR": env_state}
    return subprocess.run(
        [sys.executable, "-c", "from agent.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_cli_keys_init_and_verify(tmp_path) -> None:
    state = tmp_path / "state"
    done = _schoolnet("keys", "init", "--format", "json", env_state=str(state))
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["keyid"].startswith("sha256:")
    keys = load_keys(state)
    payload = b'{"report_id": "x"}\n'
    good = tmp_path / "good.json"
    good.write_text(json.dumps(keys.sign(payload)))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(dict(keys.sign(payload), payload=base64.b64encode(b"{}").decode())))
    out = tmp_path / "report.json"
    ok = _schoolnet("verify", str(good), "--key", info["public_key"], "--output", str(out), env_state=str(state))
    assert ok.returncode == 0, ok.stderr
    assert out.read_bytes() == payload
    refused = _schoolnet("verify", str(bad), "--key", info["public_key"], "--format", "json", env_state=str(state))
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["verified"] is False
    again = _schoolnet("keys", "init", env_state=str(state))
    assert again.returncode == 2 and "already exists" in again.stderr
