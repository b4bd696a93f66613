"""`schoolnet collector trust list | site list | site import | token enrol-bulk | account | audit`."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest

from tests.support.collector_kit import run_collector_cli


@pytest.fixture
def cli(capsys, monkeypatch):
    def run(db: str, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {"SCHOOLNET_ACCOUNT_PASSWORD": password} if password is not None else None
        return run_collector_cli(capsys, monkeypatch, db, *args, env=env)

    return run


def test_trust_scale_administration(tmp_path, cli) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    assert cli(db, "trust", "create", "North Star Academies").returncode == 0
    schools = tmp_path / "schools.csv"
    schools.write_text(
        "urn,name,phase,public_addresses\n"
        + "".join(
            f"{100000 + n},School {n},{'primary' if n % 2 else 'secondary'},203.0.113.{n}\n" for n in range(1, 41)
        )
    )
    imported = cli(db, "site", "import", str(schools), "--trust", "north-star-academies")
    assert imported.returncode == 0 and "40 schools created" in imported.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("urn,name,phase\nabc,Bad,primary\n100099,Fine,primary\n")
    refused = cli(db, "site", "import", str(bad), "--trust", "north-star-academies")
    assert refused.returncode == 2 and "line 2" in refused.stderr
    listed = json.loads(cli(db, "site", "list", "--format", "json").stdout)
    assert len(listed) == 40 and listed[0]["trust"] == "north-star-academies" and not listed[0]["enrolled"]
    trusts = json.loads(cli(db, "trust", "list", "--format", "json").stdout)
    assert trusts == [{"slug": "north-star-academies", "name": "North Star Academies", "sites": 40, "accounts": 0}]
    tokens = cli(db, "token", "enrol-bulk", "north-star-academies", "--url", "https://collector.trust.example")
    rows = list(csv.DictReader(io.StringIO(tokens.stdout)))
    assert len(rows) == 40 and rows[0]["command"].startswith("schoolnet enroll https://collector.trust.example")
    made = cli(
        db,
        "account",
        "create",
        "head@school1.example",
        "--trust",
        "north-star-academies",
        "--role",
        "school_viewer",
        "--site",
        "100001",
        password="correct horse battery",
    )
    assert made.returncode == 0, made.stderr
    assert (
        cli(
            db,
            "account",
            "create",
            "x@y.example",
            "--trust",
            "north-star-academies",
            "--role",
            "trust_viewer",
            password="short",
        ).returncode
        == 2
    )
    accounts = json.loads(cli(db, "account", "list", "--format", "json").stdout)
    assert accounts[0]["email"] == "head@school1.example" and "password" not in json.dumps(accounts)
    audit = cli(db, "audit", "--format", "csv").stdout
    assert "sites.import" in audit and "tokens.enrol_bulk" in audit and "account.create" in audit
