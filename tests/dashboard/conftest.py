"""Two simulated trusts on a real collector process, seeded through enrol and signed-report ingest."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

pytest.importorskip("fastapi", reason="the [collector] extra is not installed")

from agent.lab.trust_seed import DEMO_SCHOOLS, SeededTrust, SimulatedSchool, load_base, seed_trust
from tests.support.collector_kit import CollectorProcess

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "dashboard" / "lab-evidence.json"
OTHER_SCHOOLS = (SimulatedSchool("200201", "Other Trust Primary", "primary", 90.0),)
NOW = datetime.now(UTC)


class Client:
    """requests with a cookie jar of its own: the dashboard's cookies are Secure, and requests (like
    http.cookiejar) never sends those over plain http, even to loopback where browsers do."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(
            method, self.base + path, headers=headers, allow_redirects=False, timeout=30, **kwargs
        )
        for cookie in response.raw.headers.getlist("set-cookie"):
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""') or "max-age=0" in cookie.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict[str, str], **kwargs: Any) -> requests.Response:
        return self.request("POST", path, data=data, **kwargs)

    def csrf(self, path: str) -> str:
        page = self.get(path)
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found, f"no CSRF token on {path}: {page.status_code}"
        return found.group(1)

    def sign_in(self, email: str, password: str) -> requests.Response:
        token = self.csrf("/login")
        return self.post("/login", {"csrf": token, "email": email, "password": password, "next": "/"})


@dataclass
class Trusts:
    url: str
    db_url: str
    a: SeededTrust
    b: SeededTrust
    server: CollectorProcess

    def client(self, trust: str = "a", role: str | None = "trust_admin") -> Client:
        client = Client(self.url)
        if role is not None:
            email, password = getattr(self, trust).accounts[role]
            answer = client.sign_in(email, password)
            assert answer.status_code == 303, answer.text[:500]
        return client


@pytest.fixture(scope="session")
def trusts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trusts]:
    work = tmp_path_factory.mktemp("dashboard")
    db_url = f"sqlite:///{work / 'collector.db'}"
    server = CollectorProcess(db_url, work).start()
    try:
        evidence, profile = load_base(FIXTURE)
        a = seed_trust(db_url, server.url, work, evidence, profile, schools=DEMO_SCHOOLS, nights=12, now=NOW)
        b = seed_trust(
            db_url,
            server.url,
            work,
            evidence,
            profile,
            trust_name="Other Trust",
            schools=OTHER_SCHOOLS,
            nights=3,
            now=NOW,
        )
        yield Trusts(server.url, db_url, a, b, server)
    finally:
        server.stop()
