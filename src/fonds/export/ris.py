"""RIS, the tagged format every reference manager imports: Zotero, EndNote, Mendeley.

Mapped as Zotero's RIS import reads it (its ``RIS.js`` translator): an archival record is
a ``MANSCPT`` (Zotero's *manuscript*), ``DB`` its archive, ``AN`` and ``AV`` its place in
the archive (``AN`` is what Zotero files as *Loc. in Archive*, ``AV`` the RIS name for
it), ``DA`` its date to the precision the record knows ("1950/04//" for April 1950),
``A4`` its translator, ``M3`` its type, ``KW`` the people, places and organizations it
names, ``UR`` its page. A document printed in a volume (FRUS) names the volume too:
``T2`` its title, ``A2`` its editors, ``PB`` and ``CY`` its imprint. A file holds one
entry after another, each closed by ``ER``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from fonds.export.citations import author_of, date_parts, edition_holding, published_in_note

# Zotero keeps a tag per keyword: the entities most mentioned come first, up to this many.
MAX_KEYWORDS = 25


def ris_date(value: str | None) -> str | None:
    """A record's date as RIS writes one: year/month/day/, empty parts left empty; a
    range by its first day (RIS has one date: the range stays in the note)."""
    if not value:
        return None
    parts = date_parts(value.split("/", 1)[0])
    if not parts:
        return None
    year, month, day = [*parts, 0, 0][:3]
    return (
        f"{year:04d}/{month:02d}/{day:02d}/"
        if day
        else (f"{year:04d}/{month:02d}//" if month else f"{year:04d}///")
    )


def ris_entry(record: dict[str, Any], page_url: str | None = None) -> str:
    """One record as a RIS entry; ``page_url`` is its page on this fonds server."""
    lines: list[tuple[str, str | None]] = [("TY", "MANSCPT"), ("TI", record.get("title"))]
    lines.append(("AU", author_of(record)))
    date = record.get("date")
    day = ris_date(date)
    lines.append(("DA", day))
    lines.append(("PY", day[:4] if day else None))
    lines.append(("M3", record.get("doc_type")))
    lines.append(("AB", record.get("summary")))
    refs = [r for r in record.get("archival_refs") or [] if r.get("raw")]
    held = edition_holding(record)
    if held:  # a printed document without an archive of its own
        lines.append(("DB", held[0]))
        lines.append(("AN", held[1]))
        lines.append(("AV", held[1]))
    elif refs:
        first = refs[0]
        lines.append(("DB", first.get("archive")))
        lines.append(("AN", first["raw"]))
        lines.append(("AV", first["raw"]))
    elif record.get("citation"):
        lines.append(("AV", record["citation"]))
    pub = record.get("published_in") or {}
    lines.append(("T2", pub.get("title")))  # the printed volume
    lines.extend(("A2", name) for name in pub.get("editors") or [])  # its editors
    lines.append(("PB", pub.get("publisher")))
    lines.append(("CY", pub.get("place")))
    lines.append(("A4", record.get("translator")))
    lines.append(("LA", record.get("original_language")))
    lines.append(("ID", record.get("record_id") or record.get("id")))
    for entity in keywords_of(record):
        lines.append(("KW", entity))
    lines.append(("UR", record.get("url") or page_url))
    if record.get("url") and page_url:
        lines.append(("L2", page_url))
    notes = [
        record.get("citation"),
        date and "/" in date and f"Date: {date}",
        record.get("classification") and f"Classification: {record['classification']}",
        *(f"Source: {r['raw']}" for r in (refs if held else [])),
        *(f"Also: {r['raw']}" for r in ([] if held else refs[1:])),
        published_in_note(record) and f"Printed {published_in_note(record)}",
    ]
    for note in notes:
        lines.append(("N1", note or None))
    out = [f"{tag}  - {_one_line(value)}" for tag, value in lines if value and value.strip()]
    return "\n".join([*out, "ER  - "]) + "\n"


def write_ris(records: Iterable[dict[str, Any]], fh: IO[str], base_url: str | None = None) -> int:
    """Every record as RIS, one entry after another; how many were written."""
    n = 0
    for record in records:
        page = f"{base_url.rstrip('/')}/documents/{record['id']}" if base_url else None
        fh.write(ris_entry(record, page) + "\n")
        n += 1
    return n


def keywords_of(record: dict[str, Any]) -> list[str]:
    """The names of the entities a record mentions, the most mentioned first."""
    entities = sorted(
        record.get("entities") or [], key=lambda e: (-len(e.get("mentions") or []), e["name"])
    )
    return [e["name"] for e in entities[:MAX_KEYWORDS] if e.get("name")]


def _one_line(value: str) -> str:
    """RIS is a line a tag: a value's line breaks and runs of spaces become one space."""
    return " ".join(value.split())
