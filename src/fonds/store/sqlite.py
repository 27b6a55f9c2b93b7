"""The embedded SQLite store: records, file statuses, entities and their mentions."""

from __future__ import annotations

import io
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fonds.errors import NotFound, StoreError, StoreLost
from fonds.model import Record
from fonds.store.migrations import migrate


@dataclass
class SourceStatus:
    path: str
    sha256: str | None
    status: str
    reader: str | None
    message: str | None
    documents: int


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


DOCUMENT_SQL = (
    "INSERT INTO documents (id, title, date, date_start, date_end, doc_type, summary,"
    " citation, translator, original_language, classification, record_id, url,"
    " credits, sender_id, sender_name, text, notes, entity_names, source_path,"
    " source_sha256, source_format, source_part, record_json, ingested_at)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
# A body over this many characters is written to its row a piece at a time (the row
# made with as many zero bytes, then filled through the blob), and given to the full-text
# index from there: SQLite never holds the bound text beside the row being built and its
# index's copy, nor Python a UTF-8 copy beside the string.
BODY_IN_PIECES_OVER = 4_000_000
BODY_PIECE_CHARS = 1 << 20
TEXT_COLUMN = 16  # the body's place in DOCUMENT_SQL's values
BIG_DOCUMENT_SQL = (
    DOCUMENT_SQL.split(" VALUES ")[0]
    + f" VALUES ({'?,' * TEXT_COLUMN}CAST(zeroblob(?) AS TEXT){',?' * (24 - TEXT_COLUMN)})"
)
# A document's full-text entry taken out and put back from its row (by id). Taking out
# the entry of a body written through its blob names no body: the insert trigger indexed
# its zero bytes, no word.
_FTS_DELETE = (
    "INSERT INTO documents_fts(documents_fts, rowid, title, summary, text, entity_names)"
    " SELECT 'delete', rowid, title, summary, {body}, entity_names FROM documents WHERE id = ?"
)
FTS_DELETE_SQL = _FTS_DELETE.format(body="text")
FTS_DELETE_ZEROS_SQL = _FTS_DELETE.format(body="''")
FTS_INSERT_SQL = (
    "INSERT INTO documents_fts(rowid, title, summary, text, entity_names)"
    " SELECT rowid, title, summary, text, entity_names FROM documents WHERE id = ?"
)
REF_SQL = "INSERT INTO archival_refs VALUES (?,?,?,?,?,?,?,?,?)"
MENTION_SQL = "INSERT INTO mentions VALUES (?,?,?,?,?,?,?,?)"
TURN_SQL = "INSERT INTO turns VALUES (?,?,?,?,?)"
RECIPIENT_SQL = "INSERT INTO recipients VALUES (?,?,?,?)"

# Inside ``Store.batch``, a commit at the first record boundary after this many records
# or seconds: fewer commits (each flushes the full-text index's pending terms and the
# pages written to the WAL), and a reader or a rerun never waits long for what was written.
# A document counted once: not a copy that another record of its copy group stands for
# (fonds.copies). Follows a column holding document ids: f"d.id {COUNTED}".
COUNTED = "NOT IN (SELECT document_id FROM copy_duplicates)"
# Rows that name a document (mentions m), counted by copy group: join GROUPED, count
# DISTINCT GROUP_ID. A copy's mention counts for its group, once.
GROUPED = "LEFT JOIN copy_duplicates cd ON cd.document_id = m.document_id"
GROUP_ID = "coalesce(cd.preferred_id, m.document_id)"
BATCH_RECORDS = 500
BATCH_SECONDS = 1.0


@dataclass
class RecordRows:
    """The rows one record is stored as (see ``write_record``)."""

    document: tuple[Any, ...]
    refs: list[tuple[Any, ...]]
    mentions: Iterable[tuple[Any, ...]]  # made while written: a big text has 10^5 or more
    turns: list[tuple[Any, ...]]
    recipients: list[tuple[Any, ...]]


def stored_json(data: dict[str, Any]) -> str:
    """A record's JSON as the ``record_json`` column keeps it: everything but the body,
    which the ``text`` column holds once (``get_record`` puts it back in its place)."""
    return json.dumps({**data, "text": ""} if "text" in data else data, ensure_ascii=False)


# From this many entities on, a record's JSON is written entity by entity.
MANY_ENTITIES = 1_000
# A record with this many mentions keeps them as rows of the mentions table only, not
# also in its JSON (a volume's text has 10^5 and more): its entities carry an empty
# "mentions" list and the JSON this mark; ``get_record`` puts the mentions back.
MENTIONS_IN_ROWS = 20_000
ROWS_MARK = "mentions_in_rows"


def record_json_text(record: Record, rows_only: bool = False) -> str:
    """``stored_json(record.as_json())``, written one entity at a time: the mentions of a
    big document (hundreds of thousands) never exist as dicts all at once, and from
    ``MENTIONS_IN_ROWS`` on (or when ``rows_only``: a body annotated in parts) they are
    left to the mentions table."""
    rows = rows_only or in_rows(record)
    if len(record.entities) < MANY_ENTITIES and not rows:
        return stored_json(record.as_json())
    head = replace(record, entities=[], text="").as_json()
    if rows:
        head[ROWS_MARK] = True
    before, after = stored_json(head).split('"entities": []', 1)  # a key: never in a string
    out = io.StringIO()
    out.write(before)
    out.write('"entities": [')
    for n, entity in enumerate(record.entities):
        if n:
            out.write(", ")
        data = replace(entity, mentions=[]).as_json() if rows else entity.as_json()
        out.write(json.dumps(data, ensure_ascii=False))
    out.write("]")
    out.write(after)
    return out.getvalue()


def in_rows(record: Record) -> bool:
    """Whether a record keeps its mentions as rows only (``MENTIONS_IN_ROWS``)."""
    return sum(len(e.mentions) for e in record.entities) >= MENTIONS_IN_ROWS


def searchable_names(entities: list[dict[str, Any]]) -> str:
    """The entity names and aliases of a record, as the full-text column holds them."""
    names = {e["name"] for e in entities} | {a for e in entities for a in e["aliases"]}
    return " ; ".join(sorted(names))


def record_rows(record: Record, record_json: str, stamp: str) -> RecordRows:
    """The rows of one record; ``record_json`` is its JSON as stored."""
    names = searchable_names([{"name": e.name, "aliases": e.aliases} for e in record.entities])
    sender = record.sender
    document = (
        record.id, record.title, record.date, record.date_start, record.date_end,
        record.doc_type, record.summary, record.citation, record.translator,
        record.original_language, record.classification, record.record_id, record.url,
        record.credits, sender.id if sender else None, sender.name if sender else None,
        record.text, record.notes, names, record.source["path"], record.source["sha256"],
        record.source["format"], record.source.get("part"), record_json, stamp,
    )  # fmt: skip
    refs = [
        (record.id, r.archive, r.fond, r.opis, r.delo, r.pages, r.kind, r.file, r.raw)
        for r in record.archival_refs
    ]
    mentions = (
        (record.id, e.id, m.field, m.start, m.end, m.text, m.method, m.confidence)
        for e in record.entities
        for m in e.mentions
    )
    turns = [
        (record.id, n, t.start, t.end, json.dumps([x.id for x in t.speakers]))
        for n, t in enumerate(record.turns)
    ]
    recipients = [(record.id, n, r.id, r.name) for n, r in enumerate(record.recipients)]
    return RecordRows(document, refs, mentions, turns, recipients)


class Store:
    """One SQLite database file in WAL mode; every record is written in one transaction
    (inside ``batch``, a savepoint of a transaction that holds several records)."""

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = str(path)
        try:
            if readonly:
                uri = f"file:{Path(path).resolve()}?mode=ro"
                self.conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            else:
                self.conn = sqlite3.connect(self.path, check_same_thread=False)
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.row_factory = sqlite3.Row
            if not readonly:
                migrate(self.conn)
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{path}: not a fonds database or unreadable ({err})") from err
        self._batch: _Batch | None = None
        self._depth = 0  # changes open (transaction() inside transaction())

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One change, all or nothing: a transaction of its own, or inside ``batch`` a
        savepoint (a change that fails is undone alone; the batch goes on). A change
        made inside another (a record and its copy links) is a savepoint of the outer
        one: both are kept, or neither."""
        if self._depth:
            name = f"inner{self._depth}"
            self.conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield self.conn
                self._flush()
            except BaseException:
                self._undo(name)
                raise
            finally:
                self._depth -= 1
            self.conn.execute(f"RELEASE {name}")
            return
        self._depth = 1
        try:
            if self._batch is None and not self.conn.in_transaction:
                with self.conn:
                    self.conn.execute("BEGIN")
                    yield self.conn
                    self._flush()
                return
            self.conn.execute("SAVEPOINT change")
            try:
                yield self.conn
                self._flush()
            except BaseException:
                self._undo("change")
                raise
            self.conn.execute("RELEASE change")
        finally:
            self._depth = 0
        self._written()

    def _flush(self) -> None:
        """Have every statement of the change answered before it is kept: PostgreSQL's
        sent in a pipeline report their errors here, inside the change, which is then
        undone (SQLite runs each statement as it is given)."""

    def _recover(self) -> None:
        """Make the connection take statements again after one failed (PostgreSQL's)."""

    def _undo(self, savepoint: str) -> None:
        """Roll a failed change back to its savepoint; with the connection lost there is
        nothing to roll back (the server ended the transaction), and the error that
        says so first is the one raised."""
        try:
            self._recover()
            self.conn.execute(f"ROLLBACK TO {savepoint}")
            self.conn.execute(f"RELEASE {savepoint}")
        except StoreLost:
            pass

    @contextmanager
    def batch(self, records: int = BATCH_RECORDS, seconds: float = BATCH_SECONDS) -> Iterator[None]:
        """Many changes in few transactions: committed whenever ``records`` records have
        been written or ``seconds`` have passed (at a record's end, never inside one),
        and at the end, also when the block is left by an error or Ctrl-C: every record
        written so far is whole, and kept."""
        if self._batch is not None:  # already batching: the outer batch commits
            yield
            return
        self._batch = _Batch(records, seconds)
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self._batch = None
            if self.conn.in_transaction:
                self.conn.commit()

    def _written(self) -> None:
        """A change (a record) is whole: commit the batch if it is big or old enough."""
        batch = self._batch
        if batch is None:
            return
        batch.records += 1
        if batch.records >= batch.limit or time.monotonic() - batch.started >= batch.seconds:
            self.conn.commit()
            self.conn.execute("BEGIN")
            batch.records, batch.started = 0, time.monotonic()

    # -- files ---------------------------------------------------------------------------

    def source_status(self, path: str) -> SourceStatus | None:
        row = self.conn.execute("SELECT * FROM sources WHERE path = ?", (path,)).fetchone()
        if row is None:
            return None
        return SourceStatus(
            row["path"],
            row["sha256"],
            row["status"],
            row["reader"],
            row["message"],
            row["documents"],
        )

    def set_source_status(self, status: SourceStatus) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO sources(path, sha256, status, reader, message, documents, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET sha256=excluded.sha256, "
                "status=excluded.status, reader=excluded.reader, message=excluded.message, "
                "documents=excluded.documents, updated_at=excluded.updated_at",
                (
                    status.path,
                    status.sha256,
                    status.status,
                    status.reader,
                    status.message,
                    status.documents,
                    now(),
                ),
            )

    def document_ids_for_path(self, path: str) -> set[str]:
        rows = self.conn.execute("SELECT id FROM documents WHERE source_path = ?", (path,))
        return {r[0] for r in rows}

    # -- records -------------------------------------------------------------------------

    def source_of(self, doc_id: str) -> str | None:
        """The file a stored record is read from; None when it is not stored."""
        row = self.conn.execute("SELECT source_path FROM documents WHERE id = ?", (doc_id,))
        found = row.fetchone()
        return found[0] if found else None

    def has_document(self, doc_id: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone()
            is not None
        )

    def write_record(
        self,
        record: Record,
        also: Callable[[Store, Record], object] | None = None,
        mentions_written: bool = False,
    ) -> None:
        """Insert or replace one record with its references, mentions and turns, and do
        ``also`` (linking its copies), atomically. With ``mentions_written``, its
        mentions are in the table already (``add_mentions``, in the same transaction) and
        its entities carry none: its JSON says so (``ROWS_MARK``)."""
        rows = record_rows(record, record_json_text(record, mentions_written), now())
        try:
            with self.transaction() as conn:
                self.lock(record.id)
                conn.execute("DELETE FROM documents WHERE id = ?", (record.id,))
                self.enqueue_for_search(record.id)
                if len(record.text) > BODY_IN_PIECES_OVER:
                    self._insert_big_document(record, rows.document)
                else:
                    conn.execute(DOCUMENT_SQL, rows.document)
                conn.executemany(REF_SQL, rows.refs)
                conn.executemany(MENTION_SQL, rows.mentions)
                conn.executemany(TURN_SQL, rows.turns)
                conn.executemany(RECIPIENT_SQL, rows.recipients)
                if also is not None:
                    also(self, record)
        except sqlite3.Error as err:
            raise StoreError(f"could not store record {record.id} ({err})") from err

    def _insert_big_document(self, record: Record, row: tuple[Any, ...]) -> None:
        """Insert a document row whose body is written a piece at a time, then index it
        in full text (its insert trigger indexed a body of zero bytes: no word). Each
        piece is encoded twice, once to size the row and once to fill it: never the
        whole body at once."""
        text = record.text
        pieces = range(0, len(text), BODY_PIECE_CHARS)
        size = sum(len(text[i : i + BODY_PIECE_CHARS].encode()) for i in pieces)
        row = (*row[:TEXT_COLUMN], size, *row[TEXT_COLUMN + 1 :])
        rowid = self.conn.execute(BIG_DOCUMENT_SQL, row).lastrowid
        assert rowid is not None
        with self.conn.blobopen("documents", "text", rowid) as blob:
            for i in pieces:
                blob.write(text[i : i + BODY_PIECE_CHARS].encode())
        self.conn.execute(FTS_DELETE_ZEROS_SQL, (record.id,))
        self.conn.execute(FTS_INSERT_SQL, (record.id,))

    def lock(self, key: str) -> None:
        """Hold ``key`` (a record's or an entity's id) until the transaction ends, against
        other writers of the same database. SQLite has one writer at a time: nothing to
        do; PostgreSQL has many (``fonds.store.postgres``)."""

    def lock_all(self, keys: Iterable[str]) -> None:
        """Hold every one of ``keys`` until the transaction ends (as ``lock``), taken in
        one order by every writer, so that two writers holding some of each other's keys
        never wait on each other for ever. Nothing to do in SQLite."""

    def defer_foreign_keys(self) -> None:
        """Check references to documents at the commit, not row by row, until then."""
        self.conn.execute("PRAGMA defer_foreign_keys = ON")  # off again at the commit

    def fts_delete(self, doc_id: str) -> None:
        """Take a document's entry out of the full-text index (before its row changes)."""
        self.conn.execute(FTS_DELETE_SQL, (doc_id,))

    def fts_insert(self, doc_id: str) -> None:
        """Give a document's row to the full-text index again (after it changed)."""
        self.conn.execute(FTS_INSERT_SQL, (doc_id,))

    def add_mentions(self, doc_id: str, rows: Iterable[tuple[Any, ...]]) -> None:
        """Write mentions of a record before the record itself (a body annotated in
        parts), inside the transaction that then writes the record: until then their
        document is checked at the commit, not row by row."""
        self.defer_foreign_keys()
        self.conn.executemany(MENTION_SQL, ((doc_id, *row) for row in rows))

    def other_holder(self, doc_id: str, path: str) -> str | None:
        """Another ingested file with the same content as this record's source, if any."""
        row = self.conn.execute(
            "SELECT s.path FROM sources s JOIN documents d ON d.source_sha256 = s.sha256"
            " WHERE d.id = ? AND s.path != ? AND s.status = 'ok' ORDER BY s.path LIMIT 1",
            (doc_id, path),
        ).fetchone()
        return row[0] if row else None

    def move_source(self, doc_id: str, path: str) -> None:
        """Name another file, with the same content, as the source of a record."""
        with self.transaction():
            self.conn.execute("UPDATE documents SET source_path = ? WHERE id = ?", (path, doc_id))
            row = self.conn.execute(
                "SELECT record_json FROM documents WHERE id = ?", (doc_id,)
            ).fetchone()
            data = json.loads(row[0])
            data["source"]["path"] = path
            self.conn.execute(
                "UPDATE documents SET record_json = ? WHERE id = ?", (stored_json(data), doc_id)
            )

    def delete_documents(self, ids: set[str]) -> None:
        with self.transaction():
            self.conn.executemany("DELETE FROM documents WHERE id = ?", [(i,) for i in ids])
            for doc_id in sorted(ids):
                self.enqueue_for_search(doc_id)

    def enqueue_for_search(self, doc_id: str) -> None:
        """Mark a document's search index entry stale, inside the caller's transaction."""
        self.conn.execute("INSERT INTO search_queue(document_id) VALUES (?)", (doc_id,))

    # -- the search queue: what the search index has yet to take in ------------------------
    # A mark orders the queue's changes: the index keeps the mark it applied up to. Here
    # the queue's own numbers (one writer: numbered in commit order).

    def queue_mark(self) -> int | None:
        """The mark up to which queued changes may be applied now (None: queue empty)."""
        return self.conn.execute("SELECT max(seq) FROM search_queue").fetchone()[0]

    def queued_since(self, applied: int, mark: int) -> list[str]:
        """The documents changed after ``applied`` and up to ``mark``."""
        rows = self.conn.execute(
            "SELECT document_id FROM search_queue WHERE seq > ? AND seq <= ?"
            " GROUP BY document_id ORDER BY min(seq)",
            (applied, mark),
        )
        return [r[0] for r in rows]

    def count_queued(self, applied: int) -> int:
        return self.conn.execute(
            "SELECT count(DISTINCT document_id) FROM search_queue WHERE seq > ?", (applied,)
        ).fetchone()[0]

    def last_mark(self) -> int:
        """The last mark ever given (kept by SQLite even when the queue is trimmed): an
        index that applied more belongs to a database that went back in time."""
        try:
            row = self.conn.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'search_queue'"
            ).fetchone()
        except sqlite3.OperationalError:  # no AUTOINCREMENT row written yet
            return 0
        return int(row[0]) if row else 0

    def queue_in_step(self, applied: int) -> tuple[str | None, bool]:
        """The store's identity for the index, and whether nothing after ``applied``
        waits (one query: asked before every search)."""
        ident, last, top = self.conn.execute(
            "SELECT (SELECT value FROM meta WHERE key = 'search_store_id'),"
            " (SELECT seq FROM sqlite_sequence WHERE name = 'search_queue'),"
            " (SELECT max(seq) FROM search_queue)"
        ).fetchone()
        return ident, applied <= (last or 0) and (top is None or top <= applied)

    def trim_queue(self, upto: int) -> None:
        """Forget queued changes up to ``upto``: the one index of this file took them."""
        with self.transaction():
            self.conn.execute("DELETE FROM search_queue WHERE seq <= ?", (upto,))

    def open_body(self, rowid: int) -> Any:
        """A document's body to read a piece at a time (``read(n)``, ``len``: bytes of
        UTF-8), by its row number."""
        return self.conn.blobopen("documents", "text", rowid, readonly=True)

    def reader_connection(self) -> Any | None:
        """A second, read-only connection to the same database, for a thread that reads
        ahead (None: an in-memory database, which has no second connection)."""
        if self.path in ("", ":memory:") or self.path.startswith("file::memory:"):
            return None
        return sqlite3.connect(f"file:{Path(self.path).resolve()}?mode=ro", uri=True)

    def get_record(self, doc_id: str) -> dict[str, Any]:
        row = self.conn.execute(
            "SELECT record_json, text FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no document with id {doc_id!r}")
        return self._with_mentions(doc_id, _record(row))

    def record_head(self, doc_id: str) -> dict[str, Any]:
        """A record's JSON as stored: no body, and no mentions where it keeps them as rows
        (``ROWS_MARK``); for edits that rewrite its entities, not its text."""
        row = self.conn.execute(
            "SELECT record_json FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no document with id {doc_id!r}")
        data: dict[str, Any] = json.loads(row[0])
        return data

    def iter_records(self) -> Iterator[dict[str, Any]]:
        """Every record as its JSON object, in a stable order (date, then id)."""
        cur = self.conn.execute(
            "SELECT record_json, text, id FROM documents"
            " ORDER BY date_start IS NULL, date_start, source_path, id"
        )
        for row in cur:
            yield self._with_mentions(row[2], _record(row))

    def _with_mentions(self, doc_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """A record kept with its mentions as rows, with them back in its entities, in
        the order the entity stage writes them."""
        if not data.pop(ROWS_MARK, False):
            return data
        hits = {hit["id"]: hit for hit in data["entities"]}
        for entity_id, fld, start, end, text in self.conn.execute(
            'SELECT entity_id, field, start, "end", text FROM mentions WHERE document_id = ?'
            " ORDER BY field != 'text', field, start",
            (doc_id,),
        ):
            mention = {"start": start, "end": end, "text": text}
            if fld != "text":
                mention["field"] = fld
            hits[entity_id]["mentions"].append(mention)
        return data

    def change_marker(self) -> tuple[int, int]:
        """A value that differs whenever the database may have changed since it was read:
        a commit by another connection (``PRAGMA data_version``) or by this one."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        return int(version), self.conn.total_changes

    def count_documents(self, once: bool = False) -> int:
        """How many documents; ``once``: a document kept in several copies counts once."""
        where = f" WHERE id {COUNTED}" if once else ""
        return self.conn.execute(f"SELECT count(*) FROM documents{where}").fetchone()[0]

    def counts_by(self, column: str) -> list[tuple[Any, int]]:
        allowed = {
            "doc_type",
            "original_language",
            "classification",
            "source_format",
            "substr(date_start, 1, 4)",
        }
        if column not in allowed:
            raise StoreError(f"cannot count by {column!r}")
        rows = self.conn.execute(
            f"SELECT {column} AS k, count(*) FROM documents WHERE id {COUNTED}"
            f" GROUP BY {column} ORDER BY {column} IS NULL, {column}"
        )
        return [(r[0], r[1]) for r in rows]

    def counts_by_archive(self) -> list[tuple[Any, int]]:
        rows = self.conn.execute(
            "SELECT archive, count(DISTINCT document_id) FROM archival_refs"
            f" WHERE document_id {COUNTED} GROUP BY archive ORDER BY 2 DESC"
        )
        return [(r[0], r[1]) for r in rows]

    def failed_sources(self) -> list[SourceStatus]:
        rows = self.conn.execute("SELECT * FROM sources WHERE status = 'failed' ORDER BY path")
        return [
            SourceStatus(
                r["path"], r["sha256"], r["status"], r["reader"], r["message"], r["documents"]
            )
            for r in rows
        ]


class EntityTables:
    """The entity side of the store: identities, their names, and the edit log."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = store.conn

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.store.transaction():
            self.conn.execute(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    def replace_authority(
        self, rows: list[tuple[str, str, str, str]], names: list[tuple[str, str, str, str]]
    ) -> None:
        """Replace the authority entities (id, type, name, data_json) and their names."""
        with self.store.transaction():
            self.store.lock("authority")  # two writers replacing it at once: one at a time
            # Names of the entries given now are replaced; entries of a user's file given
            # at an earlier ingest keep theirs.
            self.conn.executemany(
                "DELETE FROM entity_names WHERE entity_id = ? AND kind = 'authority'",
                [(row[0],) for row in rows],
            )
            self.conn.executemany(
                "INSERT INTO entities(id, type, name, origin, data_json) VALUES (?,?,?,'authority',?)"
                " ON CONFLICT(id) DO UPDATE SET type=excluded.type, name=excluded.name,"
                " data_json=excluded.data_json, origin='authority'",
                rows,
            )
            self.conn.executemany("INSERT INTO entity_names VALUES (?,?,?,?)", names)

    def add_entity(
        self, entity_id: str, etype: str, name: str, origin: str, data_json: str
    ) -> None:
        with self.store.transaction():
            self.conn.execute(
                "INSERT INTO entities(id, type, name, origin, data_json) VALUES (?,?,?,?,?)"
                " ON CONFLICT(id) DO NOTHING",
                (entity_id, etype, name, origin, data_json),
            )

    def add_name(self, entity_id: str, name: str, key: str, kind: str) -> None:
        with self.store.transaction():
            self.store.lock(entity_id)
            exists = self.conn.execute(
                "SELECT 1 FROM entity_names WHERE entity_id = ? AND name = ?", (entity_id, name)
            ).fetchone()
            if not exists:
                self.conn.execute(
                    "INSERT INTO entity_names VALUES (?,?,?,?)", (entity_id, name, key, kind)
                )

    def non_authority(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM entities WHERE origin != 'authority' ORDER BY id"
        ).fetchall()

    def authority_rows(self) -> list[sqlite3.Row]:
        """Authority entities as stored, with their names joined by a tab."""
        return self.conn.execute(
            "SELECT e.id, e.type, e.name, e.data_json, group_concat(n.name, ?) AS names"
            " FROM entities e LEFT JOIN entity_names n ON n.entity_id = e.id"
            " WHERE e.origin = 'authority' GROUP BY e.id",
            ("\t",),
        ).fetchall()

    def learned_names(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT entity_id, name FROM entity_names WHERE kind != 'authority'"
        ).fetchall()

    def redirects(self) -> dict[str, str]:
        rows = self.conn.execute(
            "SELECT id, merged_into FROM entities WHERE merged_into IS NOT NULL"
        )
        return {r[0]: r[1] for r in rows}

    def entity_row(self, entity_id: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM entities WHERE id = ?", (entity_id,)).fetchone()


def _record(row: Sequence[Any]) -> dict[str, Any]:
    """A record from its stored JSON and its body (an archive written before the body
    left the JSON has it in both, the same)."""
    data: dict[str, Any] = json.loads(row[0])
    data["text"] = row[1] if row[1] is not None else data.get("text", "")
    return data


EDIT = ("edit", 1.0)  # a mention's method and confidence once edited by hand


def update_record_json(store: Store, doc_id: str, data: dict[str, Any], sender: bool) -> None:
    """Store a record's JSON again (and its sender's id, when ``sender``), with the
    names its full-text entry holds only when they changed: else the full-text index is
    left alone (re-indexing a volume's text tokenizes its 50 MB twice)."""
    names = searchable_names(data["entities"])
    sets, values = ["record_json = ?"], [stored_json(data)]
    if sender:
        sets.append("sender_id = ?")
        values.append((data.get("sender") or {}).get("id"))
    row = store.conn.execute("SELECT entity_names FROM documents WHERE id = ?", (doc_id,))
    renamed = names != (row.fetchone() or (None,))[0]
    # New names replace the full-text entry here, not in a trigger (migration 11): its old
    # tokens taken out, the row written, the new ones put in, each statement reading the
    # body once.
    if renamed:
        store.fts_delete(doc_id)
        sets.append("entity_names = ?")
        values.append(names)
    store.conn.execute(f"UPDATE documents SET {', '.join(sets)} WHERE id = ?", (*values, doc_id))
    if renamed:
        store.fts_insert(doc_id)


def replace_entities_of(store: Store, doc_id: str, data: dict[str, Any]) -> None:
    """Rewrite a stored record after an entity merge or split: its JSON and the rows made
    from its entities (mentions, recipients, speaker turns). A record that keeps its
    mentions as rows (``ROWS_MARK``) has had them moved already: its JSON is rewritten."""
    with store.transaction():
        update_record_json(store, doc_id, data, sender=True)
        store.conn.execute("DELETE FROM turns WHERE document_id = ?", (doc_id,))
        store.conn.executemany(
            TURN_SQL,
            [
                (doc_id, n, t["start"], t["end"], json.dumps([x.get("id") for x in t["speakers"]]))
                for n, t in enumerate(data.get("turns") or [])
            ],
        )
        store.conn.execute("DELETE FROM recipients WHERE document_id = ?", (doc_id,))
        store.conn.executemany(
            RECIPIENT_SQL,
            [
                (doc_id, n, r.get("id"), r.get("name"))
                for n, r in enumerate(data.get("recipients") or [])
            ],
        )
        if not data.get(ROWS_MARK):
            store.conn.execute("DELETE FROM mentions WHERE document_id = ?", (doc_id,))
            store.conn.executemany(  # rows made while written: a volume's text has 10^5
                MENTION_SQL,
                (
                    (
                        doc_id,
                        e["id"],
                        m.get("field", "text"),
                        m["start"],
                        m["end"],
                        m["text"],
                        *EDIT,
                    )
                    for e in data["entities"]
                    for m in e["mentions"]
                ),
            )
        enqueue = getattr(store, "enqueue_for_search", None)
        if enqueue is not None:
            enqueue(doc_id)


@dataclass
class _Batch:
    """An open ``Store.batch``: when it commits."""

    limit: int
    seconds: float
    records: int = 0
    started: float = field(default_factory=time.monotonic)
