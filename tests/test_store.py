"""The store's row layout: recipients as rows, kept equal to the record's JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fonds.entities.edits import merge, undo
from fonds.store.migrations import migrate
from fonds.store.sqlite import Store
from tests.conftest import copy_archive_to, open_archive


def _copy(db: Path, target: Path) -> Store:
    copy_archive_to(db, target)
    return open_archive(target)


def _rows_and_json(store: Store) -> tuple[dict[str, list], dict[str, list]]:
    rows: dict[str, list] = {}
    for r in store.conn.execute(
        "SELECT document_id, entity_id, name FROM recipients ORDER BY document_id, n"
    ):
        rows.setdefault(r[0], []).append([r[1], r[2]])
    from_json: dict[str, list] = {}
    for doc_id, record_json in store.conn.execute("SELECT id, record_json FROM documents"):
        recipients = json.loads(record_json)["recipients"]
        if recipients:
            from_json[doc_id] = [[x.get("id"), x.get("name")] for x in recipients]
    return rows, from_json


def test_recipients_rows_match_the_records(seeds_db: Path, tmp_path: Path) -> None:
    store = _copy(seeds_db, tmp_path / "a.db")
    rows, from_json = _rows_and_json(store)
    assert from_json, "the seeds name recipients"
    assert rows == from_json


@pytest.mark.sqlite_only
def test_migration_fills_recipients_from_older_stores(seeds_db: Path, tmp_path: Path) -> None:
    store = _copy(seeds_db, tmp_path / "b.db")
    expected, _ = _rows_and_json(store)
    with store.conn:  # back to schema 3: no recipients table
        store.conn.execute("DROP TABLE recipients")
        store.conn.execute("DELETE FROM schema_migrations WHERE version = 4")
    migrate(store.conn)
    rows, from_json = _rows_and_json(store)
    assert rows == expected == from_json


def test_deleting_a_document_deletes_its_recipients(seeds_db: Path, tmp_path: Path) -> None:
    store = _copy(seeds_db, tmp_path / "c.db")
    doc_id = store.conn.execute("SELECT document_id FROM recipients LIMIT 1").fetchone()[0]
    store.delete_documents({doc_id})
    left = store.conn.execute(
        "SELECT count(*) FROM recipients WHERE document_id = ?", (doc_id,)
    ).fetchone()[0]
    assert left == 0


def _another_person(store: Store, entity_id: str) -> str:
    return store.conn.execute(
        "SELECT id FROM entities WHERE type = 'person' AND id != ? ORDER BY id LIMIT 1",
        (entity_id,),
    ).fetchone()[0]


def _snapshot(store: Store) -> tuple[list, list, dict]:
    """Everything a merge rewrites: records, turn rows, recipient rows."""
    turns = store.conn.execute("SELECT * FROM turns ORDER BY document_id, n").fetchall()
    return list(store.iter_records()), [tuple(t) for t in turns], _rows_and_json(store)[0]


def _merge_first_person(store: Store, sql: str, why: str) -> tuple[str, str, tuple]:
    """Merge the person the query names into another; (source, target, snapshot before)."""
    row = store.conn.execute(sql).fetchone()
    assert row is not None, why
    source = row[0]
    target = _another_person(store, source)
    before = _snapshot(store)
    merge(store, source, target)
    return source, target, before


def test_entity_merge_rewrites_recipient_rows(seeds_db: Path, tmp_path: Path) -> None:
    store = _copy(seeds_db, tmp_path / "d.db")
    source, target, before = _merge_first_person(
        store,
        "SELECT r.entity_id FROM recipients r JOIN entities e ON e.id = r.entity_id"
        " WHERE e.type = 'person' LIMIT 1",
        "a seed recipient is a known entity",
    )
    rows, from_json = _rows_and_json(store)
    assert rows == from_json
    assert not any(e == source for recipients in rows.values() for e, _ in recipients)
    assert any(e == target for recipients in rows.values() for e, _ in recipients)
    undo(store)  # exactly as before: records, recipient rows, turn rows
    assert _snapshot(store) == before


def test_merging_a_speaker_rewrites_turn_rows_and_undo_restores_them(
    seeds_db: Path, tmp_path: Path
) -> None:
    store = _copy(seeds_db, tmp_path / "e.db")
    speaker, target, before = _merge_first_person(
        store,
        "SELECT s.value FROM turns t, json_each(t.speaker_ids) s"
        " JOIN entities e ON e.id = s.value WHERE e.type = 'person' LIMIT 1",
        "a seed is a record of conversation with known speakers",
    )
    speakers = {
        r[0] for r in store.conn.execute("SELECT s.value FROM turns t, json_each(t.speaker_ids) s")
    }
    assert speaker not in speakers and target in speakers
    undo(store)
    assert _snapshot(store) == before


def test_a_big_records_json_written_entity_by_entity_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fonds.entities.stage import EntityStage
    from fonds.pipeline import ingest
    from fonds.store import sqlite as store_module
    from fonds.store.sqlite import record_json_text, stored_json

    store = open_archive(tmp_path / "f.db")
    stage = EntityStage.for_store(store, ner="none")
    annotated = []

    def keep(batch):  # type: ignore[no-untyped-def]
        stage.annotate(batch)
        annotated.extend(batch)

    corpus = Path(__file__).parents[1] / "corpus"
    ingest(store, [corpus / "seeds", corpus / "frus"], keep)
    monkeypatch.setattr(store_module, "MANY_ENTITIES", 0)  # every record the streamed way
    assert len(annotated) == 46 and any(len(r.entities) > 10 for r in annotated)
    for record in annotated:
        assert record_json_text(record) == stored_json(record.as_json()), record.id
    store.close()


@pytest.mark.sqlite_only
def test_the_full_text_table_stays_true_to_the_documents_through_edits(
    seeds_db: Path, tmp_path: Path
) -> None:
    store = _copy(seeds_db, tmp_path / "fts.db")

    def check() -> None:  # FTS5 compares its index with the documents it indexes
        with store.conn:
            store.conn.execute(
                "INSERT INTO documents_fts(documents_fts) VALUES ('integrity-check')"
            )

    def changes() -> int:
        return store.conn.execute("SELECT total_changes()").fetchone()[0]

    doc_id = store.conn.execute("SELECT id FROM documents LIMIT 1").fetchone()[0]
    before = changes()
    store.move_source(doc_id, "elsewhere.txt")  # the JSON only: the text is not re-indexed
    assert changes() - before == 2  # the two UPDATEs themselves, no trigger's inserts
    check()
    merge(store, "person-pelishenko", "person-aleksandr-ignatiev")  # entity names change
    check()
    found = store.conn.execute(
        "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH 'entity_names:Pelishenko'"
    ).fetchone()[0]
    assert found >= 1
    undo(store)
    check()
    store.close()
