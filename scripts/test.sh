#!/usr/bin/env bash
# Run every check and the whole test suite (needs `scripts/setup.sh --dev` first). Extra arguments go to pytest.
#   ruff         style and lint
#   lint-imports the layers (pyproject [tool.importlinter]): a backwards import fails here
#   mypy         types (strict on contract/ and standards_map/checks/)
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache
.venv/bin/mypy
exec .venv/bin/python -m pytest -q "$@"
