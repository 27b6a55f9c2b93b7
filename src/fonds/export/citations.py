"""Citations of one record: Chicago (note and bibliography), BibTeX and CSL-JSON.

Written by hand from the record so they work offline and need no style files; the
CSL-JSON uses CSL's archive variables (``archive``, ``archive_location``), which any
CSL processor (citeproc-py, citeproc-js, Zotero) turns into the style a user picks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fonds.clean.dates import MONTH_NAMES as MONTHS

# Where a Digital Archive citation says the document is held: "..., Wilson Center Digital
# Archive, Archive of the President of the Russian Federation (APRF), fond 45, ...".
HELD_BY = re.compile(r"(?:^|,\s*)(?P<archive>[^,]*Digital Archive)\s*(?:,\s*(?P<location>.*))?$")
BIBTEX_SPECIAL = re.compile(r"([\\{}%&$#_^~])")
BIBTEX_REPLACEMENTS = {"\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"}


@dataclass(frozen=True)
class Citations:
    chicago_note: str
    chicago_bibliography: str
    bibtex: str
    csl_json: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "chicago_note": self.chicago_note,
            "chicago_bibliography": self.chicago_bibliography,
            "bibtex": self.bibtex,
            "csl_json": self.csl_json,
        }


def cite(record: dict[str, Any]) -> Citations:
    """Every citation format of a record (the contract's JSON object)."""
    return Citations(
        chicago_note(record), chicago_bibliography(record), bibtex(record), csl_json(record)
    )


# -- pieces ----------------------------------------------------------------------------


def date_parts(value: str) -> list[int]:
    """The numbers of an ISO date value: "1950-04" → [1950, 4]."""
    return [int(p) for p in value.split("-") if p.isdigit()][:3]


def human_date(value: str | None) -> str | None:
    """'1952-09-04' → 'September 4, 1952'; intervals as 'March 30–April 25, 1950'."""
    if not value:
        return None
    if "/" in value:
        a, b = (date_parts(v) for v in value.split("/", 1))
        if len(a) == 3 and len(b) == 3 and a[0] == b[0]:
            if a[1] == b[1]:
                return f"{MONTHS[a[1] - 1]} {a[2]}–{b[2]}, {a[0]}"
            return f"{MONTHS[a[1] - 1]} {a[2]}–{MONTHS[b[1] - 1]} {b[2]}, {a[0]}"
        return "–".join(filter(None, (human_date(v) for v in value.split("/", 1))))
    p = date_parts(value)
    if len(p) == 3 and 1 <= p[1] <= 12:
        return f"{MONTHS[p[1] - 1]} {p[2]}, {p[0]}"
    if len(p) == 2 and 1 <= p[1] <= 12:
        return f"{MONTHS[p[1] - 1]} {p[0]}"
    return str(p[0]) if p else value


def author_of(record: dict[str, Any]) -> str | None:
    """The sender as the author, when the archive names one (not inferred)."""
    sender = record.get("sender") or {}
    if sender.get("name") and not sender.get("inferred"):
        return str(sender["name"])
    return None


def _location(record: dict[str, Any]) -> str | None:
    refs = [r.get("raw") for r in record.get("archival_refs") or [] if r.get("raw")]
    if refs:
        return "; ".join(refs)
    return record.get("citation")


def _names(names: list[str]) -> str:
    """Names joined as English joins them: "A", "A and B", "A, B, and C"."""
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]


def _printed_in(pub: dict[str, Any]) -> tuple[str, str, str | None]:
    """The volume's title, its editors ("ed. A and B" style left to the caller) and its
    imprint ("Washington: GPO, 1976")."""
    imprint = _join([_join([pub.get("place"), pub.get("publisher")], ": "), pub.get("year")], ", ")
    return pub["title"], _names(list(pub.get("editors") or [])), imprint or None


def published_in_note(record: dict[str, Any]) -> str | None:
    """A printed document's volume, as a note cites it: "in TITLE, ed. A and B (Place:
    Publisher, Year), doc. N"."""
    pub = record.get("published_in")
    if not pub or not pub.get("title"):
        return None
    title, editors, imprint = _printed_in(pub)
    head = _join([f"in {title}", editors and f"ed. {editors}"], ", ")
    if imprint:
        head += f" ({imprint})"
    return _join([head, pub.get("number") and f"doc. {pub['number']}"], ", ")


def published_in_entry(record: dict[str, Any]) -> str | None:
    """A printed document's volume, as a bibliography lists it: "In TITLE, edited by A and
    B. Place: Publisher, Year. Document N."."""
    pub = record.get("published_in")
    if not pub or not pub.get("title"):
        return None
    title, editors, imprint = _printed_in(pub)
    pieces = [
        _sentence(_join([f"In {title}", editors and f"edited by {editors}"], ", ")),
        imprint and _sentence(imprint),
        pub.get("number") and _sentence(f"Document {pub['number']}"),
    ]
    return _join(pieces, " ")


def edition_location(pub: dict[str, Any]) -> str | None:
    """Where a printed document is in its online edition: "frus1949v07p2, document 190"."""
    if not pub.get("volume_id"):
        return None
    return _join([pub["volume_id"], pub.get("number") and f"document {pub['number']}"], ", ")


def edition_holding(record: dict[str, Any]) -> tuple[str, str | None] | None:
    """(edition, location) when a printed document is held by the online edition of its
    volume: it has no archive of its own (an editorial note; a lot file that names none)."""
    pub = record.get("published_in") or {}
    if not pub.get("edition"):
        return None
    refs = [r for r in record.get("archival_refs") or [] if r.get("raw")]
    if refs and refs[0].get("archive"):
        return None
    return pub["edition"], edition_location(pub)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _join(pieces: list[str | None], sep: str) -> str:
    return sep.join(p.strip() for p in pieces if p and p.strip())


# -- Chicago ---------------------------------------------------------------------------


def chicago_note(record: dict[str, Any]) -> str:
    """A first full note, Chicago Manual of Style (archival document)."""
    title = f"“{record.get('title') or 'Untitled document'},”"
    pieces = [
        author_of(record) and author_of(record) + ",",
        title,
        human_date(record.get("date")) or "undated",
    ]
    head = " ".join(p for p in pieces[:2] if p) + " " + pieces[2]
    tail = [
        published_in_note(record),
        _location(record),
        record.get("translator") and f"trans. {record['translator']}",
        record.get("record_id") and f"record {record['record_id']}",
        record.get("url"),
    ]
    return _sentence(_join([head, *tail], ", "))


def chicago_bibliography(record: dict[str, Any]) -> str:
    """A bibliography entry, Chicago Manual of Style."""
    pieces = [
        author_of(record) and _sentence(author_of(record) or ""),
        f"“{_sentence(record.get('title') or 'Untitled document')}”",
        _sentence(human_date(record.get("date")) or "Undated"),
        published_in_entry(record),
        _location(record) and _sentence(_location(record) or ""),
        record.get("translator") and _sentence(f"Translated by {record['translator']}"),
        record.get("record_id") and _sentence(f"Record {record['record_id']}"),
        record.get("url") and _sentence(record["url"]),
    ]
    return _join(pieces, " ")


# -- BibTeX ----------------------------------------------------------------------------


def bibtex_escape(text: str) -> str:
    """Text safe inside a braced BibTeX field: every special character escaped."""
    text = " ".join(text.split())
    return BIBTEX_SPECIAL.sub(
        lambda m: BIBTEX_REPLACEMENTS.get(m.group(1), "\\" + m.group(1)), text
    )


def bibtex(record: dict[str, Any]) -> str:
    """A biblatex ``@misc`` entry (BibTeX reads it too); the key is the record id."""
    key = "fonds-" + re.sub(r"[^A-Za-z0-9_-]", "", str(record.get("id", "")))
    date = record.get("date") or ""
    p = date_parts(date.split("/", 1)[0]) if date else []
    fields: list[tuple[str, str | None]] = [
        ("title", record.get("title")),
        ("author", author_of(record) and "{" + bibtex_escape(author_of(record) or "") + "}"),
        ("date", date or None),
        ("year", str(p[0]) if p else None),
        ("month", str(p[1]) if len(p) > 1 else None),
        ("type", record.get("doc_type")),
        ("translator", record.get("translator")),
        ("howpublished", _location(record)),
        ("language", record.get("original_language")),
        ("number", record.get("record_id")),
        ("url", record.get("url")),
        ("note", record.get("classification") and f"Classification: {record['classification']}"),
    ]
    lines = []
    for name, value in fields:
        if not value:
            continue
        if name == "author" or name == "url":
            rendered = value if name == "author" else value.replace("}", "%7D").replace("{", "%7B")
        else:
            rendered = bibtex_escape(value)
        lines.append(f"  {name} = {{{rendered}}}")
    return f"@misc{{{key},\n" + ",\n".join(lines) + "\n}"


# -- CSL-JSON --------------------------------------------------------------------------


def _date_parts(value: str | None) -> dict[str, Any] | None:
    if not value:
        return None
    ends = [date_parts(v) for v in value.split("/", 1)]
    ends = [e for e in ends if e]
    return {"date-parts": ends, "raw": value} if ends else None


def csl_json(record: dict[str, Any]) -> dict[str, Any]:
    """One CSL-JSON item (type ``manuscript``) with archive and archive location."""
    refs = [r for r in record.get("archival_refs") or [] if r.get("raw")]
    item: dict[str, Any] = {
        "id": record.get("id"),
        "type": "manuscript",
        "title": record.get("title") or "Untitled document",
    }
    author = author_of(record)
    if author:
        item["author"] = [{"literal": author}]
    recipients = [r["name"] for r in record.get("recipients") or [] if r.get("name")]
    if recipients:
        item["recipient"] = [{"literal": n} for n in recipients]
    issued = _date_parts(record.get("date"))
    if issued:
        item["issued"] = issued
    pub = record.get("published_in") or {}
    held = edition_holding(record)
    if held:
        item["archive"] = held[0]
        if held[1]:
            item["archive_location"] = held[1]
        if refs:
            item["note"] = "Source: " + "; ".join(r["raw"] for r in refs)
    elif refs:
        first = refs[0]
        if first.get("archive"):
            item["archive"] = first["archive"]
        location = first["raw"]
        if first.get("archive") and location.startswith(first["archive"]):
            location = location[len(first["archive"]) :].lstrip(" ,")
        item["archive_location"] = location or first["raw"]  # never an empty string
        if len(refs) > 1:
            item["note"] = "Also: " + "; ".join(r["raw"] for r in refs[1:])
    elif record.get("citation"):
        item["note"] = record["citation"]
        held = HELD_BY.search(record["citation"])
        if held:  # "..., 1950, Wilson Center Digital Archive, Archive of the President..."
            item["archive"] = held.group("archive").strip()
            location = (held.group("location") or "").strip().rstrip(".")
            if location:
                item["archive_location"] = location
    optional = {
        "genre": record.get("doc_type"),
        "URL": record.get("url"),
        "number": record.get("record_id"),
        "abstract": record.get("summary"),
        "language": record.get("original_language"),
    }
    if pub.get("title"):
        optional |= {
            "container-title": pub["title"],
            "publisher": pub.get("publisher"),
            "publisher-place": pub.get("place"),
        }
        # The volume's editors, not the document's: as "editor" the Chicago styles would
        # put them in the author's place of a document without one. The document's number
        # is in its archive location and URL ("number" would print as "telegram no. N").
        if pub.get("editors"):
            item["collection-editor"] = [{"literal": name} for name in pub["editors"]]
    item.update({k: v for k, v in optional.items() if v})
    if record.get("translator"):
        item["translator"] = [{"literal": record["translator"]}]
    return item
