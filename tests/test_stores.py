"""The store's contract, on both stores: a SQLite file and a real PostgreSQL server.

Every test here runs twice (``archive_target``): what one store does, the other does the
same, so that neither drifts. The PostgreSQL-only behaviour (many writers at once, a lost
connection) is at the end."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from fonds.entities.edits import merge, rename, split, undo
from fonds.entities.stage import EntityStage
from fonds.errors import StoreError
from fonds.model import ArchivalRef, EntityHit, Mention, Record
from fonds.pipeline import ingest, store_record
from fonds.search.service import search
from fonds.store import is_server_url, open_store
from fonds.store.sqlite import SourceStatus, Store
from tests.conftest import CORPUS, SEEDS, new_database, postgres_url


def _record(n: int, **extra: object) -> Record:
    return Record(
        id=f"doc-{n}",
        source={"path": f"{n}.txt", "sha256": f"{n:064d}", "format": "text"},
        title=f"Telegram {n}",
        text=f"Telegram number {n} from Seoul.",
        **extra,  # type: ignore[arg-type]
    )


def _another(target: str, tmp_path: Path, name: str) -> str:
    """A second archive on the same kind of store as ``target``."""
    return new_database(postgres_url()) if is_server_url(target) else str(tmp_path / name)


def _same_search(store: Store, reference: Store, query: str) -> None:
    """The same answer to ``query`` from both stores, but for the time it took."""
    got, expected = search(store, query).as_json(), search(reference, query).as_json()
    got.pop("took_ms", None)
    expected.pop("took_ms", None)
    assert got == expected, query


def _count(target: str) -> int:
    """Documents as another connection sees them: committed ones only."""
    if is_server_url(target):
        other = open_store(target, readonly=True)
        try:
            return other.count_documents()
        finally:
            other.close()
    with sqlite3.connect(target) as conn:
        return conn.execute("SELECT count(*) FROM documents").fetchone()[0]


def _ingested(target: str, paths: list[Path]) -> Store:
    store = open_store(target)
    summary = ingest(store, paths, EntityStage.for_store(store, ner="none").annotate)
    assert summary.count("failed") == 0, summary.outcomes
    return store


def test_a_record_reads_back_as_written(archive_target: str) -> None:
    store = open_store(archive_target)
    record = _record(
        1,
        date="1950-01-19",
        date_start="1950-01-19",
        date_end="1950-01-19",
        archival_refs=[ArchivalRef(archive="APRF", fond="45", opis="1", delo="346", raw="x")],
        entities=[
            EntityHit(
                id="place-seoul",
                type="place",
                name="Seoul",
                mentions=[Mention(start=22, end=27, text="Seoul")],
            )
        ],
    )
    store.write_record(record)
    store.write_record(_record(2))  # no date: listed after the dated one
    stored = store.get_record("doc-1")
    assert stored["text"] == record.text
    assert stored["entities"][0]["mentions"] == [{"start": 22, "end": 27, "text": "Seoul"}]
    assert [r["id"] for r in store.iter_records()] == ["doc-1", "doc-2"]
    assert store.counts_by_archive() == [("APRF", 1)]
    store.write_record(record)  # the same record again: replaced, not doubled
    assert store.count_documents() == 2
    store.delete_documents({"doc-1"})
    assert [r["id"] for r in store.iter_records()] == ["doc-2"]
    assert store.conn.execute("SELECT count(*) FROM mentions").fetchone()[0] == 0
    assert store.conn.execute("SELECT count(*) FROM archival_refs").fetchone()[0] == 0
    store.close()


def test_a_batch_commits_every_so_many_records_and_at_its_end(archive_target: str) -> None:
    store = open_store(archive_target)
    with store.batch(records=3, seconds=3600):
        for n in range(5):
            store.write_record(_record(n))
            assert _count(archive_target) == (3 if n >= 2 else 0)
    assert _count(archive_target) == 5
    store.close()


def test_a_failed_record_in_a_batch_is_undone_alone(archive_target: str) -> None:
    store = open_store(archive_target)
    with store.batch(records=100, seconds=3600):
        store.write_record(_record(1))
        broken = _record(2)
        broken.source = {"path": None, "sha256": "0" * 64, "format": "text"}  # NOT NULL
        with pytest.raises(StoreError):
            store.write_record(broken)
        store.write_record(_record(3))
    assert [r["id"] for r in store.iter_records()] == ["doc-1", "doc-3"]
    assert _count(archive_target) == 2
    if not is_server_url(archive_target):  # FTS5 kept no entry of the failed record
        fts = store.conn.execute("SELECT count(*) FROM documents_fts").fetchone()[0]
        assert fts == 2
    store.close()


def test_leaving_a_batch_by_an_error_keeps_what_was_written(archive_target: str) -> None:
    store = open_store(archive_target)
    with pytest.raises(KeyboardInterrupt), store.batch(records=100, seconds=3600):
        store.write_record(_record(1))
        store.set_source_status(SourceStatus("1.txt", "1", "ok", "plain", None, 1))
        raise KeyboardInterrupt
    assert _count(archive_target) == 1
    assert not store.conn.in_transaction
    store.write_record(_record(2))  # a transaction per record again
    assert _count(archive_target) == 2
    store.close()


def test_the_change_marker_sees_commits_of_other_connections(archive_target: str) -> None:
    """Another connection of this process: seen at the first look after its commit
    (on PostgreSQL, the notice may come back later; the process counts its own at once)."""
    writer = open_store(archive_target)
    reader = open_store(archive_target, readonly=True)
    before = reader.change_marker()
    assert reader.change_marker() == before  # nothing happened
    writer.write_record(_record(1))
    assert reader.change_marker() != before
    writer.close()
    reader.close()


def _write_one(target: str, n: int) -> None:
    store = open_store(target)
    store.write_record(_record(n))
    store.close()


def test_the_change_marker_sees_commits_of_other_processes(archive_target: str) -> None:
    """A commit of another process: seen once its notice arrives (PostgreSQL), or at
    once (SQLite); never missed. Waits at most 10 s for it."""
    open_store(archive_target).close()  # the archive made
    reader = open_store(archive_target, readonly=True)
    before = reader.change_marker()
    writer = multiprocessing.get_context("spawn").Process(
        target=_write_one, args=(archive_target, 2)
    )
    writer.start()
    writer.join(60)
    assert writer.exitcode == 0
    deadline = time.monotonic() + 10
    while reader.change_marker() == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert reader.change_marker() != before
    reader.close()


def test_an_ingest_exports_and_searches_the_same(archive_target: str, tmp_path: Path) -> None:
    """The seeds and the FRUS excerpt, ingested: the same records, in the same order, and
    the same hits for searches of every shape, as from the SQLite store."""
    paths = [SEEDS, CORPUS / "frus"]
    store = _ingested(archive_target, paths)
    records = list(store.iter_records())
    assert len(records) == 46
    reference = _ingested(str(tmp_path / "reference.db"), paths)
    assert [r["id"] for r in records] == [r["id"] for r in reference.iter_records()]
    assert records == list(reference.iter_records())
    for query in [
        "Kim Il Sung",
        "Pak Hon-yong",
        "Seoul telegram",
        '"Syngman Rhee"',
        "type:telegram",
    ]:
        _same_search(store, reference, query)
    store.close()
    reference.close()


def test_entity_edits_and_their_undo_with_mentions_in_rows(
    archive_target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Merges, splits, renames and undos leave the same records and mention rows whether a
    record keeps its mentions in its JSON or as rows only (``MENTIONS_IN_ROWS``)."""
    from fonds.store import sqlite as store_module

    in_json = _ingested(archive_target, [SEEDS])
    monkeypatch.setattr(store_module, "MENTIONS_IN_ROWS", 1)
    in_rows = _ingested(_another(archive_target, tmp_path, "rows.db"), [SEEDS])
    heads = [json.loads(r[0]) for r in in_rows.conn.execute("SELECT record_json FROM documents")]
    assert all(h.get("mentions_in_rows") for h in heads)

    def same() -> None:
        assert list(in_rows.iter_records()) == list(in_json.iter_records())
        sql = (
            'SELECT document_id, entity_id, field, start, "end", text FROM mentions'
            " ORDER BY 1, 3, 4"
        )
        assert in_rows.conn.execute(sql).fetchall() == in_json.conn.execute(sql).fetchall()

    same()
    for store in (in_json, in_rows):
        merge(store, "person-pelishenko", "person-aleksandr-ignatiev")
    same()
    assert "person-pelishenko" not in {
        e["id"] for r in in_json.iter_records() for e in r["entities"]
    }
    new_ids = [
        split(store, "person-kim-il-sung", ["Kim"], "Kim (unresolved)")
        for store in (in_json, in_rows)
    ]
    assert new_ids[0] == new_ids[1]
    same()
    for store in (in_json, in_rows):
        rename(store, "person-kim-il-sung", "Kim Il-sung (Kim Song-ju)")
    same()
    for store in (in_json, in_rows):
        for _ in range(3):
            undo(store)
    same()
    assert "person-pelishenko" in {e["id"] for r in in_json.iter_records() for e in r["entities"]}
    in_json.close()
    in_rows.close()


# --- PostgreSQL: many writers, one database ----------------------------------------------


def _ingest_into(url: str, folder: str, index_dir: str) -> int:
    import os

    os.environ["FONDS_INDEX_DIR"] = index_dir
    store = open_store(url)
    summary = ingest(store, [Path(folder)], EntityStage.for_store(store, ner="none").annotate)
    store.close()
    return summary.count("failed")


def test_two_ingests_into_one_database_at_once_never_duplicate(
    postgres_server: str, tmp_path: Path
) -> None:
    url = new_database(postgres_server)
    open_store(url).close()  # the schema, made once before they race
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        failed = pool.starmap(
            _ingest_into, [(url, str(SEEDS), str(tmp_path / f"i{n}")) for n in range(2)]
        )
    assert failed == [0, 0]
    store = open_store(url)
    ids = [r[0] for r in store.conn.execute("SELECT id FROM documents")]
    assert len(ids) == len(set(ids)) == 5
    names = store.conn.execute(
        "SELECT count(*), count(DISTINCT (entity_id, name, kind)) FROM entity_names"
    ).fetchone()
    assert names[0] == names[1]
    entities = store.conn.execute("SELECT count(*), count(DISTINCT id) FROM entities").fetchone()
    assert entities[0] == entities[1]
    reference = _ingested(str(tmp_path / "one.db"), [SEEDS])
    assert list(store.iter_records()) == list(reference.iter_records())
    store.close()
    reference.close()


def _read_record(path: Path) -> Record:
    from fonds.extract.record import build_record
    from fonds.readers import choose_reader, load_source

    source = load_source(path)
    (draft,) = list(choose_reader(source).read(source))
    return build_record(source, draft, str(path))


def test_two_writers_of_near_copies_at_once_link_them(postgres_server: str, tmp_path: Path) -> None:
    """Two writers (cluster workers) each write one form of a document at the same time:
    neither sees the other's uncommitted row, so without a lock the two would never be
    linked. The second waits on the first's band keys, then finds it."""
    from tests.test_copies import SEED_001, body_only

    url = new_database(postgres_server)
    first, second = open_store(url), open_store(url)
    copy = tmp_path / "seed-001-copied.txt"
    copy.write_text(body_only(SEED_001), encoding="utf-8")
    page, copied = _read_record(SEED_001), _read_record(copy)
    waited = threading.Event()

    def write_copy() -> None:
        store_record(second, copied)
        waited.set()

    with first.transaction():
        store_record(first, page)
        other = threading.Thread(target=write_copy)
        other.start()
        assert not waited.wait(1.0)  # held by the first writer's band keys
    other.join(10)
    assert waited.is_set()
    rows = first.conn.execute("SELECT document_id, other_id, relation FROM copies").fetchall()
    assert [tuple(r) for r in rows] == [(*sorted((page.id, copied.id)), "same")]
    first.close()
    second.close()


def test_locks_of_a_record_with_many_keys_meet_those_of_one_with_few(
    postgres_server: str,
) -> None:
    """A record with more keys than MAX_FINE_LOCKS (a volume's text has tens of
    thousands, more than PostgreSQL's lock table holds) locks buckets of them, alone: it
    still waits for, and is waited for by, a record with a key in common, in either order;
    two records with few keys and none in common never wait; the many-key transaction
    holds no more locks than there are buckets."""
    from fonds.store import postgres

    url = new_database(postgres_server)
    many = [f"band:{n}" for n in range(20 * postgres.MAX_FINE_LOCKS)] + ["band:shared"]

    def waits(holder: list[str], other: list[str]) -> bool:
        first, second = open_store(url), open_store(url)
        done = threading.Event()

        def lock_other() -> None:
            with second.transaction():
                second.lock_all(other)
            done.set()

        with first.transaction():
            first.lock_all(holder)
            held = first.conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                " AND pid = pg_backend_pid()"
            ).fetchone()[0]
            assert held <= postgres.COARSE_LOCKS + postgres.MAX_FINE_LOCKS
            thread = threading.Thread(target=lock_other)
            thread.start()
            waited = not done.wait(0.5)
        thread.join(10)
        assert done.is_set()
        first.close()
        second.close()
        return waited

    assert waits(many, ["band:shared", "ref:x"])
    assert waits(["band:shared", "ref:x"], many)
    assert waits(many, many)
    assert waits(["band:shared"], ["band:shared", "ref:y"])
    assert not waits(["band:a", "ref:x"], ["band:b", "ref:y"])


def test_a_lost_connection_says_so_and_a_new_store_goes_on(postgres_server: str) -> None:
    from fonds.store.pg_connection import ConnectionLost

    url = new_database(postgres_server)
    store = open_store(url)
    store.write_record(_record(1))
    pid = store.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    admin = open_store(url)
    admin.conn.execute("SELECT pg_terminate_backend(?)", (pid,))
    with pytest.raises(ConnectionLost, match="lost the connection to PostgreSQL"):
        store.write_record(_record(2))
    again = open_store(url)
    again.write_record(_record(2))
    assert again.count_documents() == 2
    again.close()
    admin.close()


def test_the_web_app_answers_the_same_from_both_stores(
    postgres_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every JSON route and the main pages, from an archive in PostgreSQL and the same
    archive in SQLite: the same answers (a page names no database)."""
    from fastapi.testclient import TestClient

    from fonds.web.app import create_app

    monkeypatch.setenv("FONDS_INDEX_DIR", str(tmp_path / "indexes"))
    paths = [SEEDS, CORPUS / "frus"]
    url = new_database(postgres_server)
    sqlite_path = str(tmp_path / "web.db")
    for target in (url, sqlite_path):
        _ingested(target, paths).close()
    routes = [
        "/api/search?q=Kim+Il+Sung",
        "/api/search?q=Rhee&sort=date&limit=50",
        "/api/search?q=type:telegram&offset=5",
        "/api/status",
        "/api/documents/ecef1b9c8431f36a",
        "/api/documents/ecef1b9c8431f36a/similar",
        "/api/documents/ecef1b9c8431f36a/citations",
        "/api/entities?q=kim",
        "/api/entities?type=place",
        "/api/entities/person-kim-il-sung",
        "/api/entities/place-seoul",
        "/api/timeline",
        "/api/timeline?start=1949-01-01&end=1949-06-30",
        "/api/network",
        "/api/places",
        "/",
        "/search?q=Pak+Hon-yong",
        "/documents/ccb07baff76e2ac9",
        "/entities/person-kim-il-sung",
        "/timeline",
        "/network",
    ]
    answers = []
    for target in (url, sqlite_path):
        with TestClient(create_app(target)) as client:
            answers.append([(client.get(r).status_code, client.get(r).text) for r in routes])
    for route, from_pg, from_sqlite in zip(routes, *answers, strict=True):
        assert from_pg[0] == 200, (route, from_pg[1][:300])
        got, expected = from_pg[1], from_sqlite[1]
        if route.startswith("/api/search") or route == "/search?q=Pak+Hon-yong":
            got, expected = _without_timing(got), _without_timing(expected)
        assert got == expected, route


def _without_timing(text: str) -> str:
    import re

    return re.sub(r'"took_ms": ?[0-9.]+|\(relevance, [0-9]+ ms\)|[0-9.]+ ms', "", text)


def test_an_archive_moved_into_postgresql_is_the_same_archive(
    postgres_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fonds transfer``: the same records, searches and copy links, and the moved archive
    goes on (a new ingest, an edit and its undo) as if it had been made there."""
    from fonds.store.transfer import transfer

    monkeypatch.setenv("FONDS_INDEX_DIR", str(tmp_path / "indexes"))
    source = _ingested(str(tmp_path / "source.db"), [SEEDS, CORPUS / "frus"])
    url = new_database(postgres_server)
    target = open_store(url)
    done = transfer(source, target)  # type: ignore[arg-type]
    assert done.rows["documents"] == 46 and done.rows["mentions"] > 1000
    assert list(target.iter_records()) == list(source.iter_records())
    for query in ["Kim Il Sung", "Muccio Rhee"]:
        _same_search(target, source, query)
    with pytest.raises(StoreError, match="holds documents already"):
        transfer(source, target)  # type: ignore[arg-type]
    edit = merge(target, "person-pelishenko", "person-aleksandr-ignatiev")
    assert edit == 1
    undo(target)
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "note.txt").write_text("A note\n\nKim Il Sung met Pak Hon-yong in Pyongyang.\n")
    ingest(target, [extra], EntityStage.for_store(target, ner="none").annotate)
    assert target.count_documents() == 47
    source.close()
    target.close()


def test_two_servers_each_keep_their_own_index_in_step(
    postgres_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two machines serving one database (each its own index folder), and a third that
    ingests and edits: both find what the third wrote, at their next search."""
    from fonds.search import engine

    url = new_database(postgres_server)
    writer = _ingested(url, [SEEDS])

    def replica(name: str) -> Store:
        monkeypatch.setenv("FONDS_INDEX_DIR", str(tmp_path / name))
        return open_store(url, readonly=True)

    first, second = replica("a"), replica("b")
    for server in (first, second):
        monkeypatch.setenv("FONDS_INDEX_DIR", str(tmp_path / ("a" if server is first else "b")))
        assert search(server, "Kim Il Sung").total == 5
    note = tmp_path / "more" / "note.txt"
    note.parent.mkdir()
    note.write_text("A note on Zhdanovsk\n\nKim Il Sung met Shtykov in Zhdanovsk.\n")
    ingest(writer, [note.parent], EntityStage.for_store(writer, ner="none").annotate)
    merge(writer, "person-pelishenko", "person-aleksandr-ignatiev")
    for server, name in ((first, "a"), (second, "b")):
        monkeypatch.setenv("FONDS_INDEX_DIR", str(tmp_path / name))
        assert search(server, "Kim Il Sung").total == 6, name
        assert search(server, "Zhdanovsk").total == 1, name
    assert (tmp_path / "a").is_dir() and (tmp_path / "b").is_dir()
    engine.forget(first)
    engine.forget(second)
    for store in (writer, first, second):
        store.close()


def test_a_server_shows_hits_from_its_own_copy_of_them(
    postgres_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PostgreSQL archive's server keeps what hits show beside its index (hits.db) and
    reads it there: the same hits as read from the database, before and after a file is
    edited and ingested again; a copy that is not of the index's mark (a crash between
    the two commits) is not used, and is made again when the index is next brought in
    step."""
    from fonds.search import tantivy_search
    from fonds.search.engine import backend_for
    from fonds.search.service import index_pending

    monkeypatch.setenv("FONDS_INDEX_DIR", str(tmp_path / "indexes"))
    folder = tmp_path / "docs"
    folder.mkdir()
    note = folder / "note.txt"
    note.write_text("A note on Zhdanovsk\n\nKim Il Sung met Shtykov in Zhdanovsk.\n")
    store = _ingested(new_database(postgres_server), [SEEDS, folder])
    queries = ["Kim Il Sung", 'person:"Kim Il Sung" Stalin', "Zhdanovsk", "Pyongyang"]

    def from_the_database(query: str) -> dict:
        with monkeypatch.context() as patch:
            patch.setattr(tantivy_search.TantivyBackend, "hit_source", lambda self: None)
            return search(store, query).as_json()

    def answers() -> list[dict]:
        out = []
        for query in queries:
            got = search(store, query).as_json()
            expected = from_the_database(query)
            got.pop("took_ms"), expected.pop("took_ms")
            assert got == expected, query
            out.append(got)
        return out

    backend = backend_for(store)
    assert backend.hit_source() is not None
    before = answers()
    assert before[2]["hits"][0]["snippet"].startswith("Kim Il Sung met Shtykov")
    note.write_text("A note on Zhdanovsk\n\nShtykov left Zhdanovsk for Moscow on Tuesday.\n")
    ingest(store, [folder], EntityStage.for_store(store, ner="none").annotate)
    after = answers()
    assert "left Zhdanovsk for Moscow" in after[2]["hits"][0]["snippet"]
    assert backend.hit_source() is not None

    assert backend.files.hits is not None
    backend.files.hits.drop()  # not the index's: the database answers until made again
    assert backend.hit_source() is None
    assert answers() == after
    index_pending(store)
    assert backend.hit_source() is not None
    assert answers() == after
    store.close()


def test_the_change_marker_is_heard_and_asked_for_when_no_one_listens(
    postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the change marker counts the commit notices this process heard (no
    round trip); when its listening connection is lost, the marker is read by query (and
    still sees every commit), until it listens again."""

    from fonds.store import pg_changes

    url = new_database(postgres_server)
    store, other = open_store(url), open_store(url)

    def changed_from(marker: tuple[int, int]) -> tuple[int, int]:
        deadline = time.monotonic() + 2.0
        while (now := store.change_marker()) == marker and time.monotonic() < deadline:
            time.sleep(0.001)
        return now

    heard = store.change_marker()
    assert heard[0] < 0  # a count of notices
    other.write_record(_record(1))
    assert changed_from(heard)[0] < heard[0]
    listening = pg_changes.listener(url)
    pid = listening._conn.info.backend_pid  # type: ignore[union-attr]
    other.conn.execute("SELECT pg_terminate_backend(?)", (pid,))
    time.sleep(0.2)
    asked = store.change_marker()
    assert asked[0] >= 0  # read by query
    other.write_record(_record(2))
    assert store.change_marker() != asked  # no notice needed
    monkeypatch.setattr(listening, "_retry_at", 0.0)
    assert store.change_marker()[0] < 0  # listening again
    store.close()
    other.close()
