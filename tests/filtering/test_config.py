"""[filtering] config: which segment a run belongs to, and bad values named."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from agent.config.filtering import FilteringConfig, build_settings, resolve_segment
from agent.errors import UsageError

SEGMENTS = [{"name": "Year 7-11", "role": "student", "ssids": ["School-Student"], "expect_blocked": ["Social"]},
            {"name": "staff", "role": "staff", "ssids": ["School-Staff"]}]


def test_segment_from_flag_then_ssid_then_config_then_default():
    fc = FilteringConfig(segment="staff", segments=SEGMENTS)
    assert resolve_segment(fc, "guest", "School-Student") == ("guest", "guest", "flag")
    assert resolve_segment(fc, None, "School-Student") == ("Year 7-11", "student", "ssid")
    assert resolve_segment(fc, None, "Cafe-WiFi") == ("staff", "staff", "config")
    assert resolve_segment(FilteringConfig(), None, None) == ("unspecified", "other", "default")
    assert resolve_segment(FilteringConfig(), "library", None) == ("library", "other", "flag")


def test_settings_carry_the_segment_expectations_and_signatures(tmp_path: Path):
    tests = tmp_path / "t.csv"
    tests.write_text("social,https://social.test/\n")
    fc = FilteringConfig(segments=SEGMENTS, tests_file=tests,
                         block_pages=[{"provider": "Ours", "pattern": "blocked by ours"}])
    settings = build_settings(fc, ssid="School-Student")
    assert settings.segment == "Year 7-11" and settings.expect_blocked == ["social"]
    assert settings.block_pages[0].provider == "Ours" and len(settings.block_pages) > 1  # built-ins follow
    assert settings.test_list == "t.csv" and settings.tests[0].line == 1
    tests.write_text("social,https://social.test/\nnot a line\n")
    with pytest.raises(UsageError, match=r"t\.csv:2: expected 'category,url'"):
        build_settings(fc)


@pytest.mark.parametrize("bad", [
    {"resolvers": ["not-an-address"]},
    {"sinkhole_ranges": ["10.0.0.0/33"]},
    {"timeout_s": 0},
    {"block_pages": [{"provider": "x", "pattern": "(unclosed"}]},
    {"segments": [{"name": "a"}, {"name": "a"}]},
    {"segments": [{"name": "a", "role": "pupil"}]},
    {"unknown_key": 1},
])
def test_bad_values_are_refused(bad):
    with pytest.raises(ValidationError):
        FilteringConfig.model_validate(bad)
