"""CSV export: one row a document, lists joined with "; "."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

from fonds.export.citations import published_in_note

COLUMNS = [
    "id",
    "title",
    "date",
    "doc_type",
    "classification",
    "sender",
    "recipients",
    "summary",
    "citation",
    "archival_refs",
    "translator",
    "original_language",
    "record_id",
    "url",
    "credits",
    "people",
    "places",
    "organizations",
    "source_path",
    "source_format",
    "text",
    "published_in",  # added after the first columns, so their positions stay as they were
]


def row_of(record: dict[str, Any]) -> dict[str, str]:
    def names(kind: str) -> str:
        return "; ".join(e["name"] for e in record.get("entities", []) if e["type"] == kind)

    sender = record.get("sender") or {}
    return {
        "id": record["id"],
        "title": record["title"],
        "date": record.get("date") or "",
        "doc_type": record.get("doc_type") or "",
        "classification": record.get("classification") or "",
        "sender": sender.get("name") or "",
        "recipients": "; ".join(r.get("name") or "" for r in record.get("recipients", [])),
        "summary": record.get("summary") or "",
        "citation": record.get("citation") or "",
        "archival_refs": "; ".join(r.get("raw") or "" for r in record.get("archival_refs", [])),
        "translator": record.get("translator") or "",
        "original_language": record.get("original_language") or "",
        "record_id": record.get("record_id") or "",
        "url": record.get("url") or "",
        "credits": record.get("credits") or "",
        "people": names("person"),
        "places": names("place"),
        "organizations": names("organization"),
        "source_path": record["source"]["path"],
        "source_format": record["source"]["format"],
        "text": record.get("text") or "",
        "published_in": (published_in_note(record) or "").removeprefix("in "),
    }


def write_csv(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    n = 0
    for record in records:
        writer.writerow(row_of(record))
        n += 1
    return n
