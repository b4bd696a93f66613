#!/usr/bin/env bash
# Run the whole test suite (needs `scripts/setup.sh --dev` first). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
exec .venv/bin/python -m pytest -q "$@"
