"""Ingest into PostgreSQL on a Dask cluster, against ingest on local processes (issue 17).

    .venv/bin/python benchmarks/cluster_bench.py --size 20000 --no-entities
    .venv/bin/python benchmarks/cluster_bench.py --size 3000

Each run is the command a user types, ``fonds ingest FOLDER --db …``, timed from start to
exit (reading, annotating, writing, settling and the search index at the end), into a
fresh database, on the FRUS-size text corpus of ``ingest_bench.py`` (its documents of
150–400 words of real FRUS prose, one file each):

- ``sqlite-jobs2``: the embedded default, two local worker processes;
- ``pg-jobs2``: the same into PostgreSQL;
- ``pg-dask1`` and ``pg-dask2``: into PostgreSQL with ``--cluster``, a ``LocalCluster`` of
  one or two worker processes of one thread, started (and its workers fresh) before the
  clock starts, as a team's cluster is up before an ingest;
- ``pg-dask2-calm``: the same with Dask's own periodic work slowed (``CALM_DASK``: the
  settings README.md gives a team's workers).

Workers write their records to PostgreSQL themselves (``--jobs`` and ``--cluster``);
into SQLite the command's process writes.

The PostgreSQL server is a throwaway one of ``scripts/postgres.sh`` (fsync off, as in the
tests; a team's server syncs). Runs alternate configurations, ``--rounds`` times; the load
average at each run's start is printed beside it. The cluster's cost per document is the
difference of wall times over the documents, in µs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from ingest_bench import text_corpus  # noqa: E402

CONFIGS = ["sqlite-jobs2", "pg-jobs2", "pg-dask1", "pg-dask2", "pg-dask2-calm"]
# Dask's own periodic work, made less frequent (README.md, for a team's workers): an idle
# two-worker cluster here took 11.4 % of a core with the defaults, 3.3 % with these.
CALM_DASK = {
    "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
    "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s",
    "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "5s",
}


def start_postgres(folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o755)
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "postgres.sh"), "start", str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def new_database(server: str) -> str:
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, query = server.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}?{query}"


def run_once(
    config: str, paths: list[Path], server: str, work: Path, entities: bool
) -> dict[str, Any]:
    import dask
    from distributed import LocalCluster

    db = str(work / f"{uuid.uuid4().hex[:8]}.db") if config.startswith("sqlite") else None
    db = db or new_database(server)
    args = [sys.executable, "-m", "fonds.cli", "ingest", *map(str, paths), "--db", db, "-q"]
    if not entities:
        args.append("--no-entities")
    env = {**os.environ, "FONDS_INDEX_DIR": str(work / "indexes" / uuid.uuid4().hex[:8])}
    cluster = None
    if config.startswith("pg-dask"):
        workers = int(config.split("-")[1][-1])
        calm = config.endswith("-calm")  # the settings README.md gives a team's workers
        saved = dict(os.environ)
        os.environ.update(CALM_DASK if calm else {})  # read by the workers it spawns
        try:
            dask.config.refresh()  # and by the scheduler, in this process
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            )
        finally:
            os.environ.clear()
            os.environ.update(saved)
            dask.config.refresh()
        args += ["--cluster", cluster.scheduler_address]
    else:
        args += ["--jobs", "2"]
    try:
        load = os.getloadavg()[0]
        started = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - started
    finally:
        if cluster is not None:
            cluster.close()
    if done.returncode != 0:
        raise SystemExit(f"{config}: {done.stderr[-2000:]}")
    summary = done.stdout.strip().splitlines()[-1]
    documents = int(summary.split("),")[1].split()[0].replace(",", ""))
    return {
        "config": config,
        "documents": documents,
        "wall_s": round(wall, 2),
        "docs_per_s": round(documents / wall, 1),
        "load_avg": round(load, 2),
        "summary": summary,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=20000)
    ap.add_argument("--no-entities", action="store_true")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--configs", nargs="+", default=CONFIGS, choices=CONFIGS)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    paths = text_corpus(args.size)
    work = Path(tempfile.mkdtemp(prefix="fonds-cluster-bench-"))
    server_dir = Path(tempfile.mkdtemp(prefix="fonds-pg-"))
    os.chmod(server_dir, 0o755)  # the server runs as the user postgres
    server = start_postgres(server_dir / "pg")
    runs: list[dict[str, Any]] = []
    try:
        for round_no in range(args.rounds):
            for config in args.configs:
                result = run_once(config, paths, server, work, not args.no_entities)
                result["round"] = round_no + 1
                runs.append(result)
                print(
                    f"{config:<13} {result['documents']:>6} docs  {result['wall_s']:>7.1f} s"
                    f"  {result['docs_per_s']:>7.1f} docs/s  load {result['load_avg']:.2f}",
                    flush=True,
                )
    finally:
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "postgres.sh"), "stop", str(server_dir / "pg")],
            capture_output=True,
        )
        shutil.rmtree(server_dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    best = {c: min(r["wall_s"] for r in runs if r["config"] == c) for c in args.configs}
    documents = runs[0]["documents"]
    overhead = {}
    base = best.get("pg-jobs2")
    for c in ("pg-dask1", "pg-dask2"):
        if c in best and base:
            overhead[c] = round((best[c] - base) / documents * 1e6, 1)
    report = {
        "size": args.size,
        "entities": not args.no_entities,
        "runs": runs,
        "best_wall_s": best,
        "cluster_overhead_us_per_doc_vs_pg_jobs2": overhead,
    }
    if "sqlite-jobs2" in best and base:
        report["pg_vs_sqlite_us_per_doc"] = round(
            (base - best["sqlite-jobs2"]) / documents * 1e6, 1
        )
    print(json.dumps({k: v for k, v in report.items() if k != "runs"}, indent=1))
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
