"""Translations: the same document in another language, where both are in the archive.

Their texts share no words, so no sketch finds them; their citation does. Two records are
translations of each other when both cite the same leaves of the same archival file (the
same archive, fond, opis and delo, with page ranges that overlap: a Russian file of a
few hundred leaves holds many documents, its pages tell them apart; or the same file
number in an archive that numbers documents' files, such as the PRC Foreign Ministry's)
and their bodies are written in different languages.

A body's language is told by the script of its letters (Latin, Cyrillic, Han, Hangul, kana),
and for Latin letters by the most common short words of English, German and French:
enough for the Soviet, Chinese, Korean, East German and American records the archive is
made for, and it never calls two English bodies different.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from fonds.model import ArchivalRef
from fonds.store.sqlite import Store

MIN_LETTERS = 200  # a body with fewer letters than this has no language to compare
SAMPLE = 5_000  # characters of a body read to tell its language
# The most common short words of each language written in Latin letters.
_LATIN_WORDS = {
    "en": {"the", "of", "and", "to", "in", "that", "is", "was", "for", "with", "it", "on"},
    "de": {"der", "die", "und", "das", "nicht", "ist", "zu", "den", "mit", "von", "sich", "des"},
    "fr": {"le", "la", "les", "et", "des", "est", "que", "du", "dans", "une", "pour", "pas"},
}
_WORD = re.compile(r"[^\W\d_]+")
_PAGE_NUMBER = re.compile(r"\d+")
FILE_ARCHIVES = {"PRC FMA"}  # archives whose file numbers name a few documents each


# Letters of each script (the blocks the archive's languages are written in).
_SCRIPTS = {
    "latin": re.compile(r"[A-Za-z\u00C0-\u024F]"),
    "ru": re.compile(r"[\u0400-\u04FF]"),
    "zh": re.compile(r"[\u3400-\u4DBF\u4E00-\u9FFF]"),
    "ko": re.compile(r"[\u1100-\u11FF\u3130-\u318F\uAC00-\uD7AF]"),
    "ja": re.compile(r"[\u3040-\u30FF]"),
}


def body_language(text: str, sample: int = SAMPLE) -> str | None:
    """The language of a body (a code: "en", "de", "fr", "ru", "zh", "ko", "ja", or
    "latin" for Latin letters of another language), from its first ``sample``
    characters; None when it has too few letters to tell."""
    head = text[:sample]
    counts = {name: len(rx.findall(head)) for name, rx in _SCRIPTS.items()}
    main = max(counts, key=lambda name: counts[name])
    if sum(counts.values()) < MIN_LETTERS:
        return None
    if main != "latin":
        return main
    words = Counter(w.lower() for w in _WORD.findall(head))
    scores = {lang: sum(words[w] for w in common) for lang, common in _LATIN_WORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] else "latin"


def _pages(value: str | None) -> list[tuple[int, int]]:
    """Page ranges as numbers ("71-82, 85" → [(71, 82), (85, 85)]; "5 ob" → [(5, 5)])."""
    out = []
    for part in (value or "").split(","):
        numbers = [int(n) for n in _PAGE_NUMBER.findall(part)]
        if numbers:
            out.append((min(numbers), max(numbers)))
    return out


def same_leaves(a: ArchivalRef | dict[str, Any], b: ArchivalRef | dict[str, Any]) -> bool:
    """Whether two archival references name the same document: the same file of one
    archive, and pages that overlap (or, for archives listed in FILE_ARCHIVES, the same
    file number)."""
    x = a if isinstance(a, dict) else a.as_json()
    y = b if isinstance(b, dict) else b.as_json()
    if not x.get("archive") or x.get("archive") != y.get("archive"):
        return False
    if x.get("archive") in FILE_ARCHIVES:
        return bool(x.get("file")) and x.get("file") == y.get("file")
    if not (x.get("fond") and x.get("delo")):
        return False
    if any(x.get(k) != y.get(k) for k in ("fond", "opis", "delo")):
        return False
    return any(
        lo <= high and low <= hi
        for lo, hi in _pages(x.get("pages"))
        for low, high in _pages(y.get("pages"))
    )


def stored_sample(store: Store, doc_id: str) -> str:
    """The first SAMPLE characters of a stored document's body ("" when it is gone)."""
    row = store.conn.execute(
        "SELECT substr(text, 1, ?) FROM documents WHERE id = ?", (SAMPLE, doc_id)
    ).fetchone()
    return (row[0] or "") if row else ""


def stored_language(store: Store, doc_id: str) -> str | None:
    """The language of a stored document's body (``body_language``)."""
    return body_language(stored_sample(store, doc_id))


def find_translations(
    store: Store, doc_id: str, text: str, archival_refs: list[ArchivalRef]
) -> list[tuple[str, dict[str, Any]]]:
    """The documents stored that are this one (its id, body and references) in another
    language: (id, evidence), the evidence being the two references that name the same
    leaves, and the languages."""
    refs = [
        r
        for r in archival_refs
        if r.archive
        and ((r.archive in FILE_ARCHIVES and r.file) or (r.fond and r.delo and r.pages))
    ]
    mine: str | None = None
    found: dict[str, dict[str, Any]] = {}
    for ref in refs:
        key, value = ("file", ref.file) if ref.archive in FILE_ARCHIVES else ("delo", ref.delo)
        rows = store.conn.execute(
            "SELECT document_id, archive, fond, opis, delo, pages, file, raw FROM archival_refs"
            f" WHERE {key} = ? AND archive = ? AND document_id != ?",
            (value, ref.archive, doc_id),
        ).fetchall()
        for other_id, archive, fond, opis, delo, pages, file, raw in rows:
            theirs = {"archive": archive, "fond": fond, "opis": opis, "delo": delo}
            theirs |= {"pages": pages, "file": file}
            if other_id in found or not same_leaves(ref, theirs):
                continue
            sample = stored_sample(store, other_id)
            if sample.isascii() and text[:SAMPLE].isascii():
                continue  # both in English (German and French write accents)
            mine = mine or body_language(text, SAMPLE)
            language = body_language(sample, SAMPLE)
            if mine is None or language is None or language == mine:
                continue
            found[other_id] = {
                "references": {doc_id: ref.raw, other_id: raw},
                "languages": {doc_id: mine, other_id: language},
            }
    return sorted(found.items())
