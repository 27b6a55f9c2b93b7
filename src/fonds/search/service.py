"""Search over the store: one entry point behind the CLI, the API and the web pages."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from fonds.errors import QuerySyntaxError
from fonds.store.sqlite import Store


@dataclass
class Hit:
    id: str
    score: float
    title: str
    date: str | None
    snippet: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "score": round(self.score, 4), "title": self.title,
                "date": self.date, "snippet": self.snippet}


@dataclass
class SearchResult:
    query: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    truncated: bool = False
    timed_out: list[str] = field(default_factory=list)


def _fts_query(query: str) -> str:
    words = re.findall(r"[\w'’-]+", query)
    if not words:
        raise QuerySyntaxError(f"nothing to search for in {query!r}: type a word or a name")
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def search(store: Store, query: str, limit: int = 20) -> SearchResult:
    match = _fts_query(query)
    try:
        rows = store.conn.execute(
            "SELECT d.id, d.title, d.date, bm25(documents_fts, 10.0, 3.0, 1.0, 5.0) AS rank,"
            " snippet(documents_fts, 2, '[', ']', '…', 12) AS snip"
            " FROM documents_fts JOIN documents d ON d.rowid = documents_fts.rowid"
            " WHERE documents_fts MATCH ? ORDER BY rank LIMIT ?",
            (match, limit),
        ).fetchall()
        total = store.conn.execute(
            "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?", (match,)
        ).fetchone()[0]
    except sqlite3.OperationalError as err:
        raise QuerySyntaxError(f"cannot search for {query!r}: {err}") from err
    hits = [Hit(r[0], -r[3], r[1], r[2], r[4]) for r in rows]
    return SearchResult(query, hits, total, total > len(hits))
