"""Merge and split identities by hand, every edit logged and undoable.

A merge sends every mention of one entity to another and redirects the merged id, so
later documents resolve to the survivor. A split moves the mentions written in some
names to a new entity. ``undo`` reverses the last edit not yet undone, exactly: each
edit stores which mentions it moved, and a merge which sender, recipient and speaker
references it redirected.
"""

from __future__ import annotations

import json
from typing import Any

from fonds.entities.names import plain_key, slugify
from fonds.errors import FondsError, NotFound
from fonds.store.sqlite import (
    ROWS_MARK,
    EntityTables,
    Store,
    now,
    replace_entities_of,
    update_record_json,
)

Move = tuple[str, str, int, int, str, str]  # (doc_id, field, start, end, from_id, to_id)
RefPath = list[Any]  # where a reference sits in a record: ["recipients", 1], ["sender"] ...


def _entity(store: Store, entity_id: str) -> Any:
    row = EntityTables(store).entity_row(entity_id)
    if row is None:
        raise NotFound(f"no entity with id {entity_id!r}")
    return row


def merge(store: Store, source_id: str, target_id: str, reason: str | None = None) -> int:
    """Merge ``source_id`` into ``target_id``; return the edit's number. ``reason`` says
    why, when the merge was not a user's (it stays in the history, and undo reverses it)."""
    return merge_all(store, [(source_id, target_id)], reason)[0]


def merge_all(store: Store, pairs: list[tuple[str, str]], reason: str | None = None) -> list[int]:
    """Merge each (source, target) pair; return the edits' numbers, one per pair (each is
    undone on its own). Every record the merges touch is rewritten once, however many of
    its entities merge: settling a long document merges dozens. Pairs that chain (a
    target merged in turn) are merged one after the other."""
    targets = {t for _, t in pairs}
    if len(pairs) > 1 and any(s in targets for s, _ in pairs):
        return [n for pair in pairs for n in merge_all(store, [pair], reason)]
    moves_of: dict[str, list[Move]] = {}
    also: set[str] = set()
    for source_id, target_id in pairs:
        if source_id == target_id:
            raise FondsError("an entity cannot be merged into itself")
        source, target = _entity(store, source_id), _entity(store, target_id)
        if source["type"] != target["type"]:
            raise FondsError(f"cannot merge a {source['type']} into a {target['type']}")
        rows = store.conn.execute(
            'SELECT document_id, field, start, "end" FROM mentions WHERE entity_id = ?',
            (source_id,),
        ).fetchall()
        moves_of[source_id] = [(r[0], r[1], r[2], r[3], source_id, target_id) for r in rows]
        also |= _referring(store, source_id)
    whole = dict(pairs)
    every_move = [m for source_id, _ in pairs for m in moves_of[source_id]]
    refs_of: dict[str, list[tuple[str, RefPath]]] = {s: [] for s, _ in pairs}
    for doc_id, path, was in _apply(store, every_move, whole, also):
        refs_of[was].append((doc_id, path))
    edits = []
    for source_id, target_id in pairs:
        with store.transaction():
            store.conn.execute(
                "UPDATE entities SET merged_into = ? WHERE id = ?", (target_id, source_id)
            )
        payload: dict[str, Any] = {
            "source": source_id,
            "target": target_id,
            "moves": moves_of[source_id],
            "refs": refs_of[source_id],
        }
        if reason:
            payload["reason"] = reason
        edits.append(_log(store, "merge", payload))
    return edits


def _referring(store: Store, entity_id: str) -> set[str]:
    """Documents naming an entity as sender, recipient or speaker."""
    rows = store.conn.execute(
        "SELECT id FROM documents WHERE sender_id = ?1"
        " UNION SELECT document_id FROM recipients WHERE entity_id = ?1"
        " UNION SELECT document_id FROM turns WHERE instr(speaker_ids, ?2) > 0",
        (entity_id, json.dumps(entity_id)),
    )
    return {r[0] for r in rows}


def split(store: Store, entity_id: str, names: list[str], new_name: str | None = None) -> str:
    """Move the mentions written in ``names`` to a new entity; return its id."""
    entity = _entity(store, entity_id)
    keys = {plain_key(n) for n in names if plain_key(n)}
    if not keys:
        raise FondsError("name at least one form to split off")
    new_name = new_name or names[0]
    new_id, n = (
        f"{'org' if entity['type'] == 'organization' else entity['type']}-{slugify(new_name)}",
        1,
    )
    base = new_id
    while EntityTables(store).entity_row(new_id) is not None:
        n += 1
        new_id = f"{base}-{n}"
    rows = store.conn.execute(
        'SELECT document_id, field, start, "end", text FROM mentions WHERE entity_id = ?',
        (entity_id,),
    ).fetchall()
    moves = [(r[0], r[1], r[2], r[3], entity_id, new_id) for r in rows if plain_key(r[4]) in keys]
    tables = EntityTables(store)
    tables.add_entity(
        new_id, entity["type"], new_name, "user", json.dumps({"split_from": entity_id})
    )
    for name in names:
        tables.add_name(new_id, name, plain_key(name), "user")
    with store.transaction():
        store.conn.executemany(
            "DELETE FROM entity_names WHERE entity_id = ? AND kind != 'authority' AND key = ?",
            [(entity_id, k) for k in keys],
        )
    _apply(store, moves, {})
    _log(store, "split", {"entity": entity_id, "new": new_id, "names": names, "moves": moves})
    return new_id


def undo(store: Store) -> dict[str, Any] | None:
    """Reverse the last edit not yet undone; return what was undone, or None."""
    row = store.conn.execute(
        "SELECT id, action, payload_json FROM entity_edits WHERE undone_at IS NULL "
        "ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    payload = json.loads(row["payload_json"])
    back = [(d, f, s, e, to, frm) for d, f, s, e, frm, to in payload["moves"]]
    if row["action"] == "merge":
        source = payload["source"]
        restore = {(d, json.dumps(path)): source for d, path in payload.get("refs", [])}
        _apply(store, back, {}, {d for d, _ in payload.get("refs", [])}, restore)
        with store.transaction():
            store.conn.execute(
                "UPDATE entities SET merged_into = NULL WHERE id = ?", (payload["source"],)
            )
    else:
        _apply(store, back, {})
        with store.transaction():
            store.conn.execute("DELETE FROM entity_names WHERE entity_id = ?", (payload["new"],))
            store.conn.execute("DELETE FROM entities WHERE id = ?", (payload["new"],))
        tables = EntityTables(store)
        for name in payload["names"]:
            tables.add_name(payload["entity"], name, plain_key(name), "learned")
    with store.transaction():
        store.conn.execute("UPDATE entity_edits SET undone_at = ? WHERE id = ?", (now(), row["id"]))
    return {
        "edit": row["id"],
        "action": row["action"],
        **{k: v for k, v in payload.items() if k != "moves"},
    }


# The entities an edit names, by the payload key that holds each one's id.
EDIT_ENTITY_KEYS = ("source", "target", "entity", "new")


def history(store: Store) -> list[dict[str, Any]]:
    """Every edit, oldest first, with the names of the entities it touched
    (``entity_names``: id → name). A split's ``names`` are the names it moved."""
    rows = store.conn.execute("SELECT * FROM entity_edits ORDER BY id").fetchall()
    out = []
    for r in rows:
        payload = json.loads(r["payload_json"])
        out.append(
            {
                "edit": r["id"],
                "at": r["at"],
                "action": r["action"],
                "undone_at": r["undone_at"],
                "mentions": len(payload.get("moves", [])),
                **{k: v for k, v in payload.items() if k != "moves"},
            }
        )
    ids = sorted({e[k] for e in out for k in EDIT_ENTITY_KEYS if isinstance(e.get(k), str)})
    names: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        query = f"SELECT id, name FROM entities WHERE id IN ({marks})"
        names.update((row[0], row[1]) for row in store.conn.execute(query, chunk))
    for edit in out:
        edit["entity_names"] = {
            edit[k]: names.get(edit[k], edit[k]) for k in EDIT_ENTITY_KEYS if edit.get(k)
        }
    return out


def describe(edit: dict[str, Any]) -> str:
    """One line of what an edit did, by the names of the entities it touched."""
    names = edit.get("entity_names") or {}

    def named(key: str) -> str:
        entity_id = edit.get(key) or "?"
        name = names.get(entity_id, entity_id)
        return f"{name} ({entity_id})" if name != entity_id else entity_id

    if edit["action"] == "merge":
        return f"{named('source')} into {named('target')}"
    if edit["action"] == "split":
        taken = "; ".join(edit.get("names") or []) or "names"
        return f"{taken} out of {named('entity')} into {named('new')}"
    return edit["action"]


def _log(store: Store, action: str, payload: dict[str, Any]) -> int:
    with store.transaction():
        cur = store.conn.execute(
            "INSERT INTO entity_edits(at, action, payload_json) VALUES (?, ?, ?) RETURNING id",
            (now(), action, json.dumps(payload)),
        )
        edit_id = int(cur.fetchone()[0])
    return edit_id


def _apply(
    store: Store,
    moves: list[Move],
    whole: dict[str, str],
    also: set[str] | None = None,
    restore: dict[tuple[str, str], str] | None = None,
) -> list[tuple[str, RefPath, str]]:
    """Move mentions between entities in every record they touch; return the references
    redirected, as (document id, path in the record, the entity it named before).

    ``whole`` maps entity ids that move entirely (a merge): their sender, recipient and
    speaker references move too, in the records of ``moves`` and of ``also``.
    ``restore`` maps (document id, JSON of a path) to the entity a reference goes back to
    (undoing a merge).
    """
    by_doc: dict[str, dict[tuple[str, int, int], str]] = {}
    for doc_id, fld, start, end, _frm, to in moves:
        by_doc.setdefault(doc_id, {})[(fld, start, end)] = to
    for doc_id in sorted(also or ()):
        by_doc.setdefault(doc_id, {})
    redirected: list[tuple[str, RefPath, str]] = []
    for doc_id, moved in by_doc.items():
        data = store.record_head(doc_id)  # the body is not rewritten
        if data.get(ROWS_MARK):  # a volume's text: its mentions are moved as rows
            data["entities"] = _regroup_rows(store, doc_id, data["entities"], moved)
        else:
            data["entities"] = _regroup(store, data["entities"], moved)
        for path, ref in _references(data):
            to = (restore or {}).get((doc_id, json.dumps(path)))
            if to is None and ref.get("id") in whole:
                to = whole[ref["id"]]
                redirected.append((doc_id, path, ref["id"]))
            if to is not None:
                ref["id"] = to
                ref["name"] = _entity(store, to)["name"]
        replace_entities_of(store, doc_id, data)
    return redirected


def _references(data: dict[str, Any]) -> list[tuple[RefPath, dict[str, Any]]]:
    """The sender, recipient and speaker references of a record, with their paths."""
    out: list[tuple[RefPath, dict[str, Any]]] = []
    if data.get("sender"):
        out.append((["sender"], data["sender"]))
    for i, ref in enumerate(data.get("recipients") or []):
        out.append((["recipients", i], ref))
    for t, turn in enumerate(data.get("turns") or []):
        for k, ref in enumerate(turn.get("speakers") or []):
            out.append((["turns", t, "speakers", k], ref))
    return [(path, ref) for path, ref in out if ref]


def _regroup(
    store: Store, hits: list[dict[str, Any]], moved: dict[tuple[str, int, int], str]
) -> list[dict[str, Any]]:
    grouped: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    for hit in hits:
        for mention in hit["mentions"]:
            key = (mention.get("field", "text"), mention["start"], mention["end"])
            entity_id = moved.get(key, hit["id"])
            if entity_id not in grouped:
                row = _entity(store, entity_id)
                grouped[entity_id] = {
                    "id": entity_id,
                    "name": row["name"],
                    "type": row["type"],
                    "aliases": [],
                    "mentions": [],
                }
                if entity_id == hit["id"] and hit.get("role"):
                    grouped[entity_id]["role"] = hit["role"]
                order.append(entity_id)
            target = grouped[entity_id]
            target["mentions"].append(mention)
            if mention["text"] != target["name"] and mention["text"] not in target["aliases"]:
                target["aliases"].append(mention["text"])
    out = [grouped[i] for i in order]
    for hit in out:
        hit["mentions"].sort(
            key=lambda m: (m.get("field", "text") != "text", m.get("field", ""), m["start"])
        )
    # The same order as the entity stage writes: by first mention in the text, then id.
    out.sort(
        key=lambda h: (
            min((m["start"] for m in h["mentions"] if "field" not in m), default=10**9),
            h["id"],
        )
    )
    return out


def _regroup_rows(
    store: Store, doc_id: str, hits: list[dict[str, Any]], moved: dict[tuple[str, int, int], str]
) -> list[dict[str, Any]]:
    """``_regroup`` for a record that keeps its mentions as rows: the moved rows are
    updated in place, then each entity's aliases and first mention read off the rows in
    the order they were written (by entity, then position), one row at a time."""
    conn = store.conn
    if moved:
        updates = [
            (to, rowid)
            for rowid, fld, start, end in conn.execute(
                'SELECT rowid, field, start, "end" FROM mentions WHERE document_id = ?', (doc_id,)
            )
            if (to := moved.get((fld, start, end))) is not None
        ]
        conn.executemany("UPDATE mentions SET entity_id = ? WHERE rowid = ?", updates)
    roles = {hit["id"]: hit["role"] for hit in hits if hit.get("role")}
    grouped: dict[str, dict[str, Any]] = {}
    seen: dict[str, set[str]] = {}
    first: dict[str, int] = {}
    for entity_id, fld, start, text in conn.execute(
        "SELECT entity_id, field, start, text FROM mentions WHERE document_id = ? ORDER BY rowid",
        (doc_id,),
    ):
        target = grouped.get(entity_id)
        if target is None:
            row = _entity(store, entity_id)
            target = grouped[entity_id] = {
                "id": entity_id,
                "name": row["name"],
                "type": row["type"],
                "aliases": [],
                "mentions": [],
            }
            if entity_id in roles:
                target["role"] = roles[entity_id]
            seen[entity_id] = set()
            first[entity_id] = 10**9
        if text != target["name"] and text not in seen[entity_id]:
            seen[entity_id].add(text)
            target["aliases"].append(text)
        if fld == "text" and start < first[entity_id]:
            first[entity_id] = start
    return sorted(grouped.values(), key=lambda h: (first[h["id"]], h["id"]))


def rename(store: Store, entity_id: str, name: str) -> None:
    """Give an entity another display name, in the store and in every record that names
    it (its mentions stay as they are)."""
    rename_all(store, {entity_id: name})


def rename_all(store: Store, names: dict[str, str]) -> None:
    """Give entities other display names (entity id -> name) in one transaction, each
    record that names any of them rewritten once. Settling uses it so that a discovered
    name reads the same whatever the order of ingest."""
    if not names:
        return
    ids = list(names)
    by_doc: dict[str, set[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for doc_id, entity_id in store.conn.execute(
            f"SELECT DISTINCT document_id, entity_id FROM mentions WHERE entity_id IN ({marks})",
            chunk,
        ):
            by_doc.setdefault(doc_id, set()).add(entity_id)
    with store.transaction():
        for entity_id, name in names.items():
            store.conn.execute("UPDATE entities SET name = ? WHERE id = ?", (name, entity_id))
            store.conn.execute(
                "UPDATE recipients SET name = ? WHERE entity_id = ?", (name, entity_id)
            )
            store.conn.execute(
                "UPDATE documents SET sender_name = ? WHERE sender_id = ?", (name, entity_id)
            )
        for doc_id in sorted(by_doc):
            data = store.record_head(doc_id)  # the body is not rewritten
            for hit in data["entities"]:
                if hit["id"] in names:
                    name = names[hit["id"]]
                    hit["name"] = name
                    texts = dict.fromkeys(_mention_texts(store, doc_id, hit, data))
                    hit["aliases"] = [t for t in texts if t != name]
            for _path, ref in _references(data):
                if ref.get("id") in names:
                    ref["name"] = names[ref["id"]]
            update_record_json(store, doc_id, data, sender=False)
            enqueue = getattr(store, "enqueue_for_search", None)
            if enqueue is not None:
                enqueue(doc_id)


def _mention_texts(
    store: Store, doc_id: str, hit: dict[str, Any], data: dict[str, Any]
) -> list[str]:
    """The texts of an entity's mentions in a record, in the record's order (from the
    mentions table where the record keeps them as rows)."""
    if not data.get(ROWS_MARK):
        return [m["text"] for m in hit["mentions"]]
    return [
        text
        for (text,) in store.conn.execute(
            "SELECT text FROM mentions WHERE document_id = ? AND entity_id = ?"
            " ORDER BY field != 'text', field, start",
            (doc_id, hit["id"]),
        )
    ]
