"""HTML built from offsets: every piece of untrusted text is escaped on its own, and only
our own tags (links to entities, repair marks, search highlights) are put around it."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
ENTITY_TYPES = ("person", "place", "organization")


@dataclass(frozen=True)
class EntityMark:
    """A stretch of text that names an entity."""

    start: int
    end: int
    entity_id: str
    entity_type: str
    name: str


@dataclass(frozen=True)
class RepairMark:
    """A stretch of text that an OCR repair changed."""

    start: int
    end: int
    original: str
    rule: str


def entity_url(entity_id: str) -> str:
    return "/entities/" + quote(entity_id, safe="")


def document_url(doc_id: str) -> str:
    return "/documents/" + quote(doc_id, safe="")


def highlight_snippet(snippet: str, spans: Iterable[Sequence[int]]) -> Markup:
    """The snippet escaped, with each highlight (offsets into the snippet) in <mark>."""
    out: list[str] = []
    pos = 0
    for span in sorted((int(s[0]), int(s[1])) for s in spans if len(s) >= 2):
        start, end = max(span[0], pos), min(span[1], len(snippet))
        if start >= end:
            continue
        out.append(str(escape(snippet[pos:start])))
        out.append(f"<mark>{escape(snippet[start:end])}</mark>")
        pos = end
    out.append(str(escape(snippet[pos:])))
    return Markup("".join(out))


def marks_from_record(
    record: dict[str, Any], lo: int = 0, hi: int | None = None
) -> tuple[list[EntityMark], list[RepairMark]]:
    """The body's entity mentions and OCR repairs (those over text[lo:hi] only, when a
    page shows one part), with offsets checked against the text."""
    size = len(record.get("text") or "")
    hi = size if hi is None else min(hi, size)
    entities: list[EntityMark] = []
    for entity in record.get("entities") or []:
        etype = entity.get("type") if entity.get("type") in ENTITY_TYPES else "other"
        for m in entity.get("mentions") or []:
            if m.get("field", "text") != "text" or not entity.get("id"):
                continue
            start, end = int(m.get("start", 0)), int(m.get("end", 0))
            if 0 <= start < end <= size and start < hi and end > lo:
                entities.append(EntityMark(start, end, entity["id"], etype, entity.get("name", "")))
    repairs = [
        RepairMark(
            int(r["start"]), int(r["end"]), str(r.get("original", "")), str(r.get("rule", ""))
        )
        for r in record.get("repairs") or []
        if r.get("field") == "text"
        and 0 <= int(r.get("start", -1)) < int(r.get("end", -1)) <= size
        and int(r["start"]) < hi
        and int(r["end"]) > lo
    ]
    entities.sort(key=lambda m: (m.start, -m.end))
    kept: list[EntityMark] = []
    for m in entities:  # mentions of one field never overlap; guard anyway
        if not kept or m.start >= kept[-1].end:
            kept.append(m)
    return kept, sorted(repairs, key=lambda r: r.start)


@dataclass(frozen=True)
class MarkIndex:
    """A document's marks, sorted and not overlapping, with their bounds for bisection:
    the marks over a paragraph are found without scanning the others."""

    entities: Sequence[EntityMark]
    repairs: Sequence[RepairMark]
    ent_starts: list[int]
    ent_ends: list[int]
    rep_starts: list[int]
    rep_ends: list[int]

    @classmethod
    def of(cls, entities: Sequence[EntityMark], repairs: Sequence[RepairMark]) -> MarkIndex:
        return cls(
            entities,
            repairs,
            [m.start for m in entities],
            [m.end for m in entities],
            [r.start for r in repairs],
            [r.end for r in repairs],
        )

    def over(self, lo: int, hi: int) -> tuple[Sequence[EntityMark], Sequence[RepairMark]]:
        """The marks that overlap text[lo:hi]."""
        ents = self.entities[bisect_right(self.ent_ends, lo) : bisect_left(self.ent_starts, hi)]
        reps = self.repairs[bisect_right(self.rep_ends, lo) : bisect_left(self.rep_starts, hi)]
        return ents, reps


def render_passage(
    text: str,
    lo: int,
    hi: int,
    entities: Sequence[EntityMark],
    repairs: Sequence[RepairMark],
    index: MarkIndex | None = None,
) -> Markup:
    """text[lo:hi] as <p> paragraphs, mentions linked, repairs marked; all text escaped.

    Each paragraph gets the marks over it by bisection in ``index`` (made once for a
    document that renders many passages): time grows with the text and its marks, not
    with their product."""
    paragraphs = _paragraph_spans(text, lo, hi)
    index = index or MarkIndex.of(entities, repairs)
    html: list[str] = []
    for p_start, p_end in paragraphs:
        ents, reps = index.over(p_start, p_end)
        html.append('<p dir="auto">')
        html.append(_render_run(text, p_start, p_end, ents, reps))
        html.append("</p>")
    return Markup("".join(html))


def _paragraph_spans(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = lo
    for m in PARAGRAPH_BREAK.finditer(text, lo, hi):
        if text[pos : m.start()].strip():
            spans.append((pos, m.start()))
        pos = m.end()
    if text[pos:hi].strip():
        spans.append((pos, hi))
    return spans


def _render_run(
    text: str, lo: int, hi: int, entities: Sequence[EntityMark], repairs: Sequence[RepairMark]
) -> str:
    """One paragraph: cut at every mark boundary, wrap each piece in the marks over it."""
    cuts = {lo, hi}
    for m in entities:
        cuts.update(x for x in (m.start, m.end) if lo < x < hi)
    for r in repairs:
        cuts.update(x for x in (r.start, r.end) if lo < x < hi)
    points = sorted(cuts)
    out: list[str] = []
    open_entity: EntityMark | None = None
    ei = 0
    for a, b in pairwise(points):
        while ei < len(entities) and entities[ei].end <= a:
            ei += 1
        entity = entities[ei] if ei < len(entities) and entities[ei].start <= a else None
        if entity is not open_entity:
            if open_entity is not None:
                out.append("</a>")
            if entity is not None:
                out.append(
                    f'<a class="ent ent-{entity.entity_type}" href="{escape(entity_url(entity.entity_id))}"'
                    f' title="{escape(entity.name)} ({entity.entity_type})">'
                )
            open_entity = entity
        piece = str(escape(text[a:b]))
        repair = next((r for r in repairs if r.start <= a and b <= r.end), None)
        if repair is not None:
            piece = (
                f'<ins class="repair" title="OCR repair: {escape(repair.original)} → '
                f'{escape(text[repair.start : repair.end])} ({escape(repair.rule)})">{piece}</ins>'
            )
        out.append(piece)
    if open_entity is not None:
        out.append("</a>")
    return "".join(out)


def excerpt(text: str, start: int, end: int, context: int = 80) -> Markup:
    """A stretch of a source around [start, end), the stretch itself in <mark>; runs of
    white space shown as one space, as a reader would see the source."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    a, b = max(0, start - context), min(len(text), end + context)
    before = (
        ("…" if a > 0 else "")
        + " ".join(text[a:start].split())
        + (" " if text[a:start][-1:].isspace() else "")
    )
    after = (
        (" " if text[end:b][:1].isspace() else "")
        + " ".join(text[end:b].split())
        + ("…" if b < len(text) else "")
    )
    return Markup(
        f"{escape(before.lstrip())}<mark>{escape(' '.join(text[start:end].split()))}"
        f"</mark>{escape(after.rstrip() if b == len(text) else after)}"
    )
