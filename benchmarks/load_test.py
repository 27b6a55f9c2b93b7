"""A bounded load test of `fonds serve` on loopback: N concurrent clients for T seconds.

Clients run in a closed loop by default (each sends its next request as soon as the last
one is answered); ``--think S`` makes each pause about S seconds between requests, as a
reader does. Starts the server on 127.0.0.1 on a free port against a benchmark database, sends a fixed,
seeded mix of search requests (the JSON API and the HTML search page), and prints request
count, errors and latency p50/p95/p99. Only loopback is ever addressed; every loop is
bounded in time and count.

    .venv/bin/python benchmarks/load_test.py benchmarks/work/100k.db --clients 50 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

QUERIES = [
    "Korea",
    "government",
    "Soviet",
    "army",
    "Kim Il Sung",
    "Pak Hon Yong",
    "Chou En-lai",
    "Moscow",
    "instan*",
    "genui*",
    '"economic aid"',
    '"Security Council"',
    "treaty date:1950",
    "type:telegram Berlin",
    "person:Stalin",
    "Tito OR Yugoslavia",
    "oil -Iran",
    "Germany date:1948..1949",
]
MAX_REQUESTS = 200_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_queries(db: Path, per_shape: int, seed: int) -> list[str]:
    """Distinct queries drawn from the database by the search benchmark's generator
    (common words, rare names, prefixes, phrases, other romanizations, person + dates):
    hundreds of them, so the server's small caches cannot answer most requests."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from search_bench import make_queries

    mix = make_queries(db, per_shape, seed)
    return list(dict.fromkeys(q.fonds for shape in mix.values() for q in shape))


def start_server(db: Path, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    fonds = Path(sys.executable).parent / "fonds"
    proc = subprocess.Popen(
        [
            str(fonds),
            "serve",
            "--db",
            str(db),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if (
                httpx.get(f"http://127.0.0.1:{port}/api/search?q=korea", timeout=30).status_code
                < 500
            ):
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not come up within 120 s")


async def client(
    base: str,
    seconds: float,
    seed: int,
    latencies: list[float],
    errors: list[str],
    think: float = 0.0,
    queries: list[str] = QUERIES,
) -> None:
    rng = random.Random(seed)
    stop = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.perf_counter() < stop and len(latencies) < MAX_REQUESTS:
            q = rng.choice(queries)
            path = "/api/search" if rng.random() < 0.7 else "/search"
            t0 = time.perf_counter()
            try:
                r = await http.get(path, params={"q": q})
                if r.status_code >= 500 or (path == "/api/search" and r.status_code != 200):
                    errors.append(f"{r.status_code} {path} {q}")
            except httpx.HTTPError as err:
                errors.append(f"{type(err).__name__} {path} {q}")
            latencies.append((time.perf_counter() - t0) * 1000)
            if think:
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(
    base: str, clients: int, seconds: float, think: float = 0.0, queries: list[str] = QUERIES
) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    await asyncio.gather(
        *(client(base, seconds, i, latencies, errors, think, queries) for i in range(clients))
    )
    return latencies, errors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("db", type=Path)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause of each client between requests, in seconds (0: closed loop)",
    )
    ap.add_argument("--workers", type=int, default=1, help="server processes (fonds serve)")
    ap.add_argument(
        "--mix",
        choices=["fixed", "bench"],
        default="fixed",
        help="fixed: the 18 queries above; bench: ~100 distinct queries per shape drawn "
        "from the database (search_bench.make_queries), so caches rarely answer",
    )
    ap.add_argument("--json", type=Path, help="write the figures here")
    a = ap.parse_args()
    queries = QUERIES if a.mix == "fixed" else bench_queries(a.db, 100, 8) + QUERIES
    port = free_port()
    server = start_server(a.db, port, a.workers)
    try:
        base = f"http://127.0.0.1:{port}"
        asyncio.run(run(base, 5, 5))  # warm-up: starts each worker, not the query caches
        t0 = time.perf_counter()
        latencies, errors = asyncio.run(run(base, a.clients, a.seconds, a.think, queries))
        elapsed = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(timeout=30)
    figures = {
        "db": str(a.db),
        "clients": a.clients,
        "think_s": a.think,
        "workers": a.workers,
        "mix": a.mix,
        "distinct_queries": len(queries),
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "errors": len(errors),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(pct(latencies, 95), 1),
        "p99_ms": round(pct(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "first_errors": errors[:5],
    }
    print(json.dumps(figures, indent=1))
    if a.json:
        a.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
