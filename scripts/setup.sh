#!/usr/bin/env bash
# Set up schoolnet on a fresh machine: Debian packages (when root), a virtualenv in .venv, the project.
#   scripts/setup.sh          runtime + lab (enough for `schoolnet demo`)
#   scripts/setup.sh --dev    everything the tests and benchmarks need
set -euo pipefail
cd "$(dirname "$0")/.."
extras="lab"
apt_wanted=0
if [ "${1:-}" = "--dev" ]; then extras="dev"; apt_wanted=1; fi

if [ "$apt_wanted" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  mapfile -t pkgs < <(grep -v '^\s*#' scripts/apt-packages.txt | grep -v '^\s*$')
  missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # npm (for axe-core in the dashboard's browser tests) only where no npm exists at all: Node.js from another
  # source already carries one, and Debian's npm package conflicts with it.
  if ! command -v npm >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null ||
      echo "setup: could not install npm; the dashboard's accessibility test will be skipped" >&2
  fi
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
# pip's output goes to a log; it is shown only when the install fails.
log=.venv/setup.log
if ! { .venv/bin/python -m pip install -q --disable-pip-version-check -U pip &&
       .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$extras]"; } >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "setup: pip install failed (full log: $log)" >&2
  exit 1
fi
# The dashboard's browser tests run axe-core (from the npm registry) inside Chromium.
if [ "$extras" = dev ] && command -v npm >/dev/null; then
  npm ci --prefix tests/dashboard/browser --no-audit --no-fund >>"$log" 2>&1 ||
    echo "setup: npm ci failed (see $log); the dashboard's accessibility test will be skipped" >&2
fi
echo "setup: ready (.venv, extras: $extras)" >&2
