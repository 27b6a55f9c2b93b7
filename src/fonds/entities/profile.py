"""What the archive knows of one entity: names, offices, documents over time, company."""

from __future__ import annotations

import json
from typing import Any

from fonds.errors import NotFound
from fonds.store.sqlite import EntityTables, Store


def entity_profile(store: Store, entity_id: str, co_limit: int = 15) -> dict[str, Any]:
    """Names, offices, documents by date and the entities most often co-mentioned."""
    tables = EntityTables(store)
    row = tables.entity_row(entity_id)
    if row is None:
        raise NotFound(f"no entity with id {entity_id!r}")
    if row["merged_into"]:
        return {"id": entity_id, "merged_into": row["merged_into"]}
    data = json.loads(row["data_json"] or "{}")
    names = [
        r[0]
        for r in store.conn.execute(
            "SELECT name FROM entity_names WHERE entity_id = ?"
            " GROUP BY name ORDER BY min(kind), name",
            (entity_id,),
        )
    ]
    seen_as = [
        r[0]
        for r in store.conn.execute(
            "SELECT text FROM mentions WHERE entity_id = ? GROUP BY text ORDER BY count(*) DESC",
            (entity_id,),
        )
    ]
    documents = [
        {"id": r[0], "title": r[1], "date": r[2], "mentions": r[3]}
        for r in store.conn.execute(
            "SELECT d.id, d.title, d.date, count(*) FROM mentions m JOIN documents d"
            " ON d.id = m.document_id WHERE m.entity_id = ? GROUP BY d.id"
            " ORDER BY d.date_start IS NULL, d.date_start, d.id",
            (entity_id,),
        )
    ]
    co = [
        {"id": r[0], "name": r[1], "type": r[2], "documents": r[3]}
        for r in store.conn.execute(
            "SELECT e.id, e.name, e.type, count(DISTINCT o.document_id) AS n"
            " FROM mentions m JOIN mentions o ON o.document_id = m.document_id"
            " AND o.entity_id != m.entity_id JOIN entities e ON e.id = o.entity_id"
            " WHERE m.entity_id = ? GROUP BY e.id ORDER BY n DESC, e.name LIMIT ?",
            (entity_id, co_limit),
        )
    ]
    by_year: dict[str, int] = {}
    for doc in documents:
        year = (doc["date"] or "")[:4] or "undated"
        by_year[year] = by_year.get(year, 0) + 1
    return {
        "id": entity_id,
        "name": row["name"],
        "type": row["type"],
        "origin": row["origin"],
        "names": [n for n in names if n != row["name"]],
        "seen_as": seen_as,
        "offices": data.get("offices", []),
        "born": data.get("born"),
        "died": data.get("died"),
        "description": data.get("description"),
        "documents": documents,
        "documents_by_year": by_year,
        "co_mentioned": co,
    }
