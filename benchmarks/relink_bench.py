"""The whole copies pass over an archive (``fonds copies relink``): time by phase, peak
memory, what it found. Rewrites the archive's copy tables in place (links made by hand
stay), so run it on a benchmark database:

    python benchmarks/relink_bench.py benchmarks/work/1M.db --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

from fonds.copies.relink import relink
from fonds.parallel import process_pool
from fonds.store.sqlite import Store

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--out", default=None, help="results JSON (default: results/relink-<db>.json)"
    )
    args = parser.parse_args()
    store = Store(args.db)
    executor = process_pool(args.jobs) if args.jobs > 1 else None
    load = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        summary = relink(
            store,
            executor,
            lambda phase, done, of: (
                print(f"  {phase} {done}/{of}", flush=True) if done % 100_000 < 2_000 else None
            ),
        )
    finally:
        if executor is not None:
            executor.shutdown()
    wall = time.perf_counter() - started
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    store.close()
    result = {
        "db": Path(args.db).name,
        "jobs": args.jobs,
        "load_avg_at_start": round(load, 2),
        "documents": summary.documents,
        "keys": summary.keys,
        "candidate_pairs": summary.candidates,
        "links": summary.links,
        "grouped": summary.grouped,
        "seconds_by_phase": summary.seconds,
        "wall_s": round(wall, 1),
        "docs_per_s": round(summary.documents / wall, 1) if wall else None,
        "rss_peak_mb": {"main": round(self_rss), "worker": round(workers_rss)},
    }
    print(json.dumps(result, indent=1))
    out = Path(args.out or HERE / "results" / f"relink-{Path(args.db).stem}.json")
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
