"""An archive moved from its SQLite file into a PostgreSQL database, as a project that
outgrows one machine does once: every table copied as it is (``COPY``, in one
transaction), row numbers kept (copy keys name documents by them), nothing re-read or
re-annotated. The search index is rebuilt on the new side at its first search (or by
``fonds index rebuild``): it belongs to one database.

    fonds transfer --db fonds.db --to postgresql://fonds@dbhost/archive
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from fonds.errors import StoreError
from fonds.store.postgres import PgStore
from fonds.store.sqlite import Store

# Each table: its columns as both stores name them, and whether its SQLite row number
# is kept (as the column ``rowid`` in PostgreSQL, or as its own integer key).
# fmt: off
TABLES: list[tuple[str, list[str], bool]] = [
    (
        "documents",
        [
            "id", "title", "date", "date_start", "date_end", "doc_type", "summary",
            "citation", "translator", "original_language", "classification", "record_id",
            "url", "credits", "sender_id", "sender_name", "text", "notes", "entity_names",
            "source_path", "source_sha256", "source_format", "source_part", "record_json",
            "ingested_at",
        ],
        True,
    ),
    ("sources", ["path", "sha256", "status", "reader", "message", "documents", "updated_at"], False),
    (
        "archival_refs",
        ["document_id", "archive", "fond", "opis", "delo", "pages", "kind", "file", "raw"],
        False,
    ),
    ("entities", ["id", "type", "name", "origin", "data_json", "merged_into"], True),
    ("entity_names", ["entity_id", "name", "key", "kind"], True),
    (
        "mentions",
        ["document_id", "entity_id", "field", "start", '"end"', "text", "method", "confidence"],
        True,
    ),
    ("turns", ["document_id", "n", "start", '"end"', "speaker_ids"], False),
    ("recipients", ["document_id", "n", "entity_id", "name"], False),
    ("entity_edits", ["id", "at", "action", "payload_json", "undone_at"], False),
    ("meta", ["key", "value"], False),
    ("copy_sketches", ["doc", "keys"], False),
    ("copy_keys", ["key", "doc"], False),
    (
        "copies",
        ["document_id", "other_id", "relation", "overlap", "shared", "evidence_json", "by_hand"],
        False,
    ),
    ("copy_duplicates", ["document_id", "preferred_id"], False),
    ("copy_verdicts", ["low_id", "high_id", "relation", "container_id"], False),
    ("copy_edits", ["id", "at", "action", "payload_json", "undone_at"], False),
]
# fmt: on
# Identities to move past the rows copied: (table, column).
IDENTITIES = [
    ("documents", "rowid"),
    ("entities", "rowid"),
    ("entity_names", "rowid"),
    ("mentions", "rowid"),
    ("entity_edits", "id"),
    ("copy_edits", "id"),
]
ROWS_PER_READ = 2_000


@dataclass
class Transferred:
    rows: dict[str, int]


def transfer(
    source: Store, target: PgStore, progress: Callable[[str, int], None] | None = None
) -> Transferred:
    """Copy every table of ``source`` into ``target``, which must hold no document."""
    if target.count_documents():
        raise StoreError(
            f"{target.path}: the database holds documents already; transfer into an empty one"
        )
    counts: dict[str, int] = {}
    raw = target.conn.raw
    try:
        with raw.transaction():
            for table in ("meta", "entity_names", "entities", "sources"):  # made when opened
                raw.execute(f"DELETE FROM {table}")
            raw.execute("SET CONSTRAINTS ALL DEFERRED")
            for table, columns, keep_rowid in TABLES:
                counts[table] = _copy_table(source.conn, raw, table, columns, keep_rowid)
                if progress:
                    progress(table, counts[table])
            raw.execute("DELETE FROM meta WHERE key = 'search_store_id'")  # another index's
            for table, column in IDENTITIES:
                raw.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                    f" coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
                )
    except sqlite3.Error as err:
        raise StoreError(f"{source.path}: cannot read the archive ({err})") from err
    return Transferred(counts)


def _copy_table(
    conn: sqlite3.Connection, raw: object, table: str, columns: list[str], keep_rowid: bool
) -> int:
    names = [*columns, "rowid"] if keep_rowid else columns
    listed = ", ".join(names)
    count = 0
    cursor = conn.execute(f"SELECT {listed} FROM {table}")
    with raw.cursor().copy(f"COPY {table} ({listed}) FROM STDIN") as copy:  # type: ignore[attr-defined]
        while rows := cursor.fetchmany(ROWS_PER_READ):
            for row in rows:
                copy.write_row(tuple(row))
            count += len(rows)
    return count
