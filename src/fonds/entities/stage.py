"""The entity stage: find the people, places and organizations of a record, resolve
each mention to one identity, and lay out speaker turns.

Order of work for one record:
1. authority matches: capitalized runs matched longest-first against the name index;
2. bracketed alternates: "Pak Heon-yeong [Pak Hon Yong]" ties both forms to one entity;
3. context: a bare surname ("Kim", "Shtykov") resolves to the person of this document
   who bears it (the dominant one when several do);
4. statistical NER for names the index lacks, each a new identity, linked by name keys
   when a later document spells it differently;
5. sender and recipients, by name or, for an office, by who held it on the date;
6. speaker turns and participant roles in records of conversation.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fonds.entities.authority import AuthorityEntry, bundled_entries, load_file
from fonds.entities.index import KnownEntity, NameIndex, entity_from_authority
from fonds.entities.lexicon import not_names
from fonds.entities.mentions import TITLES, Candidate, find_candidates, tokenize
from fonds.entities.names import name_tokens, plain_key, slugify
from fonds.entities.ner import NerModel, NerSpan, load_ner
from fonds.entities.turns import find_turns, participant_roles
from fonds.model import EntityHit, EntityRef, Mention, Record
from fonds.store.sqlite import EntityTables, Store

# Endings of English words that are almost never names: a capitalized "Accelerated" or
# "Economically" at a sentence's start needs no recognizer.
COMMON_ENDINGS = (
    "ly",
    "ing",
    "tion",
    "tions",
    "ment",
    "ments",
    "ness",
    "ity",
    "ies",
    "ated",
    "ized",
    "ism",
    "isms",
    "ive",
    "ous",
    "able",
    "ible",
    "ship",
    "ance",
    "ence",
)
CONTEXT_CONFIDENCE = 0.8
OFFICE_CONFIDENCE = 0.9


@dataclass
class DocState:
    """What the stage learns about one record while annotating it."""

    hits: dict[str, EntityHit] = field(default_factory=dict)
    taken: dict[str, bytearray] = field(default_factory=dict)  # characters already in a mention

    def overlaps(self, fld: str, start: int, end: int) -> bool:
        mask = self.taken.get(fld)
        return mask is not None and any(mask[start:end])

    def take(self, fld: str, start: int, end: int, size: int) -> None:
        mask = self.taken.setdefault(fld, bytearray(size))
        if len(mask) < end:
            mask.extend(bytes(end - len(mask)))
        mask[start:end] = b"\x01" * (end - start)

    def ends(self) -> dict[int, str]:
        """Entity id by end offset of each text mention."""
        return {m.end: h.id for h in self.hits.values() for m in h.mentions if m.field == "text"}

    def spans(self) -> dict[tuple[int, int], str]:
        return {
            (m.start, m.end): h.id
            for h in self.hits.values()
            for m in h.mentions
            if m.field == "text"
        }

    def count(self, entity_id: str) -> int:
        hit = self.hits.get(entity_id)
        return len(hit.mentions) if hit else 0


class EntityStage:
    """Annotates records with entities and turns; one index shared across a run."""

    def __init__(self, index: NameIndex, tables: EntityTables | None, ner: NerModel | None) -> None:
        self.index = index
        self.tables = tables
        self.ner = ner

    # -- construction ------------------------------------------------------------------

    @classmethod
    def for_store(cls, store: Store | None, ner: str = "none") -> EntityStage:
        entries = list(bundled_entries())
        user_file = os.environ.get("FONDS_AUTHORITY")
        if user_file:
            entries += load_file(Path(user_file))
        index = NameIndex()
        for entry in entries:
            index.add(entity_from_authority(entry))
        tables = None
        if store is not None:
            tables = EntityTables(store)
            _sync_authority(tables, entries)
            # Entries of a user's authority file given at an earlier ingest stay known.
            for row in tables.authority_rows():
                if row["id"] not in index.entities:
                    data = json.loads(row["data_json"] or "{}")
                    names = [row["name"], *(row["names"] or "").split("\t")]
                    index.add(
                        KnownEntity(
                            row["id"],
                            row["type"],
                            row["name"],
                            [n for n in dict.fromkeys(names) if n],
                            surname_alone=bool(data.get("surname_alone")),
                            nationality=data.get("nationality"),
                        )
                    )
            for row in tables.non_authority():
                data = json.loads(row["data_json"] or "{}")
                index.add(
                    KnownEntity(
                        row["id"],
                        row["type"],
                        row["name"],
                        [row["name"]],
                        origin=row["origin"],
                        nationality=data.get("nationality"),
                    )
                )
            for row in tables.learned_names():
                if row["entity_id"] in index.entities:
                    index.add_name(row["entity_id"], row["name"])
            index.redirects.update(tables.redirects())
        return cls(index, tables, load_ner(ner))

    # -- resolution of one name ----------------------------------------------------------

    def resolve_name(self, name: str) -> dict[str, Any] | None:
        """The entity a surface form means, as the contract's JSON, or None."""
        name = name.strip()
        if not name or len(name) > 300:
            return None
        ids = self.index.lookup(name)
        if not ids and len(name_tokens(name)) == 1:
            ids = self.index.by_surname(name)
        if len(ids) != 1:
            return None
        return self.describe(ids[0])

    def describe(self, entity_id: str) -> dict[str, Any]:
        entity = self.index.entities[self.index.canonical(entity_id)]
        return {
            "id": entity.id,
            "name": entity.name,
            "type": entity.type,
            "aliases": [n for n in entity.names if n != entity.name],
        }

    # -- the record ----------------------------------------------------------------------

    def annotate(self, records: Record | list[Record]) -> None:
        """Find, resolve and attach the entities and turns of a record (or a batch)."""
        self.annotate_many(records if isinstance(records, list) else [records])

    def annotate_many(self, records: list[Record]) -> None:
        """Annotate a batch: the statistical recognizer runs once over all of them."""
        work = [self._first_pass(record) for record in records]
        found: list[list[NerSpan]] = [[] for _ in records]
        if self.ner is not None:
            windows = [
                self._ner_windows(state, record, unresolved)
                for record, (state, unresolved) in zip(records, work, strict=True)
            ]
            texts = [
                record.text[a:b]
                for record, wins in zip(records, windows, strict=True)
                for a, b in wins
            ]
            results = iter(self.ner.find(texts) if texts else [])
            for i, wins in enumerate(windows):
                for offset, _ in wins:
                    found[i] += [
                        NerSpan(x.start + offset, x.end + offset, x.text, x.type)
                        for x in next(results)
                    ]
        for record, (state, unresolved), spans in zip(records, work, found, strict=True):
            if self.ner is not None:
                self._recognize(state, record, spans)
                still = [(f, c) for f, c in unresolved if not state.overlaps(f, c.start, c.end)]
                self._context(state, still, record.date_start)
            self._parties(state, record)
            self._turns(state, record)
            record.entities = sorted(
                state.hits.values(),
                key=lambda h: (
                    min((m.start for m in h.mentions if m.field == "text"), default=10**9),
                    h.id,
                ),
            )
            for hit in record.entities:
                hit.mentions.sort(key=lambda m: (m.field != "text", m.field, m.start))

    def _first_pass(self, record: Record) -> tuple[DocState, list[tuple[str, Candidate]]]:
        """Authority matches, bracketed alternates and surnames in context."""
        state = DocState()
        fields = [("text", record.text), ("title", record.title), ("summary", record.summary or "")]
        unresolved: list[tuple[str, Candidate]] = []
        for fld, text in fields:
            for cand in find_candidates(text, self.index):
                if cand.ids:
                    chosen = self._choose(cand.ids, state)
                    if chosen:
                        self._add(state, chosen, fld, cand.start, cand.end, cand.text, "authority")
                        continue
                unresolved.append((fld, cand))
        self._brackets(state, record.text)
        self._context(state, unresolved, record.date_start)
        return state, unresolved

    def _choose(self, ids: tuple[str, ...], state: DocState) -> str | None:
        if len(ids) == 1:
            return ids[0]
        present = [i for i in ids if i in state.hits]
        return present[0] if len(present) == 1 else None

    def _add(
        self,
        state: DocState,
        entity_id: str,
        fld: str,
        start: int,
        end: int,
        text: str,
        method: str,
        confidence: float = 1.0,
    ) -> None:
        entity_id = self.index.canonical(entity_id)
        if state.overlaps(fld, start, end):
            return
        entity = self.index.entities[entity_id]
        hit = state.hits.get(entity_id)
        if hit is None:
            hit = EntityHit(entity_id, entity.name, entity.type, [])
            state.hits[entity_id] = hit
        hit.mentions.append(Mention(start, end, text, fld, method, confidence))
        if text != entity.name and text not in hit.aliases:
            hit.aliases.append(text)
        state.take(fld, start, end, end)

    def _brackets(self, state: DocState, text: str) -> None:
        """'A [B]': B is another name of A's entity (or A of B's, when only B resolved)."""
        ends = state.ends()
        spans = state.spans()
        for m in re.finditer(r"\[([A-Z][^\[\]\n]{1,60})\]", text):
            if m.start() == 0:
                continue
            inner_start, inner_end = m.start(1), m.end(1)
            inner = m.group(1)
            if not re.fullmatch(r"[A-Z][\w'’\-]*(?:\s[A-Z][\w'’\-]*){0,3}", inner):
                continue
            before = next(
                (
                    ends[at]
                    for at in range(m.start(), m.start() - 3, -1)
                    if at in ends and not text[at : m.start()].strip()
                ),
                None,
            )
            inside = spans.get((inner_start, inner_end))
            if before and not inside:
                self._teach(before, inner)
                self._add(state, before, "text", inner_start, inner_end, inner, "alias")
                ends[inner_end] = before
            elif inside and not before:
                word = _last_name_before(text, m.start())
                if word and self.index.entities[inside].type == "person":
                    w_start, w_end, w_text = word
                    self._teach(inside, w_text)
                    self._add(state, inside, "text", w_start, w_end, w_text, "alias")

    def _teach(self, entity_id: str, name: str) -> None:
        """Remember a new name of an entity, in the index and the store."""
        if plain_key(name) in {plain_key(n) for n in self.index.entities[entity_id].names}:
            return
        if self.index.lookup(name):
            return  # the name already means someone: never steal it
        self.index.add_name(entity_id, name)
        if self.tables is not None:
            self.tables.add_name(entity_id, name, plain_key(name), "learned")

    def _context(
        self, state: DocState, unresolved: list[tuple[str, Candidate]], day: str | None
    ) -> None:
        """A bare surname resolves to the person of this document who bears it."""
        for fld, cand in unresolved:
            if state.overlaps(fld, cand.start, cand.end):
                continue
            tokens = name_tokens(cand.text)
            if len(tokens) != 1 or not cand.alone or cand.text.casefold() in not_names():
                continue
            chosen = self._surname_in_document(tokens[0], state)
            confidence = CONTEXT_CONFIDENCE
            if chosen is None:
                famous = self.index.by_surname(cand.text)
                if len(famous) == 1:
                    chosen = famous[0]
            if chosen is None:
                chosen = self._surname_by_evidence(cand.text, state, day)
                confidence = 0.6
            if chosen:
                self._add(
                    state, chosen, fld, cand.start, cand.end, cand.text, "context", confidence
                )

    def _surname_in_document(self, token: str, state: DocState) -> str | None:
        """The person of this document whose family name ``token`` is: the only one, or
        the dominant one (three times the mentions of any other)."""
        choices = [
            h.id
            for h in state.hits.values()
            if h.type == "person" and self.index.entities[h.id].surname() == token
        ]
        if len(choices) == 1:
            return choices[0]
        if len(choices) > 1:
            ranked = sorted(choices, key=state.count, reverse=True)
            if state.count(ranked[0]) >= 3 * max(1, state.count(ranked[1])):
                return ranked[0]
        return None

    def _surname_by_evidence(self, token: str, state: DocState, day: str | None) -> str | None:
        """A surname shared by several known people, decided by the document's evidence.

        A candidate gains when it held an office on the document's date or shares an
        office with a person already found in the document, and loses when every office
        it held is dated and none covers the date. Only a clear winner is taken.
        """
        candidates = self.index.by_surname(token, famous_only=False)
        if not candidates:
            return None
        present_titles = {
            o.title
            for h in state.hits.values()
            if h.type == "person"
            for o in self.index.entities[h.id].offices
        }
        scores = []
        for entity_id in candidates:
            offices = self.index.entities[entity_id].offices
            score = 0
            if any(o.title in present_titles for o in offices):
                score += 2
            if day and offices:
                dated = [o for o in offices if o.start or o.end]
                if any(o.held_on(day) for o in dated):
                    score += 1
                elif dated and len(dated) == len(offices):
                    score -= 1
            scores.append((score, entity_id))
        scores.sort(reverse=True)
        best = scores[0]
        if best[0] >= 2 and (len(scores) == 1 or best[0] > scores[1][0]):
            return best[1]
        return None

    def _ner_windows(
        self, state: DocState, record: Record, unresolved: list[tuple[str, Candidate]]
    ) -> list[tuple[int, int]]:
        """The sentences that still hold unknown name-like words: the recognizer's input."""
        from spacy.lang.en.stop_words import STOP_WORDS  # spaCy is loaded only with NER on

        text = record.text
        lower_words = set(re.findall(r"\b[a-z][a-z'’-]+\b", text))
        windows: list[tuple[int, int]] = []
        for fld, cand in unresolved:
            if fld != "text" or state.overlaps(fld, cand.start, cand.end):
                continue
            word = cand.text.casefold()
            # A capitalized common word ("The", "Secretary" where "secretary" also occurs)
            # needs no recognizer: only the sentences with unknown name-like words go to it.
            if word in not_names() or word in STOP_WORDS or word in lower_words:
                continue
            if cand.text.isupper() or len(word) < 2 or word.endswith(COMMON_ENDINGS):
                continue
            start, end = _sentence_around(text, cand.start, cand.end)
            if windows and start <= windows[-1][1]:
                windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
            else:
                windows.append((start, end))
        return windows

    def _recognize(self, state: DocState, record: Record, spans: list[NerSpan]) -> None:
        """New people, places and organizations from the recognizer's spans."""
        text = record.text
        single_counts = Counter(s.text for s in spans if s.type == "person" and " " not in s.text)
        for span in spans:
            cleaned = _clean_span(text, span)
            if cleaned is None:
                continue
            start, end, surface = cleaned
            if state.overlaps("text", start, end):
                continue
            ids = self.index.lookup(surface)
            if len(ids) == 1:
                self._add(state, ids[0], "text", start, end, surface, "ner", 0.9)
                continue
            tokens = name_tokens(surface)
            if span.type == "person" and len(tokens) == 1:
                if self._surname_in_document(tokens[0], state):
                    continue  # a bare surname of someone here: decided in context, or not at all
                if any(self.index.entities[h].surname() == tokens[0] for h in state.hits):
                    continue
            if ids or not _plausible(span.type, surface, text, start, single_counts):
                continue
            known = self._same_person_by_initials(surface, state) if span.type == "person" else None
            if known:
                self._add(state, known, "text", start, end, surface, "ner", 0.7)
                continue
            entity_id = self._new_entity(span.type, surface)
            self._add(state, entity_id, "text", start, end, surface, "ner", 0.7)

    def _same_person_by_initials(self, surface: str, state: DocState) -> str | None:
        """A person already known by the same surname and compatible given names or
        initials ("P. Grishaev", "P. A. Grishaev", "Pavel Grishaev"): only one may fit,
        and one of this document's people wins over the rest of the archive."""
        tokens = name_tokens(surface)
        if not tokens:
            return None
        surname, given = tokens[-1], tokens[:-1]
        fits = []
        for entity_id in self.index.by_surname(surname, famous_only=False):
            other = [t for t in name_tokens(self.index.entities[entity_id].name)[:-1]]
            if _initials_agree(given, other):
                fits.append(entity_id)
        present = [f for f in fits if f in state.hits]
        if len(present) == 1:
            return present[0]
        return fits[0] if len(fits) == 1 else None

    def _new_entity(self, etype: str, name: str) -> str:
        """A new identity for a name the authority file lacks, remembered for later records."""
        base = f"{etype if etype != 'organization' else 'org'}-{slugify(name)}"
        entity_id, n = base, 1
        while entity_id in self.index.entities:
            n += 1
            entity_id = f"{base}-{n}"
        self.index.add(KnownEntity(entity_id, etype, name, [name], origin="discovered"))
        if self.tables is not None:
            self.tables.add_entity(entity_id, etype, name, "discovered", "{}")
            self.tables.add_name(entity_id, name, plain_key(name), "discovered")
        return entity_id

    def _parties(self, state: DocState, record: Record) -> None:
        """Sender and recipients as entity references: by name, else by office and date."""
        day = record.date_start

        def ref(named: EntityRef) -> EntityRef | None:
            if named.name:
                found = self._person_for(named.name, state)
                if found:
                    entity = self.index.entities[found]
                    return EntityRef(
                        found,
                        entity.name,
                        via=named.via if named.via != "signature" else "signature",
                    )
                if named.via == "signature":
                    return None
            office = named.via if named.via and named.via != "signature" else None
            if named.name and not office and named.via != "signature":
                office = named.name  # "The Secretary of State to ...": an office, not a name
            if office:
                holders = self.index.office_holders(office, day)
                if len(holders) == 1:
                    entity = self.index.entities[holders[0][0]]
                    return EntityRef(
                        entity.id,
                        entity.name,
                        inferred=True,
                        confidence=OFFICE_CONFIDENCE,
                        via=office,
                    )
            if named.name:
                return EntityRef(None, named.name, via=named.via)
            return EntityRef(None, office or "", via=office) if office else None

        if record.sender is not None:
            record.sender = ref(record.sender)
        record.recipients = [r for r in (ref(x) for x in record.recipients) if r is not None]

    def _person_for(self, name: str, state: DocState) -> str | None:
        inner = re.search(r"\[([^\]]+)\]", name)
        candidates = [name] if not inner else [re.sub(r"\s*\[[^\]]*\]", "", name), inner.group(1)]
        for candidate in candidates:
            ids = self.index.lookup(candidate, ("person",))
            if len(ids) > 1:
                ids = [i for i in ids if i in state.hits]
            if len(ids) == 1:
                return ids[0]
            surname = name_tokens(candidate)
            if len(surname) == 1:
                present = [
                    h.id
                    for h in state.hits.values()
                    if h.type == "person" and self.index.entities[h.id].surname() == surname[0]
                ]
                if len(present) == 1:
                    return present[0]
                famous = self.index.by_surname(candidate)
                if len(famous) == 1:
                    return famous[0]
        return None

    def _turns(self, state: DocState, record: Record) -> None:
        text = record.text

        def resolve(label: str, offset: int) -> EntityRef | None:
            label = label.strip()
            words = label.split()
            if not words or len(words) > 5 or not all(w[:1].isupper() for w in words):
                return None
            found = self._person_for(label, state)
            if found is None:
                return None
            start = offset + text[offset:].find(label)
            self._add(state, found, "text", start, start + len(label), label, "label")
            entity = self.index.entities[found]
            return EntityRef(found, entity.name)

        record.turns = find_turns(text, resolve)
        for start, end, role in participant_roles(text):
            for hit in state.hits.values():
                if hit.type == "person" and any(
                    m.field == "text" and start <= m.start < end for m in hit.mentions
                ):
                    hit.role = hit.role or role


def _initials_agree(a: list[str], b: list[str]) -> bool:
    """Whether two lists of given names or initials can name one person."""
    for x, y in zip(a, b, strict=False):
        if x[0] != y[0]:
            return False
        if len(x) > 1 and len(y) > 1 and x != y:
            return False
    return True


def _sentence_around(text: str, start: int, end: int, reach: int = 120) -> tuple[int, int]:
    """The sentence (or at most ``reach`` characters each way) around a span."""
    lo = max(0, start - reach)
    before = text[lo:start]
    cut = max(before.rfind(". "), before.rfind("\n"), before.rfind("? "), before.rfind("! "))
    s = lo + cut + 1 if cut >= 0 else lo
    after = text[end : end + reach]
    stops = [i for i in (after.find(". "), after.find("\n"), after.find("? ")) if i >= 0]
    e = end + (min(stops) + 1 if stops else len(after))
    return s, e


def _clean_span(text: str, span: NerSpan) -> tuple[int, int, str] | None:
    """Trim a recognizer's span to the name: no leading article or title, no 's."""
    toks = [t for t in tokenize(text[span.start : span.end])]
    if not toks:
        return None
    while toks and (toks[0].word.casefold() in {"the", "a", "an"} or TITLES.match(toks[0].text)):
        toks = toks[1:]
    if not toks:
        return None
    start = span.start + toks[0].start
    end = span.start + toks[-1].end
    surface = text[start:end]
    for suffix in ("'s", "’s", "."):
        if surface.endswith(suffix):
            surface = surface[: -len(suffix)]
            end -= len(suffix)
    if "\n" in surface or not surface:
        return None
    return start, end, surface


def _plausible(etype: str, surface: str, text: str, start: int, singles: Counter) -> bool:
    """Whether a recognized name, unknown to the index, is worth a new identity."""
    words = surface.split()
    if not words or len(words) > 5 or len(surface) < 3:
        return False
    if any(w.casefold().strip(".,") in not_names() for w in words):
        return False
    if not all(w[:1].isupper() for w in words if w.casefold() not in {"of", "the", "and"}):
        return False
    if etype != "person":
        return len(words) >= 2 or (surface.isupper() and len(surface) >= 3)
    if any(ch.isdigit() for ch in surface) or surface.isupper():
        return False
    if len(words) == 1:
        before = text[max(0, start - 20) : start].split()
        titled = bool(before) and bool(TITLES.match(before[-1]))
        return titled or singles[surface] >= 2
    return True


def _last_name_before(text: str, end: int) -> tuple[int, int, str] | None:
    """The capitalized word run that ends just before ``end`` (for 'Mun [Mun Il]')."""
    m = re.search(r"([A-Z][\w'’\-]*(?:\s[A-Z][\w'’\-]*){0,3})\s?$", text[max(0, end - 60) : end])
    if not m:
        return None
    start = max(0, end - 60) + m.start(1)
    return start, start + len(m.group(1)), m.group(1)


def _sync_authority(tables: EntityTables, entries: list[AuthorityEntry]) -> None:
    """Copy the authority file into the store when it changed (for the web and SQL users)."""
    fingerprint = hashlib.sha256(
        json.dumps([(e.id, e.name, e.all_names()) for e in entries]).encode()
    ).hexdigest()
    if tables.meta("authority_fingerprint") == fingerprint:
        return
    rows = [
        (e.id, e.type, e.name, json.dumps(e.data, ensure_ascii=False, default=str)) for e in entries
    ]
    names = [(e.id, n, plain_key(n), "authority") for e in entries for n in e.all_names()]
    tables.replace_authority(rows, names)
    tables.set_meta("authority_fingerprint", fingerprint)
