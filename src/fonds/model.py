"""The data that flows through the pipeline: read → clean → extract → resolve → store.

Every stage takes and returns these dataclasses; no loose dicts cross module lines.
Offsets are character offsets into a Python ``str`` (code points).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FORMATS = ("wilson-web", "wilson-markdown", "legacy-text", "tei", "html", "pdf", "text")

DOC_TYPES = (
    "telegram",
    "letter",
    "record of conversation",
    "report",
    "memorandum",
    "minutes",
    "resolution",
    "speech",
    "diary",
    "note",
    "other",
)


@dataclass(frozen=True)
class Span:
    """Where a value came from: offsets into a named text (``source`` or ``text``).

    ``locator`` names the place in a structured source instead (a TEI element,
    ``d190/head``) where character offsets would mean little.
    """

    start: int
    end: int
    field: str = "source"
    locator: str | None = None


@dataclass
class Field:
    """A raw labelled value a reader found, with the span of the source it came from."""

    value: str
    span: Span | None = None


@dataclass
class SourceFile:
    """One file as read from disk: its bytes' hash, decoded text and detected encoding."""

    path: str
    sha256: str
    text: str
    encoding: str
    size: int
    streamed: bool = False  # a large file: ``text`` holds only its head; readers that
    # stream (TEI) open ``path`` themselves, others get the whole text loaded on demand


@dataclass
class Draft:
    """What a reader extracts from one document of a source file, before interpretation.

    ``fields`` holds labelled raw values (``title``, ``date``, ``summary``, ``citation``,
    ``credits``, ``original_language``, ``classification``, ``record_id``, ``url``,
    ``translator``, ``sender``, ``recipients``, ``source_note``, ``doc_type`` ...), each
    with its evidence span in the source text. ``body`` is the document's own text and
    ``body_start`` maps it back, where the body is one stretch of the source.
    """

    format: str
    body: str
    fields: dict[str, Field] = field(default_factory=dict)
    notes: str | None = None
    part: str | None = None  # for multi-document files (TEI): the document's id in the file
    hints: dict[str, Any] = field(default_factory=dict)  # reader-specific structured facts

    def value(self, name: str) -> str | None:
        f = self.fields.get(name)
        return f.value if f and f.value.strip() else None


@dataclass
class Repair:
    """A certain OCR repair, recorded so the record knows what it changed."""

    field: str
    start: int
    end: int
    original: str
    replacement: str
    rule: str


@dataclass
class ArchivalRef:
    archive: str | None
    fond: str | None = None
    opis: str | None = None
    delo: str | None = None
    pages: str | None = None
    raw: str = ""
    kind: str = "russian"  # "russian" (fond/opis/delo), "decimal-file" (State Department), "other"
    papka: str | None = None
    file: str | None = None  # a decimal file number or other non-Russian reference

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EntityRef:
    id: str | None
    name: str
    inferred: bool = False
    confidence: float | None = None
    via: str | None = None  # e.g. the office or surface form the reference came from

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.inferred:
            out["inferred"] = True
            out["confidence"] = self.confidence
        if self.via:
            out["via"] = self.via
        return out


@dataclass(slots=True)
class Mention:
    start: int
    end: int
    text: str
    field: str = "text"
    method: str = "authority"  # authority | ner | alias | context | label
    confidence: float = 1.0

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": self.start, "end": self.end, "text": self.text}
        if self.field != "text":
            out["field"] = self.field
        return out


@dataclass
class EntityHit:
    """An entity as it occurs in one record."""

    id: str
    name: str
    type: str
    aliases: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    role: str | None = None  # participant role in a conversation, when the document gives one

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "aliases": self.aliases,
            "mentions": [m.as_json() for m in self.mentions],
        }
        if self.role:
            out["role"] = self.role
        return out


@dataclass
class Turn:
    speakers: list[EntityRef]
    start: int
    end: int

    def as_json(self) -> dict[str, Any]:
        return {
            "speakers": [{"id": s.id, "name": s.name} for s in self.speakers],
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Publication:
    """The published volume a document is printed in (a FRUS volume), from its TEI header.

    ``number`` is the document's number in the volume; ``edition`` and ``volume_id`` name
    the online edition and the volume's id in it (``frus1949v07p2``), when the header does.
    """

    title: str
    editors: tuple[str, ...] = ()
    publisher: str | None = None
    place: str | None = None
    year: str | None = None
    number: str | None = None
    edition: str | None = None
    volume_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "editors": list(self.editors)}


@dataclass
class Record:
    """The Digital Archive's record of one document (CONTRACT.md), plus its evidence."""

    id: str
    source: dict[str, Any]
    title: str
    text: str
    date: str | None = None
    doc_type: str | None = None
    summary: str | None = None
    citation: str | None = None
    archival_refs: list[ArchivalRef] = field(default_factory=list)
    translator: str | None = None
    original_language: str | None = None
    classification: str | None = None
    record_id: str | None = None
    url: str | None = None
    credits: str | None = None
    sender: EntityRef | None = None
    recipients: list[EntityRef] = field(default_factory=list)
    notes: str | None = None
    place: str | None = None  # where the document was written, as its dateline names it
    entities: list[EntityHit] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    # Extensions beyond the contract: where each field came from, and what was repaired.
    evidence: dict[str, Span] = field(default_factory=dict)
    repairs: list[Repair] = field(default_factory=list)
    date_start: str | None = None  # first day the date covers, for sorting and filters
    date_end: str | None = None  # last day
    published_in: Publication | None = None  # the printed volume, for documents read from one
    # Not part of the record's JSON: its body's sketch keys, made where it was read, for
    # finding its copies when it is written (fonds.copies).
    copy_keys: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "title": self.title,
            "date": self.date,
            "doc_type": self.doc_type,
            "summary": self.summary,
            "citation": self.citation,
            "archival_refs": [r.as_json() for r in self.archival_refs],
            "translator": self.translator,
            "original_language": self.original_language,
            "classification": self.classification,
            "record_id": self.record_id,
            "url": self.url,
            "credits": self.credits,
            "sender": self.sender.as_json() if self.sender else None,
            "recipients": [r.as_json() for r in self.recipients],
            "text": self.text,
            "notes": self.notes,
            "place": self.place,
            "entities": [e.as_json() for e in self.entities],
            "turns": [t.as_json() for t in self.turns],
            "evidence": {k: asdict(v) for k, v in self.evidence.items()},
            "repairs": [asdict(r) for r in self.repairs],
            "date_start": self.date_start,
            "date_end": self.date_end,
            "published_in": self.published_in.as_json() if self.published_in else None,
        }
