"""The layers contract holds, and a backwards import would break it (so CI catches one).

import-linter reads the contracts in pyproject.toml. The second test copies the packages into a temporary
folder, adds one import that runs backwards (the leaf contract package importing the agent), and expects
lint-imports to fail there: proof that the contract is live, not merely configured.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("contract", "probes", "standards_map", "reports", "collector", "agent")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed ([dev] extra)")


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
    )


def _copy_tree(dest: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(REPO / package, dest / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(REPO / "pyproject.toml", dest / "pyproject.toml")


def test_layers_contract_is_kept() -> None:
    done = _lint(REPO)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.parametrize(
    ("module", "backwards_import"),
    [
        ("contract/backwards.py", "import agent.cli\n"),
        ("probes/backwards.py", "from standards_map.evaluate import evaluate\n"),
        ("collector/backwards.py", "import probes.switch\n"),
    ],
)
def test_a_backwards_import_breaks_the_contract(tmp_path: Path, module: str, backwards_import: str) -> None:
    _copy_tree(tmp_path)
    (tmp_path / module).write_text(backwards_import)
    done = _lint(tmp_path)
    assert done.returncode != 0, done.stdout[-2000:]
    assert "BROKEN" in done.stdout
