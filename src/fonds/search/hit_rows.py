"""A server's own copy of what a search hit shows, for a PostgreSQL archive.

A hit shows a document's title, date and type, and a snippet of its body with the
mentions of the entities searched for. From a SQLite archive those are read from the
file. From PostgreSQL they would be two round trips to the database every search, on
every server: most of a fast search's time, and load on the one database that readers'
servers are added to spare. So each server keeps them in a SQLite file beside its search
index (``hits.db``), written whenever the index is, and a search reads them there: it asks
the database nothing.

The file holds tables named and shaped as the archive's (``documents``: id, title, date,
doc_type, summary, text; ``mentions``), so the hit query is the same SQL on either. It
is a cache of the index's own: ``meta`` says which archive (its search store id) and
which applied mark of the queue it holds; a search uses it only when that is the
index's, else reads the archive as before. Nothing else writes it; removing it costs one
rebuild.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from fonds.store import stream_rows
from fonds.store.sqlite import Store

HITS_FILE = "hits.db"
IDS_PER_READ = 100  # documents read from the archive per query when the queue is applied
ROWS_PER_WRITE = 2_000
BUSY_SECONDS = 30.0  # another process of this server writing them (its index's drain)

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents(
    id TEXT PRIMARY KEY, title TEXT, date TEXT, doc_type TEXT, summary TEXT, text TEXT
);
CREATE TABLE IF NOT EXISTS mentions(
    document_id TEXT NOT NULL, entity_id TEXT, field TEXT, start INTEGER, "end" INTEGER,
    text TEXT
);
CREATE INDEX IF NOT EXISTS mentions_by_document ON mentions(document_id);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
"""
COLUMNS = {  # the archive's columns a hit shows, in the order of the tables above
    "documents": "id, title, date, doc_type, summary, text",
    "mentions": 'document_id, entity_id, field, start, "end", text',
}
Mark = tuple[str, int]  # (the archive's search store id, the queue's applied mark)


class HitRows:
    """The hit rows kept in ``folder`` (the search index's folder)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / HITS_FILE
        self._local = threading.local()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_SECONDS
        )
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = OFF")  # a cache: lost, it is made again
        conn.executescript(SCHEMA)
        return conn

    def mark(self) -> Mark | None:
        """The archive and the mark the rows are of; None when there are none."""
        if not self.path.exists():
            return None
        try:
            with self._opened() as conn:
                return _mark(conn)
        except sqlite3.Error:
            return None

    def reader(self, mark: Mark | None) -> sqlite3.Connection | None:
        """This thread's connection to the rows, if they are those of ``mark`` (the
        index's); None when they are not (or cannot be read): then read the archive."""
        if mark is None or not self.path.exists():
            return None
        try:
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = self._connect()
                conn.row_factory = sqlite3.Row
            return conn if _mark(conn) == mark else None
        except sqlite3.Error:
            return None

    # -- written with the index (under its lock) ---------------------------------------

    def replace(self, store: Store, ids: list[str], before: Mark, mark: Mark) -> None:
        """The rows of ``ids`` as the archive has them now (a document gone: no row), and
        ``mark`` for ``before``, in one transaction. Rows of another mark than ``before``
        are not patched: they stay unused until they are made whole (``rebuild``)."""
        with self._opened() as conn:
            if _mark(conn) != before:
                return
            conn.execute("BEGIN")
            for start in range(0, len(ids), IDS_PER_READ):
                chunk = ids[start : start + IDS_PER_READ]
                marks = ",".join("?" * len(chunk))
                conn.execute(f"DELETE FROM documents WHERE id IN ({marks})", chunk)
                conn.execute(f"DELETE FROM mentions WHERE document_id IN ({marks})", chunk)
                _insert(conn, "documents", _read(store, "documents", "id", chunk))
                _insert(conn, "mentions", _read(store, "mentions", "document_id", chunk))
            _set_mark(conn, mark)
            conn.execute("COMMIT")

    def advance(self, before: Mark, mark: Mark) -> None:
        """The queue's mark moved with no document changed: the rows stand for it too."""
        with self._opened() as conn:
            if _mark(conn) == before:
                _set_mark(conn, mark)

    def rebuild(self, store: Store, mark: Mark) -> int:
        """Every document's rows afresh; how many documents."""
        with self._opened() as conn:
            conn.execute("BEGIN")
            _set_mark(conn, None)
            conn.execute("DELETE FROM documents")
            conn.execute("DELETE FROM mentions")
            count = _insert(conn, "documents", _read_all(store, "documents"))
            _insert(conn, "mentions", _read_all(store, "mentions"))
            _set_mark(conn, mark)
            conn.execute("COMMIT")
        return count

    def drop(self) -> None:
        """Forget the rows (an index that is not this archive's any more)."""
        with contextlib.suppress(OSError, sqlite3.Error), self._opened() as conn:
            _set_mark(conn, None)

    @contextlib.contextmanager
    def _opened(self) -> Iterator[sqlite3.Connection]:
        """A connection of its own, closed after the block (a write left half done is
        rolled back)."""
        conn = self._connect()
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()


def _mark(conn: sqlite3.Connection) -> Mark | None:
    rows = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('store_id', 'mark')"))
    if "store_id" not in rows or "mark" not in rows:
        return None
    return rows["store_id"], int(rows["mark"])


def _set_mark(conn: sqlite3.Connection, mark: Mark | None) -> None:
    conn.execute("DELETE FROM meta WHERE key IN ('store_id', 'mark')")
    if mark is not None:
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)", [("store_id", mark[0]), ("mark", str(mark[1]))]
        )


def _read(store: Store, table: str, key: str, ids: list[str]) -> list[tuple[Any, ...]]:
    columns = COLUMNS[table]
    marks = ",".join("?" * len(ids))
    rows = store.conn.execute(f"SELECT {columns} FROM {table} WHERE {key} IN ({marks})", ids)
    return [tuple(row) for row in rows]


def _read_all(store: Store, table: str) -> Iterator[tuple[Any, ...]]:
    """Every row of a table, read in pages on a connection of its own."""
    conn = store.reader_connection()
    try:
        for row in stream_rows(conn, f"SELECT {COLUMNS[table]} FROM {table}", ROWS_PER_WRITE):
            yield tuple(row)
    finally:
        conn.close()


def _insert(conn: sqlite3.Connection, table: str, rows: Iterable[tuple[Any, ...]]) -> int:
    marks = "?, ?, ?, ?, ?, ?"
    count = 0
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= ROWS_PER_WRITE:
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", batch)
            count += len(batch)
            batch.clear()
    if batch:
        conn.executemany(f"INSERT INTO {table} VALUES ({marks})", batch)
        count += len(batch)
    return count
