"""Copies found and linked as records are written, and read back for a document.

Each record's band keys (``sketch.sketch_keys``, made where the record was read) are
stored with it; the documents that share a band key, or LOOSE_SHARED loose keys (a short
body's as a quote with a long one's windows' as holders), are candidates, and a candidate
becomes a copy only if the real overlap of the two bodies' shingles says so:

``same``
    each body has at least SAME_OVERLAP of its shingles in the other (two captures or
    forms of one text);
``contains``
    the shorter has at least CONTAINED_OVERLAP of its shingles in the longer, which has
    much more (a report quoting a telegram whole); when the longer is not much longer
    (the shorter is SAME_SIZE of it or more), the two are the same document, one of them
    captured with a little more around it.

``translation``
    the same document in another language (``fonds.copies.translations``: the two cite
    the same leaves of one archival file, and their bodies are in different languages).

A link keeps the overlap (the share of the smaller body found in the other), the number
of shingles in common, and the spans of each body that the other shares (its evidence).
Links are symmetric and found from whichever record comes second, so the same files in
any order give the same links.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from typing import Any

from fonds.copies.sketch import (
    HOLDER,
    LOOSE_SHARED,
    is_loose,
    looked_up_as,
    shingles,
    word_spans,
)
from fonds.copies.translations import find_translations
from fonds.model import Record
from fonds.store.migrations import PREFERRED_ORDER
from fonds.store.sqlite import Store

SAME_OVERLAP = 0.8
CONTAINED_OVERLAP = 0.9
SAME_SIZE = 0.75  # a body wholly in another at least this big (in shingles) is the same
MAX_CANDIDATES = 50  # the documents sharing the most keys are verified, at most this many
MAX_GROUP = 200  # documents walked when a copy group is gathered
EVIDENCE_SPANS = 20  # spans kept per side of a link


def store_keys(store: Store, record: Record) -> int | None:
    """Store a record's band keys (inside the caller's transaction, after the record):
    by the document's row number, one B-tree entry a key, and the list beside it for the
    trigger that drops them with the document. The row number, or None when it has no keys."""
    if not record.copy_keys:
        return None
    row = store.conn.execute("SELECT rowid FROM documents WHERE id = ?", (record.id,)).fetchone()
    doc = row[0]
    store.conn.execute(
        "INSERT INTO copy_sketches(doc, keys) VALUES (?, ?)", (doc, json.dumps(record.copy_keys))
    )
    store.conn.executemany(
        "INSERT INTO copy_keys(key, doc) VALUES (?, ?)", [(key, doc) for key in record.copy_keys]
    )
    return doc


def candidates(store: Store, record: Record, doc: int) -> list[str]:
    """Documents that share a band key with the record (row number ``doc``), or
    LOOSE_SHARED loose keys, the most shared first (then by id, so that the choice does not
    depend on the order written)."""
    wanted = sorted({looked_up_as(key) for key in record.copy_keys})
    marks = ",".join("?" * len(wanted))
    banded: Counter[int] = Counter()
    loose: Counter[int] = Counter()
    for key, other in store.conn.execute(
        f"SELECT key, doc FROM copy_keys WHERE key IN ({marks}) AND doc != ?", [*wanted, doc]
    ):  # counted here: SQLite's GROUP BY and ORDER BY would build two temporary B-trees
        (loose if is_loose(key) else banded)[other] += 1
    shared = banded + Counter({d: n for d, n in loose.items() if n >= LOOSE_SHARED})
    if not shared:
        return []
    ranked = sorted(shared.values(), reverse=True)
    floor = ranked[min(MAX_CANDIDATES, len(ranked)) - 1]
    rows = [d for d, n in shared.items() if n >= floor]
    found: list[tuple[int, str]] = []
    for start in range(0, len(rows), 500):
        part = rows[start : start + 500]
        found += [
            (-shared[r[0]], r[1])
            for r in store.conn.execute(
                f"SELECT rowid, id FROM documents WHERE rowid IN ({','.join('?' * len(part))})",
                part,
            )
        ]
    return [doc_id for _, doc_id in sorted(found)[:MAX_CANDIDATES]]


def relation(mine: AbstractSet[int], theirs: AbstractSet[int]) -> tuple[str, float] | None:
    """How two bodies relate, from their shingles: ("same" | "contains" | "contained_in",
    overlap) from the first one's side, or None when they are not copies."""
    return relation_of(len(mine), len(theirs), len(mine & theirs))


def relation_of(mine: int, theirs: int, common: int) -> tuple[str, float] | None:
    """``relation`` from the sizes of two shingle sets and of what they share."""
    a_in_b, b_in_a = (common / mine if mine else 0.0), (common / theirs if theirs else 0.0)
    if min(a_in_b, b_in_a) >= SAME_OVERLAP:
        return "same", round(max(a_in_b, b_in_a), 4)
    smaller_in_larger = b_in_a if mine > theirs else a_in_b
    if smaller_in_larger < CONTAINED_OVERLAP:
        return None
    if min(mine, theirs) >= SAME_SIZE * max(mine, theirs):
        return "same", round(smaller_in_larger, 4)  # one capture with a little more around it
    return ("contains" if mine > theirs else "contained_in"), round(smaller_in_larger, 4)


def link_copies(store: Store, record: Record) -> int:
    """Find the record's copies among the documents stored and link them, and bring its
    copy group up to date (inside the caller's transaction); how many links were made."""
    store.lock_all(link_keys(record))  # a copy being written at once by another writer
    doc = store_keys(store, record)
    found = candidates(store, record, doc) if doc is not None else []
    made = 0
    mine = shingles(record.text) if found else set()
    for other_id in found:
        row = store.conn.execute("SELECT text FROM documents WHERE id = ?", (other_id,)).fetchone()
        if row is None:
            continue
        theirs = shingles(row[0] or "")
        how = relation(mine, theirs)
        if how is None:
            continue
        kind, overlap = how
        if kind == "contained_in":
            write_link(store, other_id, row[0] or "", record.id, record.text, "contains", overlap)
        else:
            write_link(store, record.id, record.text, other_id, row[0] or "", kind, overlap)
        made += 1
    for other_id, evidence in find_translations(
        store, record.id, record.text, record.archival_refs
    ):
        if other_id not in found:  # not linked by its text (a translation shares none)
            write_translation(store, record.id, other_id, evidence)
            made += 1
    verdicts = apply_verdicts(store, record.id)
    if made or verdicts or was_grouped(store, record.id):
        regroup(store, {record.id, *found, *verdicts})
    return made


def link_keys(record: Record) -> list[str]:
    """What a record's linking looks its copies up by: its band keys (a loose key as
    its quote's form, which a holder's of the same minima also names), and the archival
    files its references name (translations are found by them)."""
    keys = [f"band:{key & ~HOLDER}" for key in record.copy_keys]
    keys += [f"ref:{ref.archive}:{ref.file or ref.delo}" for ref in record.archival_refs]
    return keys


def write_link(
    store: Store,
    doc_id: str,
    text: str,
    other_id: str,
    other_text: str,
    kind: str,
    overlap: float | None = None,
    by_hand: bool = False,
) -> None:
    """Link two documents: "same", or "contains" (the first holds the second), with the
    shingles they share and the spans of each that the other has (the evidence). A link
    made by hand measures its overlap here (the smaller body's share in the other)."""
    mine, theirs = shingles(text), shingles(other_text)
    shared = mine & theirs
    if overlap is None:
        smaller = mine if len(mine) <= len(theirs) else theirs
        overlap = round(len(shared) / len(smaller), 4) if smaller else 0.0
    container, contained = (doc_id, other_id) if kind == "contains" else sorted((doc_id, other_id))
    evidence = {
        doc_id: word_spans(text, shared)[:EVIDENCE_SPANS],
        other_id: word_spans(other_text, shared)[:EVIDENCE_SPANS],
    }
    drop_link(store, doc_id, other_id)
    store.conn.execute(
        "INSERT INTO copies(document_id, other_id, relation, overlap, shared, evidence_json,"
        " by_hand) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (container, contained, kind, overlap, len(shared), json.dumps(evidence), int(by_hand)),
    )


def drop_link(store: Store, doc_id: str, other_id: str) -> None:
    """Unlink two documents, whichever way their link runs."""
    store.conn.execute(
        "DELETE FROM copies WHERE (document_id = ? AND other_id = ?)"
        " OR (document_id = ? AND other_id = ?)",
        (doc_id, other_id, other_id, doc_id),
    )


def write_translation(
    store: Store, doc_id: str, other_id: str, evidence: dict[str, Any], by_hand: bool = False
) -> None:
    """Link two documents as translations of each other (no words in common: the
    evidence is what says so, such as the archival references that name the same leaves)."""
    low, high = sorted((doc_id, other_id))
    drop_link(store, low, high)
    store.conn.execute(
        "INSERT INTO copies(document_id, other_id, relation, overlap, shared, evidence_json,"
        " by_hand) VALUES (?, ?, 'translation', 0.0, 0, ?, ?)",
        (low, high, json.dumps(evidence, ensure_ascii=False), int(by_hand)),
    )


def apply_verdicts(store: Store, doc_id: str) -> set[str]:
    """Make the document's links say what a user decided of them (``copy_verdicts``),
    over what the sketch found; the documents they concern."""
    rows = store.conn.execute(
        "SELECT low_id, high_id FROM copy_verdicts WHERE low_id = ?"
        " UNION ALL SELECT low_id, high_id FROM copy_verdicts WHERE high_id = ?",
        (doc_id, doc_id),
    ).fetchall()
    others = set()
    for low, high in rows:
        other = high if low == doc_id else low
        if apply_verdict(store, doc_id, other):
            others.add(other)
    return others


def apply_verdict(store: Store, doc_id: str, other_id: str) -> bool:
    """Make the link between two documents what the verdict on them says (when both are
    in the archive); whether there was one to apply."""
    low, high = sorted((doc_id, other_id))
    row = store.conn.execute(
        "SELECT relation, container_id FROM copy_verdicts WHERE low_id = ? AND high_id = ?",
        (low, high),
    ).fetchone()
    if row is None:
        return False
    texts = dict(
        store.conn.execute("SELECT id, text FROM documents WHERE id IN (?, ?)", (low, high))
    )
    if len(texts) < 2:
        return False
    verdict, container = row
    if verdict == "none":
        drop_link(store, low, high)
    elif verdict == "translation":
        write_translation(store, low, high, {"by_hand": True}, by_hand=True)
    else:
        first = container if verdict == "contains" else low
        second = high if first == low else low
        write_link(
            store, first, texts[first] or "", second, texts[second] or "", verdict, by_hand=True
        )
    return True


def was_grouped(store: Store, doc_id: str) -> bool:
    """Whether the document is in a copy group, as the table has it."""
    return (
        store.conn.execute(
            "SELECT 1 FROM copy_duplicates WHERE document_id = ?"
            " UNION ALL SELECT 1 FROM copy_duplicates WHERE preferred_id = ? LIMIT 1",
            (doc_id, doc_id),
        ).fetchone()
        is not None
    )


def preferred(store: Store, members: list[str]) -> str:
    """The copy that stands for a group: the fullest record (PREFERRED_ORDER)."""
    marks = ",".join("?" * len(members))
    return store.conn.execute(
        f"SELECT d.id FROM documents d WHERE d.id IN ({marks}) ORDER BY {PREFERRED_ORDER} LIMIT 1",
        members,
    ).fetchone()[0]


def regroup(store: Store, ids: set[str]) -> set[str]:
    """Bring the copy groups of these documents up to date (inside the caller's
    transaction), with the members of the groups they were in: each member that is not
    its group's preferred record names it in ``copy_duplicates``. A document whose standing
    changed is queued for the search index (which counts a group once); those are returned."""
    before = _standing(store, _old_groups(store, ids))
    after: dict[str, str | None] = {}
    exists = _existing(store, set(before) | ids)
    for doc_id in sorted(exists):
        if doc_id in after:
            continue
        group = copy_group(store, doc_id)
        best = preferred(store, group) if len(group) > 1 else doc_id
        after.update({m: (best if m != best else None) for m in group})
    changed = {d for d in set(before) | set(after) if before.get(d) != after.get(d)}
    if not changed:
        return changed
    marks = ",".join("?" * len(changed))
    store.conn.execute(
        f"DELETE FROM copy_duplicates WHERE document_id IN ({marks})", sorted(changed)
    )
    store.conn.executemany(
        "INSERT INTO copy_duplicates(document_id, preferred_id) VALUES (?, ?)",
        [(d, after[d]) for d in sorted(changed) if after.get(d)],
    )
    # The preferred records index their copies' titles: theirs change too. A deleted
    # document is queued already.
    heads = {before.get(d) for d in changed} | {after.get(d) for d in changed}
    for doc_id in sorted((changed | {h for h in heads if h}) & (exists | set(after))):
        store.enqueue_for_search(doc_id)
    return changed


def _old_groups(store: Store, ids: set[str]) -> set[str]:
    """These documents and every member of the groups the table has them in."""
    marks = ",".join("?" * len(ids))
    heads = ids | {
        r[0]
        for r in store.conn.execute(
            f"SELECT preferred_id FROM copy_duplicates WHERE document_id IN ({marks})", sorted(ids)
        )
    }
    marks = ",".join("?" * len(heads))
    members = {
        r[0]
        for r in store.conn.execute(
            f"SELECT document_id FROM copy_duplicates WHERE preferred_id IN ({marks})",
            sorted(heads),
        )
    }
    return heads | members


def _standing(store: Store, ids: set[str]) -> dict[str, str | None]:
    """Each document's preferred record as the table says (None: it stands for itself)."""
    marks = ",".join("?" * len(ids))
    named = dict(
        store.conn.execute(
            f"SELECT document_id, preferred_id FROM copy_duplicates WHERE document_id IN ({marks})",
            sorted(ids),
        ).fetchall()
    )
    return {d: named.get(d) for d in ids}


def _existing(store: Store, ids: set[str]) -> set[str]:
    marks = ",".join("?" * len(ids))
    return {
        r[0]
        for r in store.conn.execute(f"SELECT id FROM documents WHERE id IN ({marks})", sorted(ids))
    }


def preferred_of(store: Store, doc_id: str) -> str | None:
    """The record that stands for this document's copy group, if another one does."""
    row = store.conn.execute(
        "SELECT preferred_id FROM copy_duplicates WHERE document_id = ?", (doc_id,)
    ).fetchone()
    return row[0] if row else None


def copies_of(store: Store, doc_id: str) -> list[dict[str, Any]]:
    """The document's copies: {id, relation, overlap, by_hand} from its side ("same",
    "contains", "contained_in"; ``by_hand``: a user linked them), the closest first."""
    rows = store.conn.execute(
        "SELECT other_id, relation, overlap, by_hand FROM copies WHERE document_id = ?"
        " UNION ALL SELECT document_id,"
        " CASE relation WHEN 'contains' THEN 'contained_in' ELSE relation END, overlap, by_hand"
        " FROM copies WHERE other_id = ?",
        (doc_id, doc_id),
    ).fetchall()
    out = [{"id": r[0], "relation": r[1], "overlap": r[2], "by_hand": bool(r[3])} for r in rows]
    return sorted(out, key=lambda c: (c["relation"] != "same", -c["overlap"], c["id"]))


def with_copies(store: Store, records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Records as exported: each with its ``copies`` ({id, relation, overlap})."""
    for record in records:
        record["copies"] = copies_of(store, record["id"])
        yield record


def copy_group(store: Store, doc_id: str) -> list[str]:
    """The documents that are the same document as this one (itself included), by
    "same" links followed from one to the next; sorted."""
    seen, todo = {doc_id}, deque([doc_id])
    while todo and len(seen) < MAX_GROUP:
        current = todo.popleft()
        for c in copies_of(store, current):
            if c["relation"] == "same" and c["id"] not in seen:
                seen.add(c["id"])
                todo.append(c["id"])
    return sorted(seen)


def evidence_of(store: Store, doc_id: str, other_id: str) -> dict[str, Any] | None:
    """The spans each of two linked documents shares with the other."""
    row = store.conn.execute(
        "SELECT evidence_json, overlap, shared FROM copies WHERE (document_id = ? AND"
        " other_id = ?) OR (document_id = ? AND other_id = ?)",
        (doc_id, other_id, other_id, doc_id),
    ).fetchone()
    if row is None:
        return None
    return {"spans": json.loads(row[0]), "overlap": row[1], "shared": row[2]}


__all__ = [
    "apply_verdict",
    "apply_verdicts",
    "copies_of",
    "copy_group",
    "drop_link",
    "evidence_of",
    "link_copies",
    "preferred",
    "preferred_of",
    "regroup",
    "relation",
    "was_grouped",
    "with_copies",
    "write_link",
    "write_translation",
]
