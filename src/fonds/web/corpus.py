"""Views over the whole corpus: documents by date, who wrote to and met whom, places."""

from __future__ import annotations

import calendar
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from fonds.errors import QuerySyntaxError
from fonds.store.sqlite import COUNTED, Store

EDGE_DOCUMENTS = 20  # documents listed per link; its weight counts them all
# A date bound as the API takes it: YYYY, YYYY-MM or YYYY-MM-DD (the empty string: none).
DATE_PATTERN = r"^(\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?)?$"
DATE_BOUND = re.compile(DATE_PATTERN)


# -- timeline --------------------------------------------------------------------------


@dataclass
class Timeline:
    start: str | None
    end: str | None
    person: str | None
    granularity: str
    buckets: list[tuple[str, int]]  # documents dated within one bucket
    total: int
    undated: int
    # Documents dated by a span wider than a bucket ("1949-01-03/1949-12-30" by month):
    # (first bucket, last bucket, count), kept out of the buckets so that they do not
    # pile up in their first one.
    spans: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def spanning(self) -> int:
        return sum(n for _, _, n in self.spans)

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.start,
            "to": self.end,
            "person": self.person,
            "granularity": self.granularity,
            "total": self.total,
            "undated": self.undated,
            "buckets": [{"key": k, "count": n} for k, n in self.buckets],
            "spans": [{"from": a, "to": b, "count": n} for a, b, n in self.spans],
        }


def check_bound(value: str | None, name: str) -> str | None:
    if not value:
        return None
    if not DATE_BOUND.match(value):
        raise QuerySyntaxError(f"{name}={value!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
    return value


def _where(start: str | None, end: str | None, person: str | None) -> tuple[str, list[Any]]:
    where, args = ["d.date_start IS NOT NULL", f"d.id {COUNTED}"], []
    if start:
        where.append("d.date_start >= ?")
        args.append(start)
    if end:
        where.append("d.date_start <= ?")
        args.append(end + "~")  # "1950" bounds every day of 1950
    if person:
        where.append("d.id IN (SELECT document_id FROM mentions WHERE entity_id = ?)")
        args.append(person)
    return " AND ".join(where), args


def timeline(store: Store, start: str | None, end: str | None, person: str | None) -> Timeline:
    start, end = check_bound(start, "from"), check_bound(end, "to")
    cond, args = _where(start, end, person)
    lo, hi, total = store.conn.execute(
        f"SELECT min(d.date_start), max(d.date_start), count(*) FROM documents d WHERE {cond}",
        args,
    ).fetchone()
    undated = (
        0
        if start or end
        else store.conn.execute(
            f"SELECT count(*) FROM documents WHERE date_start IS NULL AND id {COUNTED}"
        ).fetchone()[0]
    )
    first = _day(start, False) if start else _day(lo, False)
    last = _day(end, True) if end else _day(hi, True)
    if first is None or last is None or last < first:
        return Timeline(start, end, person, "year", [], int(total or 0), undated)
    span = (last - first).days
    granularity, width = (
        ("year", 4) if span > 6 * 366 else ("month", 7) if span > 92 else ("day", 10)
    )
    rows = store.conn.execute(
        f"SELECT substr(d.date_start, 1, {width}) AS k,"
        f" CASE WHEN substr(d.date_start, 1, {width}) >= coalesce(substr(d.date_end, 1, {width}),"
        f" '') THEN substr(d.date_start, 1, {width}) ELSE substr(d.date_end, 1, {width}) END"
        f" AS e, count(*) FROM documents d WHERE {cond} GROUP BY 1, 2",
        args,
    ).fetchall()
    keys = _keys(first, last, granularity)
    within: dict[str, int] = {}
    spans: list[tuple[str, str, int]] = []
    for key, end_key, n in rows:
        if end_key == key:
            within[key] = within.get(key, 0) + int(n)
        else:  # drawn across the buckets it spans that are shown
            spans.append((key, min(end_key, keys[-1]), int(n)))
    buckets = [(k, within.get(k, 0)) for k in keys]
    return Timeline(
        start, end, person, granularity, buckets, int(total or 0), undated, sorted(spans)
    )


def timeline_documents(
    store: Store, start: str | None, end: str | None, person: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    cond, args = _where(check_bound(start, "from"), check_bound(end, "to"), person)
    rows = store.conn.execute(
        f"SELECT d.id, d.title, d.date, d.doc_type FROM documents d WHERE {cond}"
        " ORDER BY d.date_start, d.id LIMIT ? OFFSET ?",
        [*args, limit, offset],
    ).fetchall()
    return [{"id": r[0], "title": r[1], "date": r[2], "doc_type": r[3]} for r in rows]


SUBTITLE_CHARS = 90  # of a document's opening words, under a title it shares in a list


def with_subtitles(store: Store, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give the documents of a list that share their title with another one there (three
    FRUS "Editorial Note"s of one volume) a ``subtitle``: their opening words."""
    seen: dict[str, int] = {}
    for d in docs:
        key = (d.get("title") or "").casefold()
        seen[key] = seen.get(key, 0) + 1
    shared = [d for d in docs if seen[(d.get("title") or "").casefold()] > 1 and d.get("id")]
    if not shared:
        return docs
    marks = ",".join("?" * len(shared))
    openings = dict(
        store.conn.execute(
            f"SELECT id, substr(text, 1, {SUBTITLE_CHARS * 3}) FROM documents WHERE id IN ({marks})",
            [d["id"] for d in shared],
        ).fetchall()
    )
    for d in shared:
        words = " ".join(str(openings.get(d["id"]) or "").split())
        if len(words) > SUBTITLE_CHARS:
            words = words[:SUBTITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
        if words:
            d["subtitle"] = words
    return docs


def _day(value: str | None, last: bool) -> date | None:
    if not value:
        return None
    parts = [int(p) for p in value[:10].split("-") if p.isdigit()]
    try:
        if len(parts) == 1:
            return date(parts[0], 12, 31) if last else date(parts[0], 1, 1)
        if len(parts) == 2:
            day = calendar.monthrange(parts[0], parts[1])[1] if last else 1
            return date(parts[0], parts[1], day)
        return date(parts[0], parts[1], parts[2])
    except ValueError:
        return None


def _keys(first: date, last: date, granularity: str) -> list[str]:
    if granularity == "year":
        return [f"{y:04d}" for y in range(first.year, last.year + 1)]
    if granularity == "month":
        out, y, m = [], first.year, first.month
        while (y, m) <= (last.year, last.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


# -- network ---------------------------------------------------------------------------


@dataclass
class Edge:
    source: str
    target: str
    kind: str  # "wrote" (sender → recipient) or "met" (in one conversation)
    documents: list[dict[str, Any]] = field(default_factory=list)  # the first few, by date
    doc_ids: set[str] = field(default_factory=set)

    @property
    def weight(self) -> int:
        return len(self.doc_ids)

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "kind": self.kind,
            "weight": self.weight,
            "documents": self.documents,
        }


@dataclass
class Network:
    nodes: dict[str, dict[str, Any]]
    edges: list[Edge]
    total_nodes: int

    def as_json(self) -> dict[str, Any]:
        return {
            "nodes": list(self.nodes.values()),
            "edges": [e.as_json() for e in self.edges],
            "total_nodes": self.total_nodes,
            "truncated": self.total_nodes > len(self.nodes),
        }


@dataclass
class Links:
    """Every link of one kind in the archive, with the names the documents give."""

    edges: list[Edge]
    names: dict[str, str]


def links(store: Store, kind: str) -> Links:
    """All "wrote" links (sender → each recipient) or all "met" links (people in one
    conversation: its speakers and listed participants). A document kept in several
    copies counts once: its copy group's preferred record stands for it."""
    edges: dict[tuple[str, str], Edge] = {}
    names: dict[str, str] = {}

    def add(a: str, b: str, doc: dict[str, Any]) -> None:
        if a == b:
            return
        if kind == "met":
            a, b = sorted((a, b))
        edge = edges.get((a, b))
        if edge is None:
            edge = edges[(a, b)] = Edge(a, b, kind)
        if doc["id"] not in edge.doc_ids:
            edge.doc_ids.add(doc["id"])
            if len(edge.documents) < EDGE_DOCUMENTS:
                edge.documents.append(doc)

    if kind == "wrote":
        for r in store.conn.execute(
            "SELECT d.id, d.title, d.date, d.sender_id, d.sender_name, r.entity_id, r.name"
            " FROM documents d JOIN recipients r ON r.document_id = d.id"
            f" WHERE d.sender_id IS NOT NULL AND r.entity_id IS NOT NULL AND d.id {COUNTED}"
            " ORDER BY d.date_start, d.id, r.n"
        ):
            names.setdefault(r[3], r[4])
            names.setdefault(r[5], r[6])
            add(r[3], r[5], {"id": r[0], "title": r[1], "date": r[2]})
        return Links(list(edges.values()), names)
    present: dict[str, set[str]] = defaultdict(set)
    docs: dict[str, dict[str, Any]] = {}
    for r in store.conn.execute(
        "SELECT d.id, d.title, d.date, s.value FROM turns t JOIN documents d"
        " ON d.id = t.document_id, json_each(t.speaker_ids) s WHERE s.value IS NOT NULL"
        f" AND d.id {COUNTED}"
        " UNION SELECT d.id, d.title, d.date, json_extract(e.value, '$.id') FROM documents d,"
        " json_each(d.record_json, '$.entities') e WHERE d.doc_type = 'record of conversation'"
        " AND json_extract(e.value, '$.type') = 'person'"
        " AND json_extract(e.value, '$.role') LIKE 'participant%'"
        f" AND d.id {COUNTED}"
    ):
        docs.setdefault(r[0], {"id": r[0], "title": r[1], "date": r[2]})
        present[r[0]].add(r[3])
    for doc_id in sorted(present, key=lambda d: (docs[d]["date"] or "", d)):
        ordered = sorted(present[doc_id])
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                add(a, b, docs[doc_id])
    return Links(list(edges.values()), names)


def network(store: Store, found: list[Links], person: str | None, max_nodes: int) -> Network:
    """The busiest ``max_nodes`` entities of some links and the links among them; with
    ``person``, only that entity's own links."""
    chosen = [e for group in found for e in group.edges]
    if person:
        chosen = [e for e in chosen if person in (e.source, e.target)]
    weight: dict[str, int] = defaultdict(int)
    for e in chosen:
        weight[e.source] += e.weight
        weight[e.target] += e.weight
    ranked = sorted(weight, key=lambda n: (-weight[n], n))
    keep = set(ranked[:max_nodes])
    if person and person in weight:
        keep.add(person)
    chosen = [e for e in chosen if e.source in keep and e.target in keep]
    info = _entity_info(store, keep)
    names = {k: v for group in found for k, v in group.names.items()}
    nodes = {
        n: {
            "id": n,
            "name": info.get(n, {}).get("name") or names.get(n) or n,
            "type": info.get(n, {}).get("type", "person"),
            "weight": weight[n],
        }
        for n in ranked
        if n in keep
    }
    return Network(nodes, chosen, len(weight))


def _entity_info(store: Store, ids: set[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    id_list = sorted(ids)
    for i in range(0, len(id_list), 500):
        chunk = id_list[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for r in store.conn.execute(
            f"SELECT id, name, type FROM entities WHERE id IN ({marks})", chunk
        ):
            out[r[0]] = {"name": r[1], "type": r[2]}
    return out


# -- places ----------------------------------------------------------------------------


def places(
    store: Store, counts: dict[str, int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Places with coordinates and places without them, each named in some document
    (``counts``: documents per entity id), the most documented first."""
    located, unlocated = [], []
    for r in store.conn.execute(
        "SELECT id, name, data_json FROM entities WHERE type = 'place' AND merged_into IS NULL"
    ):
        n = counts.get(r[0], 0)
        if not n:
            continue
        try:
            data = json.loads(r[2] or "{}")
            lat, lon = float(data["lat"]), float(data["lon"])
        except (ValueError, KeyError, TypeError):
            unlocated.append({"id": r[0], "name": r[1], "documents": n})
            continue
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            located.append(
                {
                    "id": r[0],
                    "name": r[1],
                    "lat": lat,
                    "lon": lon,
                    "kind": data.get("kind"),
                    "documents": n,
                }
            )
    return sorted(located, key=_by_documents), sorted(unlocated, key=_by_documents)


def _by_documents(place: dict[str, Any]) -> tuple[int, str]:
    return -place["documents"], place["name"]
