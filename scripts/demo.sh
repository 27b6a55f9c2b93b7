#!/usr/bin/env bash
# Install, ingest the bundled sample corpus into fonds.db, print an overview, and serve it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/fonds ingest corpus/seeds corpus/frus --db fonds.db || true
.venv/bin/fonds overview --db fonds.db
exec .venv/bin/fonds serve --db fonds.db --host 127.0.0.1 --port "${PORT:-8000}"
