"""Copies linked and unlinked by hand: each edit logged, undoable, and kept through
re-ingest.

A user who sees a wrong link unlinks the two documents; one who knows that two records
are one document (a capture the sketch missed) or that one quotes the other whole links
them. Either way:

- the decision is a *verdict* on the pair (``copy_verdicts``): "same", "contains" (the
  first holds the second) or "none". Ingest applies verdicts after its own linking
  (``links.apply_verdicts``), so reading a file again does not undo a user's work;
- the link changes at once (``copies``, marked ``by_hand``), with the real overlap of the
  two bodies as its evidence, and the copy groups with it;
- the edit is logged (``copy_edits``) with the verdict and the links it replaced, and
  ``undo`` puts them back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fonds.copies.links import apply_verdict, drop_link, regroup
from fonds.errors import FondsError, NotFound
from fonds.store.sqlite import Store

LINK_COLUMNS = "document_id, other_id, relation, overlap, shared, evidence_json, by_hand"


def link(store: Store, doc_id: str, other_id: str, relation: str = "same") -> int:
    """Say that two documents are one ("same"), that the first holds the second whole
    ("contains"), or that they are one document in two languages ("translation"); return
    the edit's number."""
    if relation not in ("same", "contains", "translation"):
        raise FondsError(f"cannot link as {relation!r}: use same, contains or translation")
    return _edit(store, "link", doc_id, other_id, relation)


def unlink(store: Store, doc_id: str, other_id: str) -> int:
    """Say that two documents are not copies of each other; return the edit's number."""
    return _edit(store, "unlink", doc_id, other_id, "none")


def undo(store: Store) -> dict[str, Any] | None:
    """Reverse the last copy edit not yet undone; return what was undone, or None."""
    row = store.conn.execute(
        "SELECT id, action, payload_json FROM copy_edits WHERE undone_at IS NULL"
        " ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    payload = json.loads(row[2])
    a, b = payload["pair"]
    with store.transaction():
        low, high = sorted((a, b))
        store.conn.execute(
            "DELETE FROM copy_verdicts WHERE low_id = ? AND high_id = ?", (low, high)
        )
        if payload["before"]["verdict"] is not None:
            store.conn.execute(
                "INSERT INTO copy_verdicts(low_id, high_id, relation, container_id)"
                " VALUES (?, ?, ?, ?)",
                (low, high, *payload["before"]["verdict"]),
            )
        drop_link(store, a, b)
        if store.has_document(a) and store.has_document(b):  # else: nothing to link
            store.conn.executemany(
                f"INSERT INTO copies({LINK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [tuple(link) for link in payload["before"]["links"]],
            )
        regroup(store, {a, b})
        store.conn.execute("UPDATE copy_edits SET undone_at = ? WHERE id = ?", (_now(), row[0]))
    return {"edit": row[0], "action": row[1], "pair": [a, b]}


def history(store: Store) -> list[dict[str, Any]]:
    """Every copy edit, oldest first: its number, time, action, the two documents (with
    their titles), the relation said, and when it was undone."""
    out = []
    for edit_id, at, action, payload_json, undone_at in store.conn.execute(
        "SELECT id, at, action, payload_json, undone_at FROM copy_edits ORDER BY id"
    ):
        payload = json.loads(payload_json)
        titles = dict(
            store.conn.execute(
                "SELECT id, title FROM documents WHERE id IN (?, ?)", tuple(payload["pair"])
            )
        )
        out.append(
            {
                "edit": edit_id,
                "at": at,
                "action": action,
                "pair": payload["pair"],
                "titles": [titles.get(d) for d in payload["pair"]],
                "relation": payload["relation"],
                "undone_at": undone_at,
            }
        )
    return out


def _edit(store: Store, action: str, doc_id: str, other_id: str, relation: str) -> int:
    if doc_id == other_id:
        raise FondsError("a document is not a copy of itself: name two documents")
    for d in (doc_id, other_id):
        if not store.has_document(d):
            raise NotFound(f"no document with id {d!r}")
    low, high = sorted((doc_id, other_id))
    with store.transaction():
        verdict = store.conn.execute(
            "SELECT relation, container_id FROM copy_verdicts WHERE low_id = ? AND high_id = ?",
            (low, high),
        ).fetchone()
        links = store.conn.execute(
            f"SELECT {LINK_COLUMNS} FROM copies WHERE (document_id = ? AND other_id = ?)"
            " OR (document_id = ? AND other_id = ?)",
            (low, high, high, low),
        ).fetchall()
        before = {
            "verdict": list(verdict) if verdict else None,
            "links": [list(r) for r in links],
        }
        store.conn.execute(
            "INSERT INTO copy_verdicts(low_id, high_id, relation, container_id)"
            " VALUES (?, ?, ?, ?) ON CONFLICT(low_id, high_id) DO UPDATE SET"
            " relation = excluded.relation, container_id = excluded.container_id",
            (low, high, relation, doc_id if relation == "contains" else None),
        )
        apply_verdict(store, doc_id, other_id)
        regroup(store, {doc_id, other_id})
        payload = {"pair": [doc_id, other_id], "relation": relation, "before": before}
        cur = store.conn.execute(
            "INSERT INTO copy_edits(at, action, payload_json) VALUES (?, ?, ?) RETURNING id",
            (_now(), action, json.dumps(payload)),
        )
        edit_id = int(cur.fetchone()[0])
    return edit_id


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
