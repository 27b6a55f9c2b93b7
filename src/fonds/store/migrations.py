"""Versioned schema migrations for the SQLite store; each runs once, in order."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

# Which copy of a document stands for its group (fonds.copies): the fullest record, with
# a citation, an archival reference, a translator; then the one with more of the rest of
# the record (a summary, a date, the archive's record number and page, the language, the
# classification); then the most text; then the first by id. An ORDER BY over
# ``documents d``, in SQL that SQLite and PostgreSQL read alike (a condition counted as
# an integer).
PREFERRED_ORDER = (
    "(coalesce(d.citation, '') != '') DESC,"
    " EXISTS (SELECT 1 FROM archival_refs r WHERE r.document_id = d.id) DESC,"
    " (coalesce(d.translator, '') != '') DESC,"
    " (CAST(coalesce(d.summary, '') != '' AS INTEGER) + CAST(d.date IS NOT NULL AS INTEGER)"
    " + CAST(coalesce(d.record_id, '') != '' AS INTEGER) + CAST(coalesce(d.url, '') != '' AS INTEGER)"
    " + CAST(coalesce(d.original_language, '') != '' AS INTEGER)"
    " + CAST(coalesce(d.classification, '') != '' AS INTEGER)) DESC,"
    " length(d.text) DESC, d.id"
)

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "records, sources, archival references, entities, mentions, turns",
        """
        CREATE TABLE documents (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            date TEXT,
            date_start TEXT,
            date_end TEXT,
            doc_type TEXT,
            summary TEXT,
            citation TEXT,
            translator TEXT,
            original_language TEXT,
            classification TEXT,
            record_id TEXT,
            url TEXT,
            credits TEXT,
            sender_id TEXT,
            sender_name TEXT,
            text TEXT NOT NULL,
            notes TEXT,
            entity_names TEXT NOT NULL DEFAULT '',
            source_path TEXT NOT NULL,
            source_sha256 TEXT NOT NULL,
            source_format TEXT NOT NULL,
            source_part TEXT,
            record_json TEXT NOT NULL,
            ingested_at TEXT NOT NULL
        );
        CREATE INDEX documents_date ON documents(date_start);
        CREATE INDEX documents_type ON documents(doc_type);
        CREATE INDEX documents_source ON documents(source_path);

        CREATE TABLE sources (
            path TEXT PRIMARY KEY,
            sha256 TEXT,
            status TEXT NOT NULL,
            reader TEXT,
            message TEXT,
            documents INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE archival_refs (
            document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            archive TEXT, fond TEXT, opis TEXT, delo TEXT, pages TEXT,
            kind TEXT, file TEXT, raw TEXT
        );
        CREATE INDEX archival_refs_doc ON archival_refs(document_id);
        CREATE INDEX archival_refs_archive ON archival_refs(archive);

        CREATE TABLE entities (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            name TEXT NOT NULL,
            origin TEXT NOT NULL,
            data_json TEXT NOT NULL DEFAULT '{}',
            merged_into TEXT
        );
        CREATE TABLE entity_names (
            entity_id TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            key TEXT NOT NULL,
            kind TEXT NOT NULL
        );
        CREATE INDEX entity_names_key ON entity_names(key);
        CREATE INDEX entity_names_entity ON entity_names(entity_id);

        CREATE TABLE mentions (
            document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            entity_id TEXT NOT NULL,
            field TEXT NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            text TEXT NOT NULL,
            method TEXT NOT NULL,
            confidence REAL NOT NULL
        );
        CREATE INDEX mentions_doc ON mentions(document_id);
        CREATE INDEX mentions_entity ON mentions(entity_id);

        CREATE TABLE turns (
            document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            n INTEGER NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            speaker_ids TEXT NOT NULL
        );
        CREATE INDEX turns_doc ON turns(document_id);

        CREATE TABLE entity_edits (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            payload_json TEXT NOT NULL,
            undone_at TEXT
        );

        CREATE VIRTUAL TABLE documents_fts USING fts5(
            title, summary, text, entity_names,
            content="documents", content_rowid="rowid",
            tokenize = "unicode61 remove_diacritics 2"
        );
        CREATE TRIGGER documents_ai AFTER INSERT ON documents BEGIN
            INSERT INTO documents_fts(rowid, title, summary, text, entity_names)
            VALUES (new.rowid, new.title, new.summary, new.text, new.entity_names);
        END;
        CREATE TRIGGER documents_ad AFTER DELETE ON documents BEGIN
            INSERT INTO documents_fts(documents_fts, rowid, title, summary, text, entity_names)
            VALUES ('delete', old.rowid, old.title, old.summary, old.text, old.entity_names);
        END;
        CREATE TRIGGER documents_au AFTER UPDATE ON documents BEGIN
            INSERT INTO documents_fts(documents_fts, rowid, title, summary, text, entity_names)
            VALUES ('delete', old.rowid, old.title, old.summary, old.text, old.entity_names);
            INSERT INTO documents_fts(rowid, title, summary, text, entity_names)
            VALUES (new.rowid, new.title, new.summary, new.text, new.entity_names);
        END;
        """,
    ),
    (
        2,
        "key-value facts about the store (the authority file's fingerprint)",
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """,
    ),
    (
        3,
        "queue of documents whose search index entry is stale (written with the record)",
        """
        CREATE TABLE search_queue (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            document_id TEXT NOT NULL
        );
        """,
    ),
    (
        4,
        "recipients of each record as rows (the index and the network read them, not JSON)",
        """
        CREATE TABLE recipients (
            document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            n INTEGER NOT NULL,
            entity_id TEXT,
            name TEXT
        );
        INSERT INTO recipients
            SELECT d.id, r.key, json_extract(r.value, '$.id'), json_extract(r.value, '$.name')
            FROM documents d, json_each(d.record_json, '$.recipients') r;
        CREATE INDEX recipients_doc ON recipients(document_id);
        CREATE INDEX recipients_entity ON recipients(entity_id);
        """,
    ),
    (
        5,
        "re-index a document's full text only when an indexed column changed (an entity "
        "edit rewrote the JSON, and the whole text was tokenized twice)",
        """
        DROP TRIGGER documents_au;
        CREATE TRIGGER documents_au AFTER UPDATE OF title, summary, text, entity_names
        ON documents
        WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary
            OR old.text IS NOT new.text OR old.entity_names IS NOT new.entity_names
        BEGIN
            INSERT INTO documents_fts(documents_fts, rowid, title, summary, text, entity_names)
            VALUES ('delete', old.rowid, old.title, old.summary, old.text, old.entity_names);
            INSERT INTO documents_fts(rowid, title, summary, text, entity_names)
            VALUES (new.rowid, new.title, new.summary, new.text, new.entity_names);
        END;
        """,
    ),
    (
        6,
        "copies of a document across sources: each record's sketch keys, and the links",
        """
        CREATE TABLE copy_keys (
            key INTEGER NOT NULL,
            document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            PRIMARY KEY (key, document_id)
        ) WITHOUT ROWID;
        CREATE INDEX copy_keys_document ON copy_keys(document_id);
        CREATE TABLE copies (
            document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            other_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            relation TEXT NOT NULL,
            overlap REAL NOT NULL,
            shared INTEGER NOT NULL,
            evidence_json TEXT NOT NULL,
            PRIMARY KEY (document_id, other_id)
        );
        CREATE INDEX copies_other ON copies(other_id);
        """,
    ),
    (
        7,
        "copy keys by the document's row number, with no second index: a key costs one "
        "B-tree entry (a record's keys are kept beside it, for dropping them with it)",
        """
        ALTER TABLE copy_keys RENAME TO copy_keys_old;
        CREATE TABLE copy_sketches (doc INTEGER PRIMARY KEY, keys TEXT NOT NULL);
        CREATE TABLE copy_keys (
            key INTEGER NOT NULL,
            doc INTEGER NOT NULL,
            PRIMARY KEY (key, doc)
        ) WITHOUT ROWID;
        INSERT INTO copy_sketches(doc, keys)
            SELECT d.rowid, json_group_array(k.key) FROM copy_keys_old k
            JOIN documents d ON d.id = k.document_id GROUP BY d.rowid;
        INSERT INTO copy_keys(key, doc)
            SELECT k.key, d.rowid FROM copy_keys_old k JOIN documents d ON d.id = k.document_id;
        DROP TABLE copy_keys_old;
        CREATE TRIGGER documents_copy_keys AFTER DELETE ON documents BEGIN
            DELETE FROM copy_keys WHERE doc = old.rowid AND key IN (
                SELECT value FROM json_each(
                    (SELECT keys FROM copy_sketches WHERE doc = old.rowid)));
            DELETE FROM copy_sketches WHERE doc = old.rowid;
        END;
        """,
    ),
    (
        8,
        "copy groups: each copy that another record stands for (the group's preferred "
        "record, the fullest), so that a document is counted once",
        f"""
        CREATE TABLE copy_duplicates (
            document_id TEXT PRIMARY KEY,
            preferred_id TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX copy_duplicates_preferred ON copy_duplicates(preferred_id);
        INSERT INTO copy_duplicates(document_id, preferred_id)
        WITH RECURSIVE edges(a, b) AS (
            SELECT document_id, other_id FROM copies WHERE relation = 'same'
            UNION SELECT other_id, document_id FROM copies WHERE relation = 'same'
        ), reach(root, node) AS (
            SELECT a, a FROM edges
            UNION SELECT reach.root, edges.b FROM reach JOIN edges ON edges.a = reach.node
        ), component(node, cid) AS (
            SELECT node, min(root) FROM reach GROUP BY node
        ), ranked(node, cid, n) AS (
            SELECT c.node, c.cid, row_number() OVER (PARTITION BY c.cid ORDER BY {PREFERRED_ORDER})
            FROM component c JOIN documents d ON d.id = c.node
        )
        SELECT r.node, p.node FROM ranked r JOIN ranked p ON p.cid = r.cid AND p.n = 1
        WHERE r.n > 1;
        """,
    ),
    (
        9,
        "copies linked and unlinked by hand: each pair's verdict (kept through re-ingest), "
        "the log of edits, and which links a user made",
        """
        CREATE TABLE copy_verdicts (
            low_id TEXT NOT NULL,
            high_id TEXT NOT NULL,
            relation TEXT NOT NULL,
            container_id TEXT,
            PRIMARY KEY (low_id, high_id)
        ) WITHOUT ROWID;
        CREATE INDEX copy_verdicts_high ON copy_verdicts(high_id);
        CREATE TABLE copy_edits (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            payload_json TEXT NOT NULL,
            undone_at TEXT
        );
        ALTER TABLE copies ADD COLUMN by_hand INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    (
        10,
        "archival references by file, for finding a document's translations (the same "
        "leaves of the same file, cited by records in other languages)",
        """
        CREATE INDEX archival_refs_delo ON archival_refs(delo, archive) WHERE delo IS NOT NULL;
        CREATE INDEX archival_refs_file ON archival_refs(file, archive) WHERE file IS NOT NULL;
        """,
    ),
    (
        11,
        "a record's entity names are given to the full-text index by the store, one "
        "statement at a time (the trigger held a volume's text four times at once: the old "
        "row's, the new row's, and its tokens deleted and added)",
        """
        DROP TRIGGER documents_au;
        CREATE TRIGGER documents_au AFTER UPDATE OF title, summary, text ON documents
        WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary
            OR old.text IS NOT new.text
        BEGIN
            INSERT INTO documents_fts(documents_fts, rowid, title, summary, text, entity_names)
            VALUES ('delete', old.rowid, old.title, old.summary, old.text, old.entity_names);
            INSERT INTO documents_fts(rowid, title, summary, text, entity_names)
            VALUES (new.rowid, new.title, new.summary, new.text, new.entity_names);
        END;
        """,
    ),
]


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration not yet applied; return the schema version."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    for version, description, sql in MIGRATIONS:
        if version in done:
            continue
        with conn:
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                (version, description, datetime.now(UTC).isoformat(timespec="seconds")),
            )
    return max([v for v, _, _ in MIGRATIONS], default=0)


def _statements(sql: str) -> list[str]:
    """Split a script into statements, keeping trigger bodies whole."""
    out: list[str] = []
    buf: list[str] = []
    for line in sql.strip().splitlines():
        buf.append(line)
        joined = "\n".join(buf).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            out.append(joined)
            buf = []
    if "\n".join(buf).strip():
        out.append("\n".join(buf))
    return out
