"""Test lists: CSV category,url; a malformed line is a usage error (exit 2) naming the file and line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from probes.filtering.testlist import DEFAULT_TESTS, TestListError, load_tests, parse_tests


def test_parses_header_comments_and_blank_lines():
    entries = parse_tests("category,url\n# a comment\n\nadult,http://a.test/\nIWF , https://b.test/x?y=1\n", "t.csv")
    assert [(e.category, e.url, e.line) for e in entries] == [
        ("adult", "http://a.test/", 4), ("iwf", "https://b.test/x?y=1", 5)]


@pytest.mark.parametrize("line, needle", [
    ("adult", "expected 'category,url'"),
    ("adult,http://a.test/,extra", "expected 'category,url'"),
    ("adult,ftp://a.test/", "not an http:// or https:// address"),
    ("adult,http:///nohost", "has no host name"),
    ("adult,http://a.test:99999/", "bad port"),
    ("bad category!,http://a.test/", "must be letters, digits"),
])
def test_a_malformed_line_is_named(line, needle):
    with pytest.raises(TestListError) as raised:
        parse_tests(f"allowed,https://ok.test/\n{line}\n", "list.csv")
    assert str(raised.value).startswith("list.csv:2: ") and needle in str(raised.value)


def test_empty_and_missing_files(tmp_path: Path):
    (tmp_path / "empty.csv").write_text("# nothing\n")
    with pytest.raises(TestListError, match="no test addresses"):
        load_tests(tmp_path / "empty.csv")
    with pytest.raises(TestListError, match="no such file"):
        load_tests(tmp_path / "missing.csv")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(TestListError, match="not UTF-8"):
        load_tests(tmp_path / "bin.csv")


def test_defaults_are_neutral():
    # Never an address of illegal content: the IWF/CTIRU entries are the school's own.
    assert not {c for c, _ in DEFAULT_TESTS} & {"iwf", "ctiru"}


def test_cli_exits_2_naming_the_line(tmp_path: Path):
    bad = tmp_path / "tests.csv"
    bad.write_text("category,url\nadult,http://a.test/\nthis line is wrong\n")
    done = subprocess.run([sys.executable, "-m", "agent", "filtering", "test", "--tests", str(bad)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"{bad}:3: expected 'category,url'" in done.stderr.replace("\n", "")
    assert done.stdout == ""
