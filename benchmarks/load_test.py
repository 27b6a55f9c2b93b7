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
import os
import random
import socket
import ssl
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


def process_tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its children (Linux /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def wait_until_ready(base: str, workers: int, timeout: float = 300) -> None:
    """Until every worker process says its caches are warm (GET /api/status)."""
    ready: set[int] = set()
    deadline = time.time() + timeout
    while len(ready) < workers and time.time() < deadline:
        # a fresh connection each time, so the kernel hands it to any worker
        status = httpx.get(f"{base}/api/status", timeout=30).json()
        if status["ready"]:
            ready.add(status["process"])
        else:
            time.sleep(0.2)
    if len(ready) < workers:
        raise SystemExit(f"only {len(ready)} of {workers} workers were ready in {timeout} s")


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
    http: httpx.AsyncClient,
    seconds: float,
    seed: int,
    latencies: list[float],
    errors: list[str],
    think: float = 0.0,
    queries: list[str] = QUERIES,
    slow: list[tuple[float, float, str, str]] | None = None,
) -> None:
    """One simulated user: a search, the answer, (a pause,) the next search."""
    slow = slow if slow is not None else []
    rng = random.Random(seed)
    started = time.perf_counter()
    stop = started + seconds
    if think:  # readers arrive over the first pause, not all in the same millisecond
        await asyncio.sleep(rng.uniform(0, think))
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
        slow.append((latencies[-1], round(t0 - started, 1), path, q))
        if think:
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


SLOWEST = 8  # requests listed in the report, slowest first


async def run(
    base: str,
    clients: int,
    seconds: float,
    think: float = 0.0,
    queries: list[str] = QUERIES,
    slow: list[tuple[float, float, str, str]] | None = None,
) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    # One HTTP client (one keep-alive connection) per user, all made before the clock
    # starts and sharing one TLS context (loading CA certificates fifty times would busy
    # the generator, not the server, in the first second; the traffic is plain HTTP).
    tls = ssl.create_default_context()
    https = [httpx.AsyncClient(base_url=base, timeout=30, verify=tls) for _ in range(clients)]
    try:
        await asyncio.gather(
            *(
                client(http, seconds, i, latencies, errors, think, queries, slow)
                for i, http in enumerate(https)
            )
        )
    finally:
        for http in https:
            await http.aclose()
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
        wait_until_ready(base, a.workers)
        asyncio.run(run(base, 5, 5))  # warm-up: every code path once, not the query caches
        t0 = time.perf_counter()
        server_cpu0, client_cpu0 = process_tree_cpu(server.pid), time.process_time()
        slow: list[tuple[float, float, str, str]] = []
        latencies, errors = asyncio.run(run(base, a.clients, a.seconds, a.think, queries, slow))
        elapsed = time.perf_counter() - t0
        server_cpu = process_tree_cpu(server.pid) - server_cpu0
        client_cpu = time.process_time() - client_cpu0
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
        "server_cpu_ms_per_request": round(server_cpu * 1000 / max(1, len(latencies)), 2),
        "client_cpu_ms_per_request": round(client_cpu * 1000 / max(1, len(latencies)), 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "first_errors": errors[:5],
        "slowest": [
            {"ms": round(ms, 1), "at_s": at, "path": path, "q": q}
            for ms, at, path, q in sorted(slow, reverse=True)[:SLOWEST]
        ],
    }
    print(json.dumps(figures, indent=1))
    if a.json:
        a.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
