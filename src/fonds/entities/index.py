"""The name index: every known entity (authority file, discovered, merged by users) by
its name keys, surnames and offices, for resolving a surface form to one identity."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from fonds.clean.ocr import korean_surnames
from fonds.entities.authority import AuthorityEntry, Office
from fonds.entities.names import name_tokens, phonetic_key, plain_key

EAST_ASIAN = {
    "korean",
    "chinese",
    "north korean",
    "south korean",
    "soviet korean",
    "japanese",
    "vietnamese",
    "mongolian",
}
NAME_SUFFIXES = {"jr", "sr", "iii", "iv"}
# Phonetic keys propose a match only when long enough to be distinctive.
MIN_PHONETIC_KEY = 5


@dataclass
class KnownEntity:
    id: str
    type: str
    name: str
    names: list[str] = field(default_factory=list)  # every known name, canonical first
    surname_alone: bool = False
    offices: tuple[Office, ...] = ()
    origin: str = "authority"
    nationality: str | None = None

    def surname(self) -> str | None:
        """The family name token, East Asian order where the name is East Asian."""
        return _surname_of(self.name, self.nationality)


@lru_cache(maxsize=100_000)
def _surname_of(name: str, nationality: str | None) -> str | None:
    tokens = [t for t in name_tokens(name) if t not in NAME_SUFFIXES]
    if len(tokens) < 2:
        return tokens[0] if tokens else None
    if re.match(r"^\s*[A-Z]\.", name):
        return tokens[-1]  # "I. Dorofeyev": an initial, not the Korean surname I
    korean = korean_surnames()
    first, last = tokens[0].capitalize(), tokens[-1].capitalize()
    if last in korean and first not in korean:
        return tokens[-1]  # Western order: "Syngman Rhee"
    east = (nationality or "").casefold() in EAST_ASIAN or first in korean
    return tokens[0] if east else tokens[-1]


@dataclass
class NameIndex:
    entities: dict[str, KnownEntity] = field(default_factory=dict)
    plain: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    phonetic: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    surnames: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    all_surnames: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    offices: dict[str, list[tuple[str, Office]]] = field(default_factory=lambda: defaultdict(list))
    redirects: dict[str, str] = field(default_factory=dict)  # merged id → surviving id

    def add(self, entity: KnownEntity) -> None:
        self.entities[entity.id] = entity
        for name in entity.names:
            self.add_name(entity.id, name)
        if entity.type == "person":
            surname = entity.surname()
            if surname:
                self.all_surnames[surname].add(entity.id)
                if entity.surname_alone:
                    self.surnames[surname].add(entity.id)
        for office in entity.offices:
            for phrase in (office.title, *office.phrases):
                if phrase:
                    self.offices[office_key(phrase)].append((entity.id, office))

    def add_name(self, entity_id: str, name: str) -> None:
        entity = self.entities.get(entity_id)
        if entity is not None and name not in entity.names:
            entity.names.append(name)
        p = plain_key(name)
        if p:
            self.plain[p].add(entity_id)
            self.phonetic[phonetic_key(name)].add(entity_id)

    def canonical(self, entity_id: str) -> str:
        seen = set()
        while entity_id in self.redirects and entity_id not in seen:
            seen.add(entity_id)
            entity_id = self.redirects[entity_id]
        return entity_id

    def lookup(
        self, name: str, types: tuple[str, ...] | None = None, authority_only: bool = False
    ) -> list[str]:
        """Ids of the entities this surface form names: exact key first, then phonetic.

        More than one id means the form is ambiguous; the caller decides in context. With
        ``authority_only``, entities discovered in documents are left out.
        """
        p = plain_key(name)
        if not p:
            return []
        ids = self._filter(self.plain.get(p, set()), types, authority_only)
        if ids:
            return ids
        ph = phonetic_key(name)
        if len(ph) < MIN_PHONETIC_KEY or (len(name_tokens(name)) < 2 and len(p) < 6):
            return []
        ids = self._filter(self.phonetic.get(ph, set()), types, authority_only)
        return ids if len(ids) == 1 else []

    def by_surname(self, token: str, famous_only: bool = True) -> list[str]:
        """People whose family name this is (only those a bare surname may name, by default)."""
        table = self.surnames if famous_only else self.all_surnames
        return self._filter(table.get(plain_key(token), set()), ("person",))

    def office_holders(self, office_text: str, day: str | None) -> list[tuple[str, Office]]:
        """Who held the office a phrase names on a day (all holders when no day is known)."""
        key = office_key(office_text)
        if not key:
            return []
        found = []
        for entity_id, office in self.offices.get(key, []):
            if day is None or office.held_on(day):
                found.append((self.canonical(entity_id), office))
        unique = {eid: off for eid, off in found}
        return list(unique.items())

    def _filter(
        self, ids: set[str], types: tuple[str, ...] | None, authority_only: bool = False
    ) -> list[str]:
        out = {self.canonical(i) for i in ids}
        if authority_only:
            out = {i for i in out if self.entities[i].origin == "authority"}
        if types:
            out = {i for i in out if self.entities[i].type in types}
        return sorted(out)


def office_key(text: str) -> str:
    words = [w for w in text.casefold().replace(",", " ").split() if w not in {"the", "a", "an"}]
    return " ".join(words)


def entity_from_authority(entry: AuthorityEntry) -> KnownEntity:
    return KnownEntity(
        id=entry.id,
        type=entry.type,
        name=entry.name,
        names=entry.all_names(),
        surname_alone=entry.surname_alone,
        offices=entry.offices,
        origin="authority",
        nationality=entry.data.get("nationality"),
    )
