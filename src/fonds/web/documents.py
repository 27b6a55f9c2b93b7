"""The reader's view of one record: its text laid out, its fields with their evidence."""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from fonds.copies.links import copies_of, preferred_of
from fonds.entities.turns import LABEL
from fonds.errors import FondsError
from fonds.export.citations import published_in_note
from fonds.readers import load_source
from fonds.web.render import MarkIndex, excerpt, marks_from_record, render_passage

# (field, label) in the order of the record panel.
PANEL_FIELDS = (
    ("date", "Date"),
    ("doc_type", "Type"),
    ("sender", "From"),
    ("recipients", "To"),
    ("classification", "Classification"),
    ("original_language", "Original language"),
    ("translator", "Translator"),
    ("record_id", "Record number"),
    ("citation", "Citation"),
    ("published_in", "Printed in"),
    ("summary", "Summary"),
    ("credits", "Credits"),
    ("url", "URL"),
    ("notes", "Notes"),
)
SOURCE_CACHE_SIZE = 8


@dataclass
class Section:
    """A stretch of the body: narration, or one turn of a conversation."""

    html: Markup
    speakers: list[dict[str, Any]] = field(default_factory=list)
    label: str | None = None

    @property
    def label_differs(self) -> bool:
        """Whether the label as written says more than a part of the speaker's name."""
        if not self.label or len(self.speakers) != 1:
            return False
        name_words = {w.casefold() for w in str(self.speakers[0].get("name", "")).split()}
        return not all(w.casefold() in name_words for w in self.label.split())


@dataclass
class PanelRow:
    field: str
    label: str
    value: Any
    evidence: Markup | None = None
    locator: str | None = None
    repairs: list[dict[str, Any]] = field(default_factory=list)


def body_parts(record: dict[str, Any], size: int) -> list[tuple[int, int]]:
    """The body cut into parts of at most ``size`` characters, so that a page shows one
    part of a long document. Each cut falls at a turn's start, else at a paragraph
    break, else at a line end or a space, in the second half of the part; only a run of
    ``size`` characters without a space is cut where it stands."""
    text = record.get("text") or ""
    starts = sorted(int(t.get("start", -1)) for t in record.get("turns") or [])
    parts: list[tuple[int, int]] = []
    pos = 0
    while len(text) - pos > size:
        limit, least = pos + size, pos + size // 2
        i = bisect_right(starts, limit) - 1
        if i >= 0 and starts[i] > least:
            cut = starts[i]
        else:
            cut = max(text.rfind("\n\n", least, limit), text.rfind("\n", least, limit))
            if cut <= least:
                cut = text.rfind(" ", least, limit)
            cut = cut + 1 if cut > least else limit
        parts.append((pos, cut))
        pos = cut
    parts.append((pos, len(text)))
    return parts


def sections(record: dict[str, Any], lo: int = 0, hi: int | None = None) -> list[Section]:
    """The body (or its part text[lo:hi]) as narration and dialogue, every mention
    linked, all text escaped. A turn cut by the part's edge keeps its speakers."""
    text = record.get("text") or ""
    hi = len(text) if hi is None else min(hi, len(text))
    entities, repairs = marks_from_record(record, lo, hi)
    index = MarkIndex.of(entities, repairs)
    turns = sorted(
        (
            t
            for t in record.get("turns") or []
            if 0 <= int(t.get("start", -1)) < int(t.get("end", -1)) <= len(text)
            and int(t["start"]) < hi
            and int(t["end"]) > lo
        ),
        key=lambda t: t["start"],
    )
    out: list[Section] = []
    pos = lo
    for turn in turns:
        start, end = max(int(turn["start"]), lo), min(int(turn["end"]), hi)
        if start < pos:
            continue
        if text[pos:start].strip():
            out.append(Section(render_passage(text, pos, start, entities, repairs, index)))
        m = LABEL.match(text, start, end) if start == int(turn["start"]) else None
        body_start = m.end() if m else start
        label = m.group("label").strip() if m else None
        out.append(
            Section(
                render_passage(text, body_start, end, entities, repairs, index),
                [s for s in turn.get("speakers") or [] if s.get("name")],
                label,
            )
        )
        pos = end
    if text[pos:hi].strip() or not out:
        out.append(Section(render_passage(text, pos, hi, entities, repairs, index)))
    return out


class SourceTexts:
    """Source files read back to show evidence, only when their hash still matches."""

    def __init__(self) -> None:
        self._cache: OrderedDict[tuple[str, str], str | None] = OrderedDict()
        self._lock = threading.Lock()

    def text(self, source: dict[str, Any]) -> str | None:
        path, sha = str(source.get("path") or ""), str(source.get("sha256") or "")
        if not path or not sha:
            return None
        key = (path, sha)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        text = None
        try:
            if Path(path).is_file():
                loaded = load_source(Path(path))
                text = loaded.text if loaded.sha256 == sha else None
        except (FondsError, OSError):
            text = None
        with self._lock:
            self._cache[key] = text
            while len(self._cache) > SOURCE_CACHE_SIZE:
                self._cache.popitem(last=False)
        return text


def panel(record: dict[str, Any], source_text: str | None) -> list[PanelRow]:
    """Every field of the record with where it came from and what was repaired in it."""
    evidence = record.get("evidence") or {}
    repairs = record.get("repairs") or []
    rows = []
    for name, label in PANEL_FIELDS:
        value = record.get(name)
        if name == "published_in" and value:
            value = (published_in_note(record) or "").removeprefix("in ")
        if value in (None, "", []):
            continue
        row = PanelRow(name, label, value, repairs=[r for r in repairs if r.get("field") == name])
        span = evidence.get(name)
        if isinstance(span, dict):
            row.locator = span.get("locator")
            start, end = int(span.get("start") or 0), int(span.get("end") or 0)
            where = span.get("field", "source")
            base = source_text if where == "source" else record.get(where)
            if isinstance(base, str) and 0 <= start < end <= len(base):
                row.evidence = excerpt(base, start, end)
        rows.append(row)
    return rows


RELATION_LABELS = {
    "same": "the same document",
    "contains": "quotes it whole",
    "contained_in": "quoted whole in",
    "translation": "the same document in another language",
}


def copy_rows(store: Any, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The other copies of a record, for the reader: each with its title, date, how it
    relates, the overlap, and what it has that this one lacks."""
    rows = []
    stands_for = preferred_of(store, record["id"])
    for link in copies_of(store, record["id"]):
        try:
            other = store.get_record(link["id"])
        except FondsError:
            continue
        adds = []
        for name, label in (
            ("citation", "a citation"),
            ("translator", "its translator"),
            ("record_id", "a record number"),
            ("url", "the archive's page"),
            ("summary", "a summary"),
        ):
            if other.get(name) and not record.get(name):
                adds.append(label)
        if other.get("archival_refs") and not record.get("archival_refs"):
            adds.append("an archival reference")
        more = len((other.get("text") or "").split()) - len((record.get("text") or "").split())
        if more > 20:
            adds.append(f"{more} more words")
        rows.append(
            {
                "id": link["id"],
                "title": other.get("title"),
                "date": other.get("date"),
                "format": (other.get("source") or {}).get("format"),
                "relation": RELATION_LABELS.get(link["relation"], link["relation"]),
                "overlap": None
                if link["relation"] == "translation"
                else round(100 * link["overlap"]),
                "adds": adds,
                "by_hand": link["by_hand"],
                "preferred": link["id"] == stands_for,
            }
        )
    return rows


def entity_groups(record: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The record's entities by type, most mentioned first."""
    groups: dict[str, list[dict[str, Any]]] = {"person": [], "organization": [], "place": []}
    for e in record.get("entities") or []:
        groups.setdefault(e.get("type") or "other", []).append(
            {
                "id": e.get("id"),
                "name": e.get("name"),
                "mentions": len(e.get("mentions") or []),
                "role": e.get("role"),
                "aliases": e.get("aliases") or [],
            }
        )
    for values in groups.values():
        values.sort(key=lambda e: (-e["mentions"], e["name"] or ""))
    return {k: v for k, v in groups.items() if v}


def sharing_entities(store: Any, doc_id: str, limit: int) -> list[dict[str, Any]]:
    """Documents that name the most of this one's entities (when search has no similarity)."""
    rows = store.conn.execute(
        "SELECT d.id, d.title, d.date, d.doc_type, count(DISTINCT m2.entity_id) AS n"
        " FROM mentions m1 JOIN mentions m2 ON m2.entity_id = m1.entity_id"
        " AND m2.document_id != m1.document_id JOIN documents d ON d.id = m2.document_id"
        " WHERE m1.document_id = ? GROUP BY d.id ORDER BY n DESC, d.date_start, d.id LIMIT ?",
        (doc_id, limit),
    ).fetchall()
    return [
        {"id": r[0], "title": r[1], "date": r[2], "doc_type": r[3], "shared_entities": r[4]}
        for r in rows
    ]
