#!/usr/bin/env bash
# Install, then run the whole test suite (slow and browser tests included) and ruff.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f scripts/browser-setup.sh ]; then bash scripts/browser-setup.sh; fi
.venv/bin/ruff check src tests benchmarks
.venv/bin/python -m pytest -q "$@"
