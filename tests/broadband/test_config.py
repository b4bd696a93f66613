"""The [broadband] config section: the documented example loads; mistakes name the key."""

from __future__ import annotations

import pytest

import agent.config.broadband as module
from agent.config import load_config
from agent.errors import ConfigError

SITE = '[site]\nid = "T1"\nname = "Test"\nphase = "primary"\n'


def example_toml() -> str:
    doc = module.__doc__ or ""
    return doc.split("```toml", 1)[1].split("```", 1)[0]


def test_documented_example_loads(tmp_path):
    path = tmp_path / "schoolnet.toml"
    path.write_text(SITE + example_toml())
    bb = load_config(path).broadband
    assert bb.backend == "http" and bb.connection_type == "fttp"
    assert bb.router is not None and bb.router.community is not None and bb.router.community.env
    assert bb.wan_links[0].type == "leased_line" and str(bb.wan_links[0].failover_tested_on) == "2026-09-01"


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ('[broadband]\nbackend = "ookla"\n', "broadband.backend"),
        ('[broadband]\nduration_s = 2\nwarmup_s = 1.5\n', "at most half of duration_s"),
        ('[broadband]\nconnection_type = "copper"\n', "broadband.connection_type"),
        ('[broadband.router]\nhost = "10.0.0.1"\n', "community"),
        ('[broadband.router]\nhost = "10.0.0.1"\ncommunity = "public"\n', "broadband.router.community"),
        ('[broadband]\nspeed = 5\n', "unknown key 'broadband.speed'"),
    ],
)
def test_mistakes_name_the_key(tmp_path, section, words):
    path = tmp_path / "schoolnet.toml"
    path.write_text(SITE + section)
    with pytest.raises(ConfigError, match=words.replace(".", r"\.").replace("(", r"\(")):
        load_config(path)
