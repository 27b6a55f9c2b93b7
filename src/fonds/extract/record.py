"""Interpret a reader's draft into the archive's record: every field from what the
document says, with the evidence it came from, never invented."""

from __future__ import annotations

import hashlib
import re

from fonds.clean.dates import DateValue, find_dates, from_bounds, parse_date
from fonds.clean.ocr import repair_ocr
from fonds.copies.sketch import sketch_keys
from fonds.extract.citations import parse_archival_refs, repair_citation_ocr
from fonds.extract.headings import doc_type_from_body, parse_heading
from fonds.model import DOC_TYPES, ArchivalRef, Draft, EntityRef, Record, SourceFile, Span

CLASSIFICATION_LINE = re.compile(
    r"^(?P<c>(?:strictly|top|most)\s+secret(?:\s*[,—–-]?\s*special file)?|secret|confidential|"
    r"restricted|for official use only|eyes only|personal and confidential)\s*[.!]?\s*$",
    re.I,
)
TRANSLATED_BY = re.compile(
    r"\bTranslated (?:from (?:the )?\w+ )?by ([A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,4})"
)
URL = re.compile(r"https?://[^\s<>\"')\]]+")
RECORD_ID_IN_URL = re.compile(r"/document/(?:[\w-]+/)?(\d+)\b")
LANGUAGES = {
    "russian",
    "chinese",
    "korean",
    "english",
    "german",
    "japanese",
    "french",
    "polish",
    "czech",
    "hungarian",
    "romanian",
    "bulgarian",
    "mongolian",
    "vietnamese",
    "albanian",
    "spanish",
    "serbian",
    "slovak",
}
REF_LINE = re.compile(r"^(?:Printed from|Source|Archive|Archival source)\s*:", re.I)
SIGNATURE = re.compile(r"^(?:[A-Z]\.\s?){0,2}[A-Z][a-zA-Z'’-]+(?:\s[A-Z][a-zA-Z'’-]+)?\.?$")
TYPE_LABELS = {
    "telegram": "telegram",
    "cable": "telegram",
    "letter": "letter",
    "report": "report",
    "memorandum": "memorandum",
    "minutes": "minutes",
    "resolution": "resolution",
    "speech": "speech",
    "diary": "diary",
    "note": "note",
    "conversation": "record of conversation",
    "memorandum of conversation": "record of conversation",
    "record of conversation": "record of conversation",
}


def record_id_for(sha256: str, part: str | None) -> str:
    """Stable id: the same source content (and part of it) always gets the same id."""
    return hashlib.sha256(f"{sha256}:{part or ''}".encode()).hexdigest()[:16]


def build_record(source: SourceFile, draft: Draft, display_path: str) -> Record:
    """The record of one drafted document, entities not yet resolved."""
    evidence: dict[str, Span] = {}

    def take(name: str, as_field: str | None = None) -> str | None:
        f = draft.fields.get(name)
        if f is None or not f.value.strip():
            return None
        if f.span is not None:
            evidence[as_field or name] = f.span
        return f.value.strip()

    text, repairs = repair_ocr(draft.body, "text")
    raw_title = take("title") or ""
    title, title_repairs = repair_ocr(raw_title, "title")
    repairs += title_repairs
    summary = take("summary")
    if summary:
        summary, summary_repairs = repair_ocr(summary, "summary")
        repairs += summary_repairs
    citation = take("citation")
    if citation:
        citation, citation_repairs = repair_citation_ocr(citation)
        repairs += citation_repairs
    heading = parse_heading(title) if title else None

    date = _date_of(draft, title, citation, summary, text, take)
    refs = _archival_refs(draft, citation, text)
    url = take("url") or _first_url(citation)
    record_id = take("record_id") or _record_id_from_url(url)
    classification = take("classification") or _classification_in_body(text)
    if classification is None:
        classification = take("archive_classification", "classification")
    translator = take("translator") or _translator(citation)
    doc_type = _doc_type(draft, heading, text)

    sender = _sender(take("sender"), heading, text, doc_type)
    recipients = _recipients(take("recipients"), heading)

    return Record(
        id=record_id_for(source.sha256, draft.part),
        source={
            "path": display_path,
            "sha256": source.sha256,
            "format": draft.format,
            "encoding": source.encoding,
            **({"part": draft.part} if draft.part else {}),
        },
        title=title or "Untitled",
        text=text,
        date=date.iso if date else None,
        date_start=date.start if date else None,
        date_end=date.end if date else None,
        doc_type=doc_type,
        summary=summary,
        citation=citation,
        archival_refs=refs,
        translator=translator,
        original_language=_language(take("original_language")),
        classification=_tidy_classification(classification),
        record_id=record_id,
        url=url,
        credits=take("credits"),
        sender=sender,
        recipients=recipients,
        notes=draft.notes,
        place=take("place"),
        evidence=evidence,
        repairs=repairs,
        published_in=draft.hints.get("published_in"),
        copy_keys=sketch_keys(text),
    )


def _date_of(draft, title, citation, summary, text, take) -> DateValue | None:
    raw = take("date")
    if raw:
        if "/" in raw and "T" in raw:
            lo, hi = raw.split("/", 1)
            return from_bounds(lo, hi)
        if re.match(r"^\d{4}-\d{2}-\d{2}T", raw):
            raw = raw[:10]  # a dateline's date-time: the day as the document wrote it
        found = parse_date(raw)
        if found:
            return found
    if draft.hints.get("date_min") and draft.hints.get("date_max"):
        return from_bounds(draft.hints["date_min"], draft.hints["date_max"])
    # No date label: the metadata that describes the document, then its opening lines.
    for where in (title, citation, summary):
        if where:
            dates = find_dates(where)
            if dates:
                return max(dates, key=lambda d: ("/" in d.iso, len(d.iso)))
    opening = text[:400]
    dates = find_dates(opening)
    return dates[0] if dates else None


def _archival_refs(draft: Draft, citation: str | None, text: str) -> list[ArchivalRef]:
    sources = [
        citation,
        draft.value("source_note"),
        draft.value("archive_source"),
        draft.value("original_archive"),
    ]
    sources += [line for line in text.splitlines() if REF_LINE.match(line)]
    refs: list[ArchivalRef] = []
    seen: set[tuple] = set()
    for where in sources:
        if not where:
            continue
        for ref, _span in parse_archival_refs(where):
            key = (ref.archive, ref.fond, ref.opis, ref.delo, ref.file)
            if key in seen:
                continue
            seen.add(key)
            refs.append(ref)
    # A bare archive name adds nothing when a full reference to it exists.
    full = {r.archive for r in refs if r.fond or r.file}
    return [r for r in refs if r.fond or r.file or r.archive not in full]


def _first_url(text: str | None) -> str | None:
    m = URL.search(text or "")
    return m.group().rstrip(".,;") if m else None


def _record_id_from_url(url: str | None) -> str | None:
    m = RECORD_ID_IN_URL.search(url or "")
    return m.group(1) if m else None


def _classification_in_body(text: str) -> str | None:
    for block in text.split("\n\n")[:6]:
        m = CLASSIFICATION_LINE.match(block.strip())
        if m:
            return m.group("c")
    return None


def _tidy_classification(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().rstrip(".")
    return value[:1].upper() + value[1:].lower() if value.isupper() or value.islower() else value


def _translator(citation: str | None) -> str | None:
    m = TRANSLATED_BY.search(citation or "")
    return m.group(1).rstrip(".") if m else None


def _language(value: str | None) -> str | None:
    if not value:
        return None
    word = value.strip().split()[0].strip(".,;").casefold()
    return word.capitalize() if word in LANGUAGES else value.strip()


def _doc_type(draft: Draft, heading, text: str) -> str | None:
    if draft.value("doc_type") in DOC_TYPES:
        return draft.value("doc_type")
    if heading and heading.doc_type:
        return heading.doc_type
    label = (draft.value("type_label") or "").casefold().strip()
    if label in TYPE_LABELS:
        return TYPE_LABELS[label]
    source_note = draft.value("source_note") or ""
    m = re.search(r":\s*(Telegram|Letter|Memorandum|Airgram|Despatch|Report)\b", source_note)
    if m:
        return {"Airgram": "telegram", "Despatch": "report"}.get(m.group(1), m.group(1).lower())
    for where in (draft.value("citation"), draft.value("summary")):
        if where:
            h = parse_heading(where)
            if h.doc_type:
                return h.doc_type
    return doc_type_from_body(text)


def _signature(text: str) -> str | None:
    """A telegram's signature: a short name standing alone among its last lines."""
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    for block in reversed(blocks[-4:]):
        if SIGNATURE.match(block) and not CLASSIFICATION_LINE.match(block):
            return block.rstrip(".")
    return None


def _sender(named: str | None, heading, text: str, doc_type: str | None) -> EntityRef | None:
    """The author: named in the markup or heading, else an office, else a signature.

    A signature is only a candidate (``via="signature"``): the entity stage keeps it
    when it resolves to a person.
    """
    name = named or (heading.sender if heading else None)
    office = heading.sender_office if heading else None
    if name or office:
        return EntityRef(None, name or "", via=office)
    if doc_type in (None, "telegram", "letter", "report", "memorandum", "note"):
        signed = _signature(text)
        if signed:
            return EntityRef(None, signed, via="signature")
    return None


def _recipients(raw: str | None, heading) -> list[EntityRef]:
    names = [n.strip() for n in (raw or "").split(";") if n.strip()]
    if not names and heading:
        names = list(heading.recipients)
    out = [EntityRef(None, n) for n in names]
    if heading and not out:
        out = [EntityRef(None, "", via=office) for office in heading.recipient_offices]
    return out
