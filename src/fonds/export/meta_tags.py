"""A record as the ``<meta>`` tags of its page: Highwire Press ``citation_*`` tags (what
Zotero's browser connector and Google Scholar read) and Dublin Core (``DC.*``).

With them, saving a document page in Zotero makes a proper item, not a web page: title,
author (the sender, when the archive names one), date, archive and location, abstract,
language and the names it mentions as keywords.
"""

from __future__ import annotations

from typing import Any

from fonds.export.citations import author_of, edition_holding
from fonds.export.ris import keywords_of, ris_date


def meta_tags(record: dict[str, Any], page_url: str | None = None) -> list[tuple[str, str]]:
    """(name, content) pairs, in the order they go in the page's head; empty ones left out."""
    date = record.get("date") or ""
    slashed = (ris_date(date) or "").rstrip("/")  # "1950/04/25", "1950/04", "1950"
    refs = [r for r in record.get("archival_refs") or [] if r.get("raw")]
    held = edition_holding(record)
    location = refs[0]["raw"] if refs else record.get("citation")
    if held:
        location = ", ".join(p for p in held if p)
    author = author_of(record)
    keywords = keywords_of(record)
    pairs: list[tuple[str, str | None]] = [
        ("citation_title", record.get("title")),
        ("citation_author", author),
        ("citation_date", slashed or None),
        ("citation_publication_date", slashed or None),
        ("citation_language", record.get("original_language")),
        ("citation_abstract", record.get("summary")),
        ("citation_keywords", "; ".join(keywords) or None),
        ("citation_public_url", record.get("url") or page_url),
        ("DC.title", record.get("title")),
        ("DC.creator", author),
        ("DC.date", date or None),
        ("DC.type", record.get("doc_type") or "Text"),
        ("DC.description", record.get("summary")),
        ("DC.language", record.get("original_language")),
        ("DC.source", location),  # the archive and the place in it
        ("DC.relation.ispartof", (record.get("published_in") or {}).get("title")),
        ("DC.publisher", (record.get("published_in") or {}).get("publisher")),
        ("DC.identifier", record.get("url") or page_url),
        *(("DC.subject", k) for k in keywords),
    ]
    return [(name, " ".join(value.split())) for name, value in pairs if value and value.strip()]
