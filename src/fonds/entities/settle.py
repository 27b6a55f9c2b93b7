"""Settling, after an ingest, what only the whole archive can decide: a discovered short
name ("Barbour", "J. Brassard", "Garcia Granados") is the one fuller person name of the
archive it abbreviates, written within a few years of it; two spellings of one discovered
name ("Boldoczki", "Boldocsky") are one person. The links depend on the archive's names
and dates alone, never on the order in which documents came in.
"""

from __future__ import annotations

import re

from fonds.entities.index import MIN_PHONETIC_KEY, KnownEntity, NameIndex
from fonds.entities.names import initials_agree, name_tokens, phonetic_key, plain_key
from fonds.store.sqlite import EntityTables

NEAR_YEARS = 4  # a short name and a fuller one are linked only this close in time


def years_of_people(tables: EntityTables) -> dict[str, set[int]]:
    """The years of the documents that mention each entity."""
    rows = tables.conn.execute(
        "SELECT DISTINCT m.entity_id, substr(d.date_start, 1, 4) FROM mentions m"
        " JOIN documents d ON d.id = m.document_id WHERE d.date_start IS NOT NULL"
    )
    out: dict[str, set[int]] = {}
    for entity_id, year in rows:
        if year and year.isdigit():
            out.setdefault(entity_id, set()).add(int(year))
    return out


def near_in_time(a: set[int] | None, b: set[int] | None, origin: str) -> bool:
    """Two names of one person are written within a few years of each other (the
    authority file's people are known to be the ones meant, at any date)."""
    if origin == "authority" or not a or not b:
        return origin == "authority" or (not a and not b)
    return min(abs(x - y) for x in a for y in b) <= NEAR_YEARS


def last_word_whole(short: str, full: str) -> bool:
    """The surname is a whole word of the fuller name: "Franco" is not "Mello-Franco"."""
    last = re.split(r"[\s,]+", full.strip(" ,."))[-1].casefold().strip(".")
    return "-" not in last or last in short.casefold()


def abbreviates(short: list[str], full: list[str]) -> bool:
    """Whether a name is a shorter form of another: its words end the other's ("Garcia
    Granados" of "Jorge Garcia Granados"), or the same surname with fewer or initialled
    given names ("Barbour", "J. Brassard" of "Joseph Brassard")."""
    if not short or len(short) > len(full):
        return False
    key = [phonetic_key(t) for t in short]
    if key == [phonetic_key(t) for t in full[len(full) - len(short) :]]:
        return len(short) < len(full)
    if phonetic_key(short[-1]) != phonetic_key(full[-1]):
        return False
    given, other = short[:-1], full[:-1]
    if len(given) > len(other) or not initials_agree(given, other):
        return False
    return any(len(a) == 1 and len(b) > 1 for a, b in zip(given, other, strict=False)) or len(
        given
    ) < len(other)


def fullest_names(tables: EntityTables) -> dict[str, str]:
    """Each entity's fullest written form (most words, then longest): "DuWayne G. Clark"
    for an entity first met as "Clark"."""
    best: dict[str, str] = {}
    for entity_id, text in tables.conn.execute("SELECT DISTINCT entity_id, text FROM mentions"):
        old = best.get(entity_id)
        if old is None or _rank(text) > _rank(old):
            best[entity_id] = text
    return best


def links(
    index: NameIndex, years: dict[str, set[int]], fullest: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """The (discovered person, person it is) pairs to merge, in a stable order. A short
    name is judged by the fullest form its documents write ("DuWayne G. Clark" is no
    short form of "Mark W. Clark", though both are "Clark" somewhere)."""
    fullest = fullest or {}

    def written(e: KnownEntity) -> list[str]:
        """The fullest form of an entity's name that keeps its surname."""
        tokens = name_tokens(e.name)
        best = name_tokens(fullest.get(e.id, e.name))
        return best if len(best) > len(tokens) and best[-1:] == tokens[-1:] else tokens

    people = [
        e for e in index.entities.values() if e.type == "person" and index.canonical(e.id) == e.id
    ]
    by_surname: dict[str, list[KnownEntity]] = {}
    for e in people:
        tokens = written(e)
        if tokens:
            by_surname.setdefault(phonetic_key(tokens[-1]), []).append(e)
    # Two spellings of one name ("Boldoczki", "Boldocsky") are one person.
    spelled: dict[str, list[KnownEntity]] = {}
    for e in people:
        form = " ".join(written(e))  # "Barbour", written "Walworth Barbour" too
        key = phonetic_key(form)
        if e.origin == "discovered" and len(key) >= MIN_PHONETIC_KEY and len(plain_key(form)) >= 6:
            spelled.setdefault(key, []).append(e)
    same: dict[str, str] = {}
    for group in spelled.values():
        group.sort(key=lambda e: e.id)
        for other in group[1:]:
            if near_in_time(years.get(other.id), years.get(group[0].id), "discovered"):
                same[other.id] = group[0].id
    # Double surnames written somewhere in the archive ("Zuleta Angel"): the first half
    # alone ("Dr. Zuleta") is a short form of the full name that ends with them.
    doubles = {
        tuple(phonetic_key(t) for t in name_tokens(e.name))
        for e in people
        if len(name_tokens(e.name)) == 2
    }
    by_first_surname: dict[str, list[KnownEntity]] = {}
    for e in people:
        tokens = name_tokens(e.name)
        if len(tokens) >= 3 and tuple(phonetic_key(t) for t in tokens[-2:]) in doubles:
            by_first_surname.setdefault(phonetic_key(tokens[-2]), []).append(e)
    # A short name and the fuller names it abbreviates.
    fits: dict[str, set[str]] = {}
    for short in sorted(people, key=lambda e: e.id):
        st = written(short)
        if short.origin != "discovered" or not st:
            continue
        found = {
            full.id
            for full in by_surname.get(phonetic_key(st[-1]), [])
            if full.id != short.id
            and abbreviates(st, written(full))
            and last_word_whole(short.name, full.name)
            and near_in_time(years.get(short.id), years.get(full.id), full.origin)
        }
        if len(st) == 1:
            found |= {
                full.id
                for full in by_first_surname.get(phonetic_key(st[0]), [])
                if full.id != short.id
                and near_in_time(years.get(short.id), years.get(full.id), full.origin)
            }
        if found:
            fits[short.id] = found
    # A fuller name that itself abbreviates one fullest name stands for it:
    # "Dunn" fits "James C. Dunn" and "James Clement Dunn", which are one person.
    ends: dict[str, str] = {}
    for _ in range(3):
        for short, found in fits.items():
            final = {ends.get(f, f) for f in found}
            if len(final) == 1:
                ends[short] = next(iter(final))
    wanted = {**same, **{k: v for k, v in ends.items() if k not in same}}

    def final_of(entity_id: str) -> str:
        seen = set()
        while entity_id in wanted and entity_id not in seen:
            seen.add(entity_id)
            entity_id = wanted[entity_id]
        return entity_id

    return [(s, final_of(s)) for s in sorted(wanted) if final_of(s) != s]


def display_names(index: NameIndex, fullest: dict[str, str]) -> dict[str, str]:
    """The discovered entities whose display name should change: to the fullest form
    their documents write that keeps their last word (a person's surname), ties broken by
    length, then by the text itself, so that every order of ingest names them alike."""
    out: dict[str, str] = {}
    for entity_id, written in fullest.items():
        entity = index.entities.get(entity_id)
        if (
            entity is None
            or entity.origin != "discovered"
            or index.canonical(entity_id) != entity_id
        ):
            continue
        current = entity.name
        if name_tokens(written)[-1:] != name_tokens(current)[-1:]:
            continue
        if written != current and _rank(written) >= _rank(current):
            out[entity_id] = written
    return out


def _rank(name: str) -> tuple[int, int, str]:
    """Fuller first: more words, then more letters, then (for a tie) the smaller text."""
    return (len(name.split()), len(name), "".join(chr(0x10FFFF - ord(c)) for c in name))
