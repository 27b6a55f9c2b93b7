"""Search served from PostgreSQL against the same archive served from SQLite, measured in
one process, query by query, the two stores alternated (issue 17: within 10 %).

`search_bench.py` measures each store in its own run; on this machine the speed of one
run and the next differs by up to a third, more than the difference sought. Here each
query is run on one store, then on the other, ``--reps`` times, so both meet the machine
in the same state; a query's figure on a store is the median of its runs there, and the
percentiles are over the queries of a shape, as in `search_bench.py` (the same query mix).
Both stores are warmed as a server warms them (``service.warm``, ``settle_for_serving``).

    .venv/bin/python benchmarks/store_search_bench.py benchmarks/work/100k.db \\
        postgresql://postgres@/s100k?host=/tmp/pgt/c&port=54329 --out results/….json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import search_bench


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", type=Path, help="the SQLite archive (made by gen_corpus.py)")
    ap.add_argument("server", help="the same archive in PostgreSQL (fonds transfer)")
    ap.add_argument("--queries", type=int, default=100, help="queries per shape (100)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument(
        "--ask-the-database",
        action="store_true",
        help="PostgreSQL as before issue 17's last slice: the change marker and the hits read"
        " by query (no listener, no local copy of the hit rows)",
    )
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)

    from fonds.search import service
    from fonds.store import open_store

    mix = search_bench.make_queries(args.db, args.queries, args.seed)
    stores = {"sqlite": open_store(args.db), "postgresql": open_store(args.server)}
    if args.ask_the_database:
        from fonds.search.tantivy_search import TantivyBackend

        stores["postgresql"]._notices = False  # type: ignore[attr-defined]
        by_store = TantivyBackend.hit_source
        TantivyBackend.hit_source = lambda self: (  # type: ignore[method-assign]
            None if self.store is stores["postgresql"] else by_store(self)
        )
    for store in stores.values():
        service.warm(store)
    service.settle_for_serving()
    caches = {name: search_bench._fonds_caches(store) for name, store in stores.items()}
    started, load = time.strftime("%Y-%m-%d %H:%M:%S"), os.getloadavg()
    out: dict[str, Any] = {"documents": stores["sqlite"].count_documents(), "started": started}
    out |= {"loadavg_before": load, "reps": args.reps, "queries_per_shape": args.queries}
    out["postgresql_asked"] = args.ask_the_database
    results: dict[str, dict[str, Any]] = {}
    for facets in (False, True):
        label = "fonds+facets" if facets else "fonds"
        for shape, queries in mix.items():
            times: dict[str, list[float]] = {name: [] for name in stores}
            for query in queries:
                runs: dict[str, list[float]] = {name: [] for name in stores}
                for rep in range(args.reps):
                    order = list(stores) if rep % 2 == 0 else list(reversed(stores))
                    for name in order:
                        for cache in caches[name]:  # every query pays in full
                            cache.clear()
                        t0 = time.perf_counter()
                        service.search(stores[name], query.fonds, limit=20,
                                       facets=facets or query.facets)  # fmt: skip
                        runs[name].append((time.perf_counter() - t0) * 1000)
                for name in stores:
                    times[name].append(statistics.median(runs[name]))
            row = {name: search_bench.percentiles(times[name]) for name in stores}
            row["p95_ratio"] = round(row["postgresql"]["p95"] / row["sqlite"]["p95"], 3)
            results.setdefault(label, {})[shape] = row
    out["loadavg_after"] = os.getloadavg()
    out["results"] = results
    print(f"{out['documents']:,} documents, p95 ms (p50), SQLite against PostgreSQL, alternated")
    for label, shapes in results.items():
        print(label)
        for shape, row in shapes.items():
            sq, pg = row["sqlite"], row["postgresql"]
            print(
                f"  {shape:12s} {sq['p95']:6.2f} ({sq['p50']:.2f})  {pg['p95']:6.2f} "
                f"({pg['p50']:.2f})  {100 * (row['p95_ratio'] - 1):+.0f} %"
            )
    if args.out:
        args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
