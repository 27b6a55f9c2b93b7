"""Fixtures for the search tests: the seeds archive, read-only and as a fresh copy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fonds.search import engine
from fonds.store.sqlite import Store
from tests.conftest import copy_archive_to, open_archive


@pytest.fixture(scope="module")
def seeds_store(seeds_db: Path) -> Iterator[Store]:
    """The session's seeds archive, opened for searching (tests must not write to it)."""
    store = open_archive(seeds_db)
    yield store
    store.close()


@pytest.fixture(scope="module")
def seed_prefix(seed_records: dict[str, dict]) -> dict[str, str]:
    """Document id → seed file prefix ('000' ... '004')."""
    return {r["id"]: prefix for prefix, r in seed_records.items()}


@pytest.fixture
def seeds_copy(seeds_db: Path, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the seeds archive (without its index), free to change."""
    target = tmp_path / "copy.db"
    copy_archive_to(seeds_db, target)
    store = open_archive(target)
    yield store
    engine.forget(store)
    store.close()
