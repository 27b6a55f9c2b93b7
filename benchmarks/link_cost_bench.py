"""What finding copies costs a document at ingest: the sketch made where it is read, and
the linking in the writer (its keys stored, its candidates looked up and verified).

    python benchmarks/link_cost_bench.py [--documents 4000] [--json out.json]

One process ingests the ingest benchmark's text documents (FRUS prose cut into documents,
``ingest_bench.text_corpus``, built there once) with the entity stage on the authority
file alone, and times ``sketch_keys`` and ``link_copies`` around every call. To compare
two versions of fonds, run it with each on the path (``PYTHONPATH=other/src``), alternated.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import fonds.extract.record as record_module
import fonds.pipeline as pipeline
from fonds.entities.stage import EntityStage
from fonds.store.sqlite import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_bench import text_corpus


def timed(function: Any, spent: list[float]) -> Any:
    def wrapper(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args)
        finally:
            spent[0] += time.perf_counter() - started

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=4000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    paths = text_corpus(args.documents)  # folders of them, and the rest as files
    sketching, linking = [0.0], [0.0]
    record_module.sketch_keys = timed(record_module.sketch_keys, sketching)
    pipeline.link_copies = timed(pipeline.link_copies, linking)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "cost.db")
        started = time.perf_counter()
        pipeline.ingest(store, paths, EntityStage.for_store(store, ner="none").annotate)
        wall = time.perf_counter() - started
        keys = store.conn.execute("SELECT count(*) FROM copy_keys").fetchone()[0]
        documents = store.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        store.close()
    report = {
        "fonds": str(Path(pipeline.__file__).parents[2]),
        "documents": documents,
        "load_avg_at_start": round(os.getloadavg()[0], 2),
        "wall_s": round(wall, 2),
        "sketch_ms_per_doc": round(sketching[0] / documents * 1e3, 3),
        "link_ms_per_doc": round(linking[0] / documents * 1e3, 3),
        "keys_per_doc": round(keys / documents, 1),
    }
    print(json.dumps(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
