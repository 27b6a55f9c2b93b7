"""What the web shows about an entity: its names, facts, documents and company."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from fonds.errors import NotFound
from fonds.store.sqlite import COUNTED, GROUP_ID, GROUPED, Store
from fonds.web import stats
from fonds.web.state import WebState

LIKE_SPECIAL = re.compile(r"[\\%_]")


@dataclass
class EntityView:
    id: str
    type: str
    name: str
    origin: str
    data: dict[str, Any]
    names: list[dict[str, Any]] = field(default_factory=list)
    document_count: int = 0
    sent: int = 0

    def as_json(self) -> dict[str, Any]:
        facts = {k: v for k, v in self.data.items() if k not in {"id", "type", "name", "variants"}}
        return {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "origin": self.origin,
            "aliases": [n["name"] for n in self.names if n["name"] != self.name],
            "names": self.names,
            "facts": facts,
            "offices": self.data.get("offices") or [],
            "document_count": self.document_count,
            "sent": self.sent,
        }


def merged_into(store: Store, entity_id: str) -> str | None:
    """The entity this one was merged into, following the chain, or None."""
    seen = {entity_id}
    current = entity_id
    while True:
        row = store.conn.execute(
            "SELECT merged_into FROM entities WHERE id = ?", (current,)
        ).fetchone()
        if row is None or not row[0] or row[0] in seen:
            return None if current == entity_id else current
        current = row[0]
        seen.add(current)


def load_entity(store: Store, entity_id: str) -> EntityView:
    """An entity by id; raise NotFound when neither the tables nor any mention know it."""
    conn = store.conn
    row = conn.execute("SELECT * FROM entities WHERE id = ?", (entity_id,)).fetchone()
    if row is not None:
        view = EntityView(
            row["id"], row["type"], row["name"], row["origin"], _json(row["data_json"])
        )
    else:
        first = conn.execute(
            "SELECT text FROM mentions WHERE entity_id = ? GROUP BY text ORDER BY count(*) DESC",
            (entity_id,),
        ).fetchone()
        if first is None:
            raise NotFound(f"no entity with id {entity_id!r}")
        etype = entity_id.split("-", 1)[0]
        view = EntityView(
            entity_id, {"org": "organization"}.get(etype, etype), first[0], "mentions", {}
        )
    listed = {
        r[0]: r[1]
        for r in conn.execute(
            "SELECT name, kind FROM entity_names WHERE entity_id = ? ORDER BY rowid", (entity_id,)
        )
    }
    used = {
        r[0]: r[1]
        for r in conn.execute(
            "SELECT text, count(*) FROM mentions WHERE entity_id = ? GROUP BY text", (entity_id,)
        )
    }
    names = [{"name": view.name, "kind": "canonical", "mentions": used.get(view.name, 0)}]
    for name in [*listed, *sorted(used, key=lambda n: -used[n])]:
        if all(n["name"] != name for n in names):
            names.append(
                {
                    "name": name,
                    "kind": listed.get(name, "in documents"),
                    "mentions": used.get(name, 0),
                }
            )
    view.names = names
    view.document_count = conn.execute(
        f"SELECT count(DISTINCT {GROUP_ID}) FROM mentions m {GROUPED} WHERE m.entity_id = ?",
        (entity_id,),
    ).fetchone()[0]
    view.sent = conn.execute(
        f"SELECT count(*) FROM documents WHERE sender_id = ? AND id {COUNTED}", (entity_id,)
    ).fetchone()[0]
    return view


def entity_documents(
    store: Store, entity_id: str, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """Documents that mention the entity, oldest first, with how often each does; a
    document kept in several copies once, as its group's preferred record."""
    total = store.conn.execute(
        f"SELECT count(DISTINCT {GROUP_ID}) FROM mentions m {GROUPED} WHERE m.entity_id = ?",
        (entity_id,),
    ).fetchone()[0]
    # the mentions of the preferred record, or of a copy when only copies name it
    rows = store.conn.execute(
        "SELECT d.id, d.title, d.date, d.doc_type,"
        " CASE WHEN count(*) > count(cd.document_id) THEN count(*) - count(cd.document_id)"
        f" ELSE count(*) END AS n FROM mentions m {GROUPED}"
        f" JOIN documents d ON d.id = {GROUP_ID} WHERE m.entity_id = ?"
        " GROUP BY d.id ORDER BY d.date_start IS NULL, d.date_start, d.id LIMIT ? OFFSET ?",
        (entity_id, limit, offset),
    ).fetchall()
    return [
        {"id": r[0], "title": r[1], "date": r[2], "doc_type": r[3], "mentions": r[4]} for r in rows
    ], total


def entity_years(store: Store, entity_id: str) -> list[tuple[str, int]]:
    """Documents mentioning the entity, counted by year (undated ones left out)."""
    rows = store.conn.execute(
        f"SELECT substr(d.date_start, 1, 4) AS y, count(DISTINCT d.id) FROM mentions m {GROUPED}"
        f" JOIN documents d ON d.id = {GROUP_ID} WHERE m.entity_id = ?"
        " AND d.date_start IS NOT NULL GROUP BY y ORDER BY y",
        (entity_id,),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def co_mentioned(store: Store, entity_id: str, limit: int = 24) -> list[dict[str, Any]]:
    """Entities named in the same documents, most shared documents first."""
    rows = store.conn.execute(
        "SELECT m2.entity_id, count(DISTINCT coalesce(cd.preferred_id, m2.document_id)) AS n,"
        " e.name, e.type, min(m2.text) FROM mentions m1 JOIN mentions m2"
        " ON m2.document_id = m1.document_id AND m2.entity_id != m1.entity_id"
        " LEFT JOIN copy_duplicates cd ON cd.document_id = m2.document_id"
        " LEFT JOIN entities e ON e.id = m2.entity_id"
        " WHERE m1.entity_id = ? GROUP BY m2.entity_id, e.name, e.type"
        " ORDER BY n DESC, m2.entity_id LIMIT ?",
        (entity_id, limit),
    ).fetchall()
    return [
        {"id": r[0], "documents": r[1], "name": r[2] or r[4], "type": r[3] or r[0].split("-", 1)[0]}
        for r in rows
    ]


def find_entities(
    state: WebState, q: str, etype: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """Entities named in documents whose name or a variant contains ``q``, the most
    documented first."""
    counts = stats.entity_counts(state)
    found = list(counts.values())
    if etype:
        found = [c for c in found if c.type == etype]
    if q.strip():
        like = "%" + LIKE_SPECIAL.sub(r"\\\g<0>", q.strip()) + "%"
        ids = {
            r[0]
            for r in state.reader().conn.execute(
                # lower() on both sides: LIKE ignores case in SQLite, not in PostgreSQL
                "SELECT id FROM entities WHERE lower(name) LIKE lower(?) ESCAPE '\\' UNION"
                " SELECT entity_id FROM entity_names WHERE lower(name) LIKE lower(?) ESCAPE '\\'",
                (like, like),
            )
        }
        found = [c for c in found if c.id in ids]
    found.sort(key=lambda c: (-c.documents, c.name))
    return [
        {"id": c.id, "name": c.name, "type": c.type, "documents": c.documents}
        for c in found[offset : offset + limit]
    ], len(found)


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
