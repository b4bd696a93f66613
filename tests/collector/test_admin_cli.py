"""`schoolnet collector ...` admin commands, through the real console entry point."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support.collector_kit import run_collector_cli


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run `schoolnet collector ...` in-process through main() (exit codes as the console script maps them)."""

    def run(db: str, *args: str) -> subprocess.CompletedProcess[str]:
        return run_collector_cli(capsys, monkeypatch, db, *args)

    return run


def test_admin_flow(tmp_path, cli) -> None:
    db = f"sqlite:///{tmp_path / 'admin.db'}"
    made = cli(db, "trust", "create", "North Star Academies", "--format", "json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["slug"] == "north-star-academies"
    assert cli(db, "trust", "create", "North Star Academies").returncode == 2  # exists: a usage error
    site = cli(
        db,
        "site",
        "create",
        "URN100",
        "--trust",
        "north-star-academies",
        "--name",
        "Hill Primary",
        "--phase",
        "primary",
    )
    assert site.returncode == 0, site.stderr
    token = cli(db, "token", "enrol", "URN100", "--ttl-hours", "2", "--format", "json")
    assert json.loads(token.stdout)["token"].startswith("snen_")
    viewer = cli(db, "token", "viewer", "north-star-academies", "--format", "json")
    assert json.loads(viewer.stdout)["token"].startswith("snvw_")
    rotate = cli(db, "key", "rotate", "URN100", "--format", "json")
    assert json.loads(rotate.stdout)["rotates_keys"] is True
    assert json.loads(cli(db, "key", "list", "--format", "json").stdout) == []
    missing = cli(db, "token", "enrol", "URN999")
    assert missing.returncode == 2 and "no site 'URN999'" in missing.stderr
    unknown_key = cli(db, "key", "revoke", "sha256:nope")
    assert unknown_key.returncode == 2


def test_unreachable_database_cannot_run(tmp_path, cli) -> None:
    done = cli("postgresql://postgres@127.0.0.1:1/none", "trust", "list-does-not-exist")
    assert done.returncode == 2  # unknown sub-command: usage
    down = cli("postgresql://postgres:s3cret-pw@127.0.0.1:1/none", "trust", "create", "X")
    assert down.returncode == 3, down.stderr
    assert "cannot open the database" in down.stderr
    assert "s3cret-pw" not in down.stderr + down.stdout, "a database password is never printed"
