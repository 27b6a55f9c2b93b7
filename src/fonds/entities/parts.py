"""A big body's entities, found part by part (a whole volume read as one text).

A body of more than ``IN_PARTS_OVER`` characters is cut into parts of about
``PART_CHARS``, at a paragraph's end, else a sentence's, else a space. Each part is
annotated as a record of its own (the first one also with the record's title, summary,
notes, dateline and parties), by whatever annotates records: the entity stage in this
process, or a worker's (``fonds.parallel``). The parts are then joined: mentions and
turns are moved to the body's offsets, hits of one entity become one, and every
mention goes to the mentions table as its part is joined, so a volume's hundreds of
thousands of mentions are never held at once (the record keeps them as rows only,
``fonds.store.sqlite.ROWS_MARK``).

What changes for such a text: the context rules (a bare surname resolved to the person
of the document who bears it) work within a part, not across the whole volume. Both
ways of annotating it, in one process or on workers, cut it the same way, so they give
the same entities.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from fonds.model import EntityHit, Record, Turn

PART_CHARS = 1_000_000
IN_PARTS_OVER = 2 * PART_CHARS
# A sentence's end: a word of small letters (not "Mr." nor "U.S."), its stop, a space.
SENTENCE_END = re.compile(r"[a-z]{3}[.!?][\"')\]]?\s+")

# A row of the mentions table less its document id: entity, field, start, end, text,
# method, confidence.
MentionRow = tuple[str, str, int, int, str, str, float]


def in_parts(record: Record) -> bool:
    """Whether a record's body is annotated in parts."""
    return len(record.text) > IN_PARTS_OVER


def part_bounds(text: str, size: int | None = None) -> list[tuple[int, int]]:
    """Where a body is cut: parts of at most ``size`` characters (``PART_CHARS``), each
    ending at the last paragraph end of its second half, else the last sentence end,
    else the last space (a word is never cut unless a whole half has no space)."""
    size = size or PART_CHARS
    bounds: list[tuple[int, int]] = []
    start = 0
    while len(text) - start > size:
        low, high = start + size // 2, start + size
        cut = text.rfind("\n", low, high) + 1
        if not cut:
            ends = [m.end() for m in SENTENCE_END.finditer(text, low, high)]
            cut = ends[-1] if ends else text.rfind(" ", low, high) + 1
        if not cut:
            cut = high
        bounds.append((start, cut))
        start = cut
    bounds.append((start, len(text)))
    return bounds


def part_record(record: Record, start: int, end: int) -> Record:
    """A part of a record's body as a record to annotate. The first part keeps what is
    annotated once for the whole record (title, summary, notes, dateline, sender and
    recipients); later parts carry only their text, and the date the rules read."""
    part = replace(record, text=record.text[start:end], entities=[], turns=[], copy_keys=[])
    if start:
        part = replace(
            part, title="", summary=None, notes=None, place=None, sender=None, recipients=[]
        )
    return part


def annotated_parts(
    record: Record, annotate: Callable[[list[Record]], None]
) -> Iterator[tuple[int, Record]]:
    """A record's parts, each annotated here as it is reached, with its offset."""
    for start, end in part_bounds(record.text):
        part = part_record(record, start, end)
        annotate([part])
        yield start, part


@dataclass
class JoinedParts:
    """A big record's entities and turns, joined part by part (in the body's order)."""

    hits: dict[str, EntityHit] = field(default_factory=dict)  # no mentions: those are rows
    first_in_text: dict[str, int] = field(default_factory=dict)
    turns: list[Turn] = field(default_factory=list)
    head: Record | None = None  # the first part: its sender and recipients are the record's

    def add(self, part: Record, offset: int) -> list[MentionRow]:
        """Join an annotated part at ``offset`` in the body; its mentions, as rows."""
        if self.head is None:
            self.head = part
        rows: list[MentionRow] = []
        for hit in part.entities:
            joined = self.hits.get(hit.id)
            if joined is None:
                joined = self.hits[hit.id] = EntityHit(hit.id, hit.name, hit.type, [], [])
            joined.role = joined.role or hit.role
            for alias in hit.aliases:
                if alias != joined.name and alias not in joined.aliases:
                    joined.aliases.append(alias)
            for m in hit.mentions:
                shift = offset if m.field == "text" else 0
                rows.append(
                    (hit.id, m.field, m.start + shift, m.end + shift, m.text, m.method,
                     m.confidence)
                )  # fmt: skip
                if m.field == "text" and hit.id not in self.first_in_text:
                    self.first_in_text[hit.id] = m.start + shift
        self.turns += [replace(t, start=t.start + offset, end=t.end + offset) for t in part.turns]
        return rows

    def finish(self, record: Record) -> None:
        """Give the record what its parts found: its entities (in the order the entity
        stage gives them, without mentions), turns, sender and recipients."""
        never = 10**18
        record.entities = sorted(
            self.hits.values(), key=lambda h: (self.first_in_text.get(h.id, never), h.id)
        )
        record.turns = self.turns
        if self.head is not None:
            record.sender, record.recipients = self.head.sender, self.head.recipients
