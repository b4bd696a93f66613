"""One namespace lab for the firewall tests (both profiles: the rules are swapped in place, which is one nft
transaction, instead of building the namespaces twice). Skipped without root, ip and nft; always removed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.lab.netns import NetnsLab, available


@pytest.fixture(scope="package")  # torn down when the firewall tests end, not at the end of the whole run
def netns_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetnsLab]:
    why = available()
    if why is not None:
        pytest.skip(f"namespace lab: {why}")
    lab = NetnsLab("well-kept", Path(tmp_path_factory.mktemp("snfw-lab")))
    try:
        lab.start()
        yield lab
    finally:
        lab.stop()


@pytest.fixture
def well_kept(netns_lab: NetnsLab) -> NetnsLab:
    netns_lab.set_profile("well-kept")
    return netns_lab


@pytest.fixture
def leaky(netns_lab: NetnsLab) -> Iterator[NetnsLab]:
    netns_lab.set_profile("leaky")
    yield netns_lab
    netns_lab.set_profile("well-kept")
