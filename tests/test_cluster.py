"""Ingest on a real Dask cluster (a ``LocalCluster`` of two worker processes) into a real
PostgreSQL server, and the faults a team's run meets: a worker killed, the database
restarted, a wrong option."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fonds.store import open_store
from tests.conftest import CORPUS, POSTGRES_SCRIPT, SEEDS, new_database

pytestmark = pytest.mark.slow

FONDS = [sys.executable, "-m", "fonds.cli"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A scheduler and two worker processes of one thread each (as a team starts them)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local.scheduler_address


def _fonds(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FONDS, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )


def _export(db: str, out: Path) -> list[str]:
    done = _fonds("export", "--db", db, "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out.read_text(encoding="utf-8").splitlines()


def _letters(folder: Path, count: int) -> Path:
    """``count`` short telegrams, each its own document."""
    folder.mkdir()
    for n in range(count):
        (folder / f"t{n:04d}.txt").write_text(
            f"Telegram {n} from Seoul\n\nAmbassador Muccio reported on day {n} that Syngman "
            f"Rhee met Kim Ku in Seoul; the Minister in Pyongyang answered message {n}.\n",
            encoding="utf-8",
        )
    return folder


def test_an_ingest_on_a_cluster_is_the_ingest_on_one_machine(
    cluster: str, postgres_server: str, tmp_path: Path
) -> None:
    """The seeds and the FRUS excerpt on two cluster workers into PostgreSQL: the same
    records, entities and order as two local processes into SQLite."""
    url = new_database(postgres_server)
    env = {"FONDS_INDEX_DIR": str(tmp_path / "indexes")}
    paths = [str(SEEDS), str(CORPUS / "frus")]
    done = _fonds("ingest", *paths, "--db", url, "--cluster", cluster, env=env)
    assert done.returncode == 0, done.stderr
    assert "46 documents" in done.stdout
    local = _fonds("ingest", *paths, "--db", str(tmp_path / "local.db"), "--jobs", "2")
    assert local.returncode == 0, local.stderr
    on_cluster = _export(url, tmp_path / "cluster.jsonl")
    assert on_cluster == _export(str(tmp_path / "local.db"), tmp_path / "local.jsonl")
    for query in ["Kim Il Sung", "Muccio Rhee", "type:telegram"]:
        found = _fonds("search", query, "--db", url, "--json", env=env)
        assert found.returncode == 0, found.stderr
        assert found.stdout.count('"id"') >= 3, query
        same = _fonds("search", query, "--db", str(tmp_path / "local.db"), "--json")
        assert found.stdout == same.stdout, query


def test_the_cluster_needs_a_shared_database(cluster: str, tmp_path: Path) -> None:
    done = _fonds("ingest", str(SEEDS), "--db", str(tmp_path / "a.db"), "--cluster", cluster)
    assert done.returncode == 2
    assert "--cluster needs --db postgresql://" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreachable_scheduler_is_said_plainly(postgres_server: str, tmp_path: Path) -> None:
    url = new_database(postgres_server)
    done = _fonds("ingest", str(SEEDS), "--db", url, "--cluster", "tcp://127.0.0.1:9")
    assert done.returncode == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr


def _worker_pids(address: str) -> list[int]:
    from distributed import Client

    with Client(address, set_as_default=False) as client:
        return sorted(client.run(os.getpid).values())


def _documents(url: str) -> tuple[int, int]:
    store = open_store(url, readonly=True)
    try:
        return store.conn.execute("SELECT count(*), count(DISTINCT id) FROM documents").fetchone()
    finally:
        store.close()


def test_a_worker_killed_mid_ingest_has_its_tasks_run_elsewhere(
    cluster: str, postgres_server: str, tmp_path: Path
) -> None:
    url = new_database(postgres_server)
    open_store(url).close()  # its schema, for counting while the run goes
    folder = _letters(tmp_path / "letters", 400)
    env = {**os.environ, "FONDS_INDEX_DIR": str(tmp_path / "indexes")}
    run = subprocess.Popen(
        [*FONDS, "ingest", str(folder), "--db", url, "--cluster", cluster, "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    while _documents(url)[0] < 40 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert run.poll() is None, "the run ended before a worker could be killed"
    os.kill(_worker_pids(cluster)[0], signal.SIGKILL)
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, err
    assert "400 documents" in out
    assert _documents(url) == (400, 400)


def test_a_database_restarted_mid_ingest_is_reported_and_a_rerun_finishes(
    postgres_server: str, tmp_path: Path
) -> None:
    if "host=/" not in postgres_server:
        pytest.skip("restarts only the test session's own server")
    server_dir = postgres_server.split("host=", 1)[1].split("&", 1)[0]
    url = new_database(postgres_server)
    open_store(url).close()  # its schema, for counting while the run goes
    folder = _letters(tmp_path / "letters", 600)
    args = [*FONDS, "ingest", str(folder), "--db", url, "--jobs", "1", "--no-entities", "-q"]
    env = {**os.environ, "FONDS_INDEX_DIR": str(tmp_path / "indexes")}
    run = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while _documents(url)[0] < 30 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert run.poll() is None, "the run ended before the server could be restarted"
    restarted = subprocess.run(
        ["bash", str(POSTGRES_SCRIPT), "restart", server_dir], capture_output=True, text=True
    )
    assert restarted.returncode == 0, restarted.stderr
    out, err = run.communicate(timeout=300)
    assert run.returncode == 2, (out, err)
    assert "lost the connection to PostgreSQL" in err
    assert "Traceback" not in err
    again = subprocess.run(args, capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr
    assert _documents(url) == (600, 600)
