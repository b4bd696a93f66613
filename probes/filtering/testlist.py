"""Test lists: CSV ``category,url``, one address per line (``#`` comments and blank lines ignored).

The built-in list is neutral: control addresses that must stay reachable and vendors' published test
domains. It never holds an address of real illegal content: the IWF and CTIRU entries are the ones a
school's filter provider (or SWGfL) gives it, added by the school in its own file.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import urlsplit

from probes.filtering.settings import TestEntry

MAX_FILE_BYTES = 1_000_000
MAX_ENTRIES = 5000

# Neutral defaults. Vendor test domains are pages the vendors keep for exactly this test.
DEFAULT_TESTS: tuple[tuple[str, str], ...] = (
    ("allowed", "https://www.gov.uk/"),
    ("allowed", "https://www.bbc.co.uk/bitesize"),
    ("adult", "http://www.exampleadultsite.com/"),  # Cisco Umbrella's adult-category test domain
    ("malware", "http://www.examplemalwaredomain.com/"),  # Cisco Umbrella's malware test domain
    ("phishing", "http://www.internetbadguys.com/"),  # Cisco Umbrella's phishing test domain
)


class TestListError(ValueError):
    """A test list that cannot be used; the message names the file and line."""

    __test__ = False


def default_tests() -> list[TestEntry]:
    return [TestEntry(category=c, url=u) for c, u in DEFAULT_TESTS]


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be tested, or None when it can."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"{url!r} is not an http:// or https:// address"
    if not parts.hostname:
        return f"{url!r} has no host name"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"{url!r} has a bad port"
    return None


def parse_tests(text: str, name: str) -> list[TestEntry]:
    """Parse a test list; raise TestListError naming ``name`` and the line of the first bad entry."""
    entries: list[TestEntry] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        row = next(csv.reader(io.StringIO(line)))
        if [cell.strip().lower() for cell in row] == ["category", "url"]:
            continue  # a header row
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise TestListError(f"{name}:{number}: expected 'category,url', got {line[:120]!r}")
        category, url = row[0].strip().lower(), row[1].strip()
        if len(category) > 64 or not all(ch.isalnum() or ch in "-_" for ch in category):
            raise TestListError(f"{name}:{number}: category {category[:70]!r} must be letters, digits, - or _")
        problem = check_url(url)
        if problem:
            raise TestListError(f"{name}:{number}: {problem}")
        if len(entries) >= MAX_ENTRIES:
            raise TestListError(f"{name}:{number}: more than {MAX_ENTRIES} test addresses")
        entries.append(TestEntry(category=category, url=url, line=number))
    if not entries:
        raise TestListError(f"{name}: no test addresses (expected lines of 'category,url')")
    return entries


def load_tests(path: Path) -> list[TestEntry]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TestListError(f"{path}: {size} bytes; a test list may be at most {MAX_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TestListError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise TestListError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise TestListError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_tests(text, str(path))
