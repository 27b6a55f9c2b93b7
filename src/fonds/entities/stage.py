"""The entity stage: find the people, places and organizations of a record, resolve
each mention to one identity, and lay out speaker turns.

Order of work for one record:
1. authority matches: capitalized runs matched longest-first against the name index;
2. bracketed alternates: "Pak Heon-yeong [Pak Hon Yong]" ties both forms to one entity in
   this document (an editor's bracket is evidence about the document, not a new name
   for the archive: nothing is learned from it for other documents);
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

from fonds.clean.ocr import korean_surnames
from fonds.entities.authority import AuthorityEntry, bundled_entries, load_file
from fonds.entities.index import MIN_PHONETIC_KEY, KnownEntity, NameIndex, entity_from_authority
from fonds.entities.lexicon import institutions, not_names, world_places
from fonds.entities.mentions import (
    GEO_TAILS,
    JOINERS,
    TITLES,
    Candidate,
    Tok,
    find_candidates,
    runs,
    tokenize,
)
from fonds.entities.mentions import surface as mention_surface
from fonds.entities.names import name_tokens, phonetic_key, plain_key, slugify
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
NEAR_YEARS = 4  # a short name and a fuller one are linked only this close in time
# The end of a sentence: a line break, or ". ", "? ", "! " after a word that is no
# abbreviation, title or initial.
ABBREVIATION = re.compile(
    r"(?:Mr|Mrs|Ms|Dr|St|Gen|Col|Lt|Capt|Maj|Adm|Sgt|Gov|Sen|Rep|Amb|Min|Pres|Prof|Rev|Messrs|"
    r"Mme|Jr|Sr|No|Nos|Vol|Dept|Govt|Cde|Cdes|[A-Za-z]|(?:[A-Z]\.)+[A-Z])"
)
STOP = re.compile(r"\n|[.?!](?=\s)")
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

    # -- what is decided over the whole archive -----------------------------------------

    def settle(self) -> list[tuple[str, str]]:
        """Link each discovered short name to the one fuller person name of the archive it
        abbreviates ("Barbour" and "Mr. Barbour" to "Walworth Barbour", "Garcia Granados"
        to "Jorge Garcia Granados", "J. Brassard" to "Joseph Brassard"); a short name two
        people could bear stays apart. The links depend on the archive's names alone,
        never on the order documents came in; each is a logged merge, undone like any
        other. Returns the (short, full) pairs merged."""
        if self.tables is None:
            return []
        from fonds.entities.edits import merge

        people = [
            e
            for e in self.index.entities.values()
            if e.type == "person" and self.index.canonical(e.id) == e.id
        ]
        by_surname: dict[str, list[KnownEntity]] = {}
        for e in people:
            tokens = name_tokens(e.name)
            if tokens:
                by_surname.setdefault(phonetic_key(tokens[-1]), []).append(e)
        years = _years_of_people(self.tables)
        # Two spellings of one name ("Boldoczki", "Boldocsky") are one person.
        spelled: dict[str, list[KnownEntity]] = {}
        for e in people:
            key = phonetic_key(e.name)
            if (
                e.origin == "discovered"
                and len(key) >= MIN_PHONETIC_KEY
                and len(plain_key(e.name)) >= 6
            ):
                spelled.setdefault(key, []).append(e)
        same: dict[str, str] = {}
        for group in spelled.values():
            group.sort(key=lambda e: e.id)
            for other in group[1:]:
                if _near_in_time(years.get(other.id), years.get(group[0].id), "discovered"):
                    same[other.id] = group[0].id
        fits: dict[str, set[str]] = {}
        for short in sorted(people, key=lambda e: e.id):
            st = name_tokens(short.name)
            if short.origin != "discovered" or not st:
                continue
            found = {
                full.id
                for full in by_surname.get(phonetic_key(st[-1]), [])
                if full.id != short.id
                and _abbreviates(st, name_tokens(full.name))
                and _last_word_whole(short.name, full.name)
                and _near_in_time(years.get(short.id), years.get(full.id), full.origin)
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

        def final(entity_id: str) -> str:
            seen = set()
            while entity_id in wanted and entity_id not in seen:
                seen.add(entity_id)
                entity_id = wanted[entity_id]
            return entity_id

        links = [(s, final(s)) for s in sorted(wanted) if final(s) != s]
        for source, target in links:
            merge(self.tables.store, source, target, reason="a short form of the one fuller name")
            self.index.redirects[source] = target
        return links

    # -- resolution of one name ----------------------------------------------------------

    def resolve_name(self, name: str) -> dict[str, Any] | None:
        """The entity a surface form means, as the contract's JSON, or None."""
        name = name.strip()
        if not name or len(name) > 300:
            return None
        for form in _shorter_forms(name):
            ids = self.index.lookup(form)
            if not ids and len(name_tokens(form)) == 1:
                ids = self.index.by_surname(form) or [
                    i
                    for i in self.index.by_surname(form, famous_only=False)
                    if self.index.entities[i].origin == "authority"
                ]
            if not ids and len(name_tokens(form)) > 1:
                known = self._same_person_by_initials(form, DocState(), authority_only=True)
                ids = [known] if known else []
            if len(ids) == 1:
                return self.describe(ids[0])
            if ids:
                return None
        return None

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
        found: list[list[tuple[str, NerSpan]]] = [[] for _ in records]
        if self.ner is not None:
            windows = [
                self._ner_windows(state, record, unresolved)
                for record, (state, unresolved) in zip(records, work, strict=True)
            ]
            texts = [
                _field_text(record, fld)[a:b]
                for record, wins in zip(records, windows, strict=True)
                for fld, a, b in wins
            ]
            results = iter(self.ner.find(texts) if texts else [])
            for i, wins in enumerate(windows):
                for fld, offset, _ in wins:
                    found[i] += [
                        (fld, NerSpan(x.start + offset, x.end + offset, x.text, x.type))
                        for x in next(results)
                    ]
        for record, (state, unresolved), spans in zip(records, work, found, strict=True):
            self._office_holders(state, record)
            self._dateline_place(state, record)
            if self.ner is not None:
                self._recognize(state, record, spans)
                still = [(f, c) for f, c in unresolved if not state.overlaps(f, c.start, c.end)]
                self._context(state, still, record.date_start)
            self._institutions(state, record)
            self._titled_people(state, record, unresolved)
            self._placed_world_places(state, record, unresolved)
            self._signature(state, record)
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
        fields = [
            ("text", record.text),
            ("title", record.title),
            ("summary", record.summary or ""),
            ("notes", record.notes or ""),
        ]
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
            if any(w.casefold() in not_names() for w in inner.split()):
                continue  # an editor's gloss ("the Chiang [Nationalist] regime"), no name
            if before and not inside:
                self._add(state, before, "text", inner_start, inner_end, inner, "alias")
                ends[inner_end] = before
            elif inside and not before:
                word = _last_name_before(text, m.start())
                if word and self.index.entities[inside].type == "person":
                    w_start, w_end, w_text = word
                    self._add(state, inside, "text", w_start, w_end, w_text, "alias")

    def _context(
        self, state: DocState, unresolved: list[tuple[str, Candidate]], day: str | None
    ) -> None:
        """A bare surname resolves to the person of this document who bears it."""
        for fld, cand in unresolved:
            if state.overlaps(fld, cand.start, cand.end):
                continue
            tokens = name_tokens(cand.text)
            if len(tokens) > 1 and cand.alone and all(len(t) == 1 for t in tokens[:-1]):
                known = self._same_person_by_initials(cand.text, state, authority_only=True)
                if known:
                    self._add(state, known, fld, cand.start, cand.end, cand.text, "context")
                continue
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
        candidates = [
            c
            for c in self.index.by_surname(token, famous_only=False)
            if self.index.entities[c].origin == "authority"
        ]
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
    ) -> list[tuple[str, int, int]]:
        """The sentences that still hold unknown name-like words, in the text, the title
        and the summary: the recognizer's input, as (field, start, end)."""
        from spacy.lang.en.stop_words import STOP_WORDS  # spaCy is loaded only with NER on

        lower_words = set(re.findall(r"\b[a-z][a-z'’-]+\b", record.text))
        windows: list[tuple[str, int, int]] = []
        for fld, cand in unresolved:
            if state.overlaps(fld, cand.start, cand.end):
                continue
            word = cand.text.casefold()
            # A capitalized common word ("The", "Secretary" where "secretary" also occurs)
            # needs no recognizer: only the sentences with unknown name-like words go to it.
            if word in not_names() or word in STOP_WORDS or word in lower_words:
                continue
            acronym = cand.text.isupper() and cand.text.isalpha() and 3 <= len(cand.text) <= 6
            if (cand.text.isupper() and not acronym) or len(word) < 2:
                continue
            if word.endswith(COMMON_ENDINGS):
                continue
            start, end = _sentence_around(_field_text(record, fld), cand.start, cand.end)
            last = windows[-1] if windows else None
            if last and last[0] == fld and start <= last[2]:
                windows[-1] = (fld, last[1], max(end, last[2]))
            else:
                windows.append((fld, start, end))
        return windows

    def _recognize(self, state: DocState, record: Record, spans: list[tuple[str, NerSpan]]) -> None:
        """New people, places and organizations from the recognizer's spans.

        The recognizer's label is a hint: the shape of the name decides where it is
        clear (a Korean surname and given name is a person, whatever the label).
        """
        single_counts = Counter(
            s.text for _, s in spans if s.type == "person" and " " not in s.text
        )
        # Where the recognizer or the index saw people and places, by field: a name
        # listed with them is one of them ("Pauker and Luca", "Tbilisi, Erevan").
        people_at: dict[str, list[tuple[int, int]]] = {}
        places_at: dict[str, list[tuple[int, int]]] = {}
        seen = {"person": people_at, "place": places_at}
        for fld, span in spans:
            if span.type in seen:
                seen[span.type].setdefault(fld, []).append((span.start, span.end))
        for h in state.hits.values():
            if h.type in seen:
                for m in h.mentions:
                    seen[h.type].setdefault(m.field, []).append((m.start, m.end))
        # A surname of a person the document names in full is that person wherever it
        # stands alone ("Stalin turned to Montgomery"), not a place of the same name.
        surnames = {
            name_tokens(span.text)[-1]
            for _, span in spans
            if span.type == "person"
            and len(name_tokens(span.text)) > 1
            and not _world_place(span.text.split()[-1], big=True)
        } | {
            self.index.entities[h.id].surname() or ""
            for h in state.hits.values()
            if h.type == "person"
        }
        for fld, span in spans:
            text = _field_text(record, fld)
            cleaned = _clean_span(text, span)
            if cleaned is None:
                continue
            start, end, surface = cleaned
            if state.overlaps(fld, start, end):
                continue
            etype = _type_by_shape(surface, span.type, text, start)
            if etype not in ("person", "place", "organization"):
                continue
            if (
                etype != "person"
                and " " not in surface
                and name_tokens(surface)[-1:]
                and (name_tokens(surface)[-1] in surnames)
            ):
                continue  # left to the context: the person of this document
            if (
                etype != "person"
                and len(surface.split()) <= 3
                and not _world_place(surface)
                and not self.index.lookup(surface, authority_only=True)
                and _coordinated_with(text, start, end, people_at.get(fld, []))
            ):
                etype = "person"
            ids = self._settled(self.index.lookup(surface), state)
            if len(ids) == 1:
                self._add(state, ids[0], fld, start, end, surface, "ner", 0.9)
                continue
            tokens = name_tokens(surface)
            if etype == "person" and len(tokens) == 1:
                if self._surname_in_document(tokens[0], state):
                    continue  # a bare surname of someone here: decided in context, or not at all
                if any(self.index.entities[h].surname() == tokens[0] for h in state.hits):
                    continue
            listed = etype == "place" and _coordinated_with(
                text, start, end, places_at.get(fld, [])
            )
            if ids or not (
                listed or _plausible(etype, surface, text, start, single_counts, record.text)
            ):
                continue
            known = self._same_person_by_initials(surface, state) if etype == "person" else None
            if known:
                self._add(state, known, fld, start, end, surface, "ner", 0.7)
                continue
            entity_id = self._discovered(etype, surface)
            self._add(state, entity_id, fld, start, end, surface, "ner", 0.7)

    def _institutions(self, state: DocState, record: Record) -> None:
        """Organizations named by an institution's head noun that the recognizer missed:
        "British Embassy", "Office of Eastern European Affairs", "Council of Foreign
        Ministers", and bodies named by one word ("Politburo") where it is capitalized
        mid-sentence. Common words are no names; names built from them are."""
        words = institutions()
        for fld in ("text", "title", "summary", "notes"):
            text = _field_text(record, fld)
            for toks in _split_at_and(runs(text, tokenize(text)), words["heads"]):
                while toks and (
                    toks[0].word.casefold() in {"the", "a", "an"} or TITLES.match(toks[0].text)
                ):
                    toks = toks[1:]
                # "Director of the Office of ...": the office holder's title is no part
                # of the body's name; nor is a person named right after it ("... Affairs
                # Thurston"), found by then.
                while (
                    len(toks) > 2
                    and toks[0].word.casefold() in words["offices"]
                    and (toks[1].word in JOINERS)
                ):
                    toks = toks[1:]
                    while toks and toks[0].word in JOINERS:
                        toks = toks[1:]
                while toks and (
                    toks[-1].word in JOINERS or state.overlaps(fld, toks[-1].start, toks[-1].end)
                ):
                    toks = toks[:-1]
                if not toks:
                    continue
                folded = [t.word.casefold() for t in toks]
                if len(toks) == 1:
                    if folded[0] not in words["single"] or _sentence_initial(text, toks[0].start):
                        continue
                elif not any(f in words["heads"] for f in folded) or all(
                    f in words["heads"] or f in JOINERS for f in folded
                ):
                    continue
                start, end, surface = mention_surface(text, toks)
                if state.overlaps(fld, start, end) or any(ch.isdigit() for ch in surface):
                    continue
                ids = self._settled(self.index.lookup(surface), state)
                entity_id = ids[0] if len(ids) == 1 else None
                if entity_id is None and not ids:
                    entity_id = self._discovered("organization", surface)
                if entity_id is not None:
                    self._add(state, entity_id, fld, start, end, surface, "rule", 0.7)

    def _office_holders(self, state: DocState, record: Record) -> None:
        """The office holder FRUS names in parentheses ("The Ambassador in Chile
        (Bowers)", "the British Ambassador (Halifax)") is a person, whatever the
        recognizer would say of the word alone."""
        found: list[tuple[str, int, int, str]] = []
        for fld in ("title", "text", "notes"):
            text = _field_text(record, fld)
            for m in PARENTHESIZED.finditer(text):
                if m.group(1).isupper():
                    continue  # "(CINCFE)", "(SCAP)": the office's own abbreviation
                if _in_parentheses_after_office(text, m.start(1), len(m.group(1))):
                    found.append((fld, m.start(1), m.end(1), m.group(1)))
        self._layout_people(state, record, found)

    def _titled_people(
        self, state: DocState, record: Record, unresolved: list[tuple[str, Candidate]]
    ) -> None:
        """A word no one resolved that the sentence makes a person: a person's title before
        it ("Minister Heath", "Mr. Henry", "Lord Halifax"), or a verb of speech or "who"
        after it ("Estimé said", "Gaillard who"). And a name followed by its office in
        apposition ("Dumarsais Estimé, President of Haiti", the way FRUS footnotes
        identify people)."""
        found = []
        people = {
            fld: [
                (m.start, m.end)
                for h in state.hits.values()
                if h.type == "person"
                for m in h.mentions
                if m.field == fld
            ]
            for fld in ("text", "title", "summary", "notes")
        }
        for fld, cand in unresolved:
            tokens = name_tokens(cand.text)
            initialled = len(tokens) > 1 and all(len(t) == 1 for t in tokens[:-1])
            if state.overlaps(fld, cand.start, cand.end) or not cand.alone:
                continue
            if " " in cand.text and not initialled:
                continue
            text = _field_text(record, fld)
            titled = PERSON_TITLE_BEFORE.search(text[max(0, cand.start - 14) : cand.start])
            speaks = SPEECH_AFTER.match(text[cand.end : cand.end + 20])
            listed = _coordinated_with(text, cand.start, cand.end, people.get(fld, []))
            if not (titled or speaks or listed):
                continue
            surname = cand.text.split()[-1]
            if any(
                part.casefold() in institutions()["offices"] or TITLES.match(part)
                for part in surname.split("-")
            ):
                continue  # "Director said", "Minister-Counselor": an office, no name
            if (
                cand.text.isupper()
                or _is_country(surname)
                or (not titled and _world_place(surname))
                or not _distinct_word(surname, record.text)
                or text[cand.end : cand.end + 1] == "-"
            ):
                continue
            found.append((fld, cand.start, cand.end, cand.text))
        for fld in ("text", "notes"):
            text = _field_text(record, fld)
            for m in APPOSITION.finditer(text):
                start, name = m.start("name"), m.group("name")
                words = name.split()
                while words and TITLES.match(words[0]):
                    start += len(words[0]) + 1
                    words = words[1:]
                name = " ".join(words)
                if (
                    not words
                    or m.group("office").casefold() not in institutions()["offices"]
                    or any(w.casefold() in not_names() for w in words)
                    or _world_place(name)
                    or (len(words) == 1 and not _distinct_word(name, record.text))
                ):
                    continue
                found.append((fld, start, start + len(name), name))
        self._layout_people(state, record, found)

    def _placed_world_places(
        self, state: DocState, record: Record, unresolved: list[tuple[str, Candidate]]
    ) -> None:
        """A city, state or country of the GeoNames list that no one resolved, standing where
        a place stands ("arms to Tunis", "in Michigan and Minnesota"), is that place."""
        for fld, cand in unresolved:
            if state.overlaps(fld, cand.start, cand.end) or not _world_place(cand.text):
                continue
            text = _field_text(record, fld)
            before = text[max(0, cand.start - 20) : cand.start]
            strong = LOCATIVE_BEFORE.search(before) or REPEATED_TO.search(before)
            weak = PLACE_BEFORE.search(before) and (
                not _is_city(cand.text) or _world_place(cand.text, big=True)
            )
            if not (strong or weak):
                continue
            ids = self.index.lookup(cand.text, ("place",), authority_only=True)
            entity_id = ids[0] if len(ids) == 1 else None
            if entity_id is None and not ids:
                entity_id = self._discovered("place", cand.text)
            if entity_id is not None:
                self._add(state, entity_id, fld, cand.start, cand.end, cand.text, "gazetteer", 0.7)

    def _signature(self, state: DocState, record: Record) -> None:
        """The signature standing alone on one of the text's last lines ("Walmsley",
        "[Reber]") is a person."""
        found: list[tuple[str, int, int, str]] = []
        lines = [m for m in re.finditer(r"[^\n]+", record.text) if m.group().strip()]
        for k, m in enumerate(lines):
            if m.group().strip().casefold().rstrip(":") in APPARATUS_HEADINGS:
                lines = lines[:k]  # the signature stands above the notes
                break
        for m in lines[-3:]:
            sig = SIGNATURE_LINE.match(m.group())
            if not sig:
                continue
            name = sig.group(1)
            if " " not in name and (
                name.isupper()
                or not _distinct_word(name, record.text)
                or name.casefold().endswith(COMMON_ENDINGS)
            ):
                # "CINCFE", "III", "Recommendations": a known person's name or nothing
                if (
                    name.isupper()
                    and not ROMAN.match(name)
                    and self._person_for(name, state, record.date_start)
                ):
                    found.append(("text", m.start() + sig.start(1), m.start() + sig.end(1), name))
                continue
            found.append(("text", m.start() + sig.start(1), m.start() + sig.end(1), name))
        self._layout_people(state, record, found)

    def _layout_people(
        self, state: DocState, record: Record, found: list[tuple[str, int, int, str]]
    ) -> None:
        """Resolve names the layout says are people: to the authority's or this
        document's person, else a discovered one."""
        for fld, start, end, name in found:
            words = name.split()
            if state.overlaps(fld, start, end) or any(
                w.casefold().strip(".") in not_names() for w in words
            ):
                continue
            if any(
                self.index.entities[i].type != "person"
                for i in self.index.lookup(name, authority_only=True)
            ):
                continue
            entity_id = self._person_for(name, state, record.date_start)
            if entity_id is None and len(name_tokens(name)) > 1:
                entity_id = self._same_person_by_initials(name, state)
            if entity_id is None:
                entity_id = self._discovered("person", name)
            self._add(state, entity_id, fld, start, end, name, "layout", 0.8)

    def _dateline_place(self, state: DocState, record: Record) -> None:
        """The place the dateline names ("Caracas, November 23, 1948") is a place."""
        name = (record.place or "").strip()
        if not name or state.overlaps("place", 0, len(name)) or name.casefold() in not_names():
            return
        ids = self.index.lookup(name, ("place",), authority_only=True)
        entity_id = ids[0] if len(ids) == 1 else None
        if entity_id is None and not ids:
            entity_id = self._discovered("place", name)
        if entity_id is not None:
            self._add(state, entity_id, "place", 0, len(name), name, "dateline", 0.9)

    def _settled(self, ids: list[str], state: DocState) -> list[str]:
        """Of the entities a name may mean, those a document may decide on by itself: the
        authority file's and its own. What other documents discovered is left aside, so
        that the order in which files come in changes nothing."""
        return [i for i in ids if self.index.entities[i].origin == "authority" or i in state.hits]

    def _same_person_by_initials(
        self, surface: str, state: DocState, authority_only: bool = False
    ) -> str | None:
        """A person already known by the same surname and compatible given names or
        initials ("P. Grishaev", "P. A. Grishaev", "Pavel Grishaev"): only one may fit,
        and one of this document's people wins over the rest of the archive."""
        tokens = name_tokens(surface)
        if not tokens:
            return None
        surname, given = tokens[-1], tokens[:-1]
        fits = []
        for entity_id in self.index.by_surname(surname, famous_only=False):
            if self.index.entities[entity_id].origin != "authority" and (
                authority_only or entity_id not in state.hits
            ):
                continue
            other = [t for t in name_tokens(self.index.entities[entity_id].name)[:-1]]
            if _initials_agree(given, other):
                fits.append(entity_id)
        present = [f for f in fits if f in state.hits]
        if len(present) == 1:
            return present[0]
        return fits[0] if len(fits) == 1 else None

    def _discovered(self, etype: str, name: str) -> str:
        """The identity of a name the authority file lacks: the one another document
        discovered with the same type and id, or a new one. The id is made from the name
        alone, so every order of ingest gives the same identity (see ``discovered_id``)."""
        entity_id = discovered_id(etype, name)
        known = self.index.entities.get(entity_id)
        if known is not None and known.origin != "authority" and known.type == etype:
            return entity_id
        return self._new_entity(etype, name)

    def _new_entity(self, etype: str, name: str) -> str:
        """A new identity for a name the authority file lacks, remembered for later records."""
        base = discovered_id(etype, name)
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
                found = self._office_holder_named(named, day) or self._person_for(
                    named.name, state, day
                )
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

    def _office_holder_named(self, named: EntityRef, day: str | None) -> str | None:
        """ "The Ambassador in France (Bruce)": of the people the surname may name, the one
        the authority file records in that office on the document's date."""
        if not named.via or named.via == "signature" or len(name_tokens(named.name)) != 1:
            return None
        holders = [
            eid
            for eid, _ in self.index.office_holders(named.via, day)
            if self.index.entities[eid].surname() == name_tokens(named.name)[0]
        ]
        return holders[0] if len(holders) == 1 else None

    def _person_for(self, name: str, state: DocState, day: str | None = None) -> str | None:
        inner = re.search(r"\[([^\]]+)\]", name)
        candidates = [name] if not inner else [re.sub(r"\s*\[[^\]]*\]", "", name), inner.group(1)]
        for candidate in candidates:
            ids = self._settled(self.index.lookup(candidate, ("person",)), state)
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
                by_office = self._surname_by_evidence(candidate, state, day)
                if by_office:
                    return by_office
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


def _shorter_forms(name: str) -> list[str]:
    """A name as written, then without a leading office ("Foreign Minister von Brentano")
    and a trailing suffix ("E. R. Stettinius, Jr.")."""
    forms = [name]
    words = name.replace(",", " ").split()
    while words and words[-1].casefold().strip(".") in {"jr", "sr", "ii", "iii"}:
        words = words[:-1]
    while len(words) > 1 and (
        words[0].casefold().strip(".") in not_names() or TITLES.match(words[0])
    ):
        words = words[1:]
    short = " ".join(words)
    if short and short != name:
        forms.append(short)
    return forms


def discovered_id(etype: str, name: str) -> str:
    """The id of a discovered name, made from the name alone. A person of two or more
    name words gets the romanization-folded form of the first word and of the rest
    written together, so that "Ri Chang-hyon" and "Ri Chang Hyeon" (person-ri-janghyon),
    "Zhao Mingshan" and "Chao Ming-shan", "Arkady Dorofeev" and "Arkadii Dorofeyev",
    "Jean de Matha Thomas" and "Jean Dematha Thomas" meet whatever the order of ingest;
    other names get their slug (case and accents folded)."""
    prefix = etype if etype != "organization" else "org"
    tokens = name_tokens(name)
    if etype == "person" and len(tokens) >= 2:
        return f"{prefix}-{phonetic_key(tokens[0])}-{phonetic_key(''.join(tokens[1:]))}"
    return f"{prefix}-{slugify(name)}"


def _years_of_people(tables: EntityTables) -> dict[str, set[int]]:
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


def _near_in_time(a: set[int] | None, b: set[int] | None, origin: str) -> bool:
    """Two names of one person are written within a few years of each other (the
    authority file's people are known to be the ones meant, at any date)."""
    if origin == "authority" or not a or not b:
        return origin == "authority" or (not a and not b)
    return min(abs(x - y) for x in a for y in b) <= NEAR_YEARS


def _last_word_whole(short: str, full: str) -> bool:
    """The surname is a whole word of the fuller name: "Franco" is not "Mello-Franco"."""
    last = re.split(r"[\s,]+", full.strip(" ,."))[-1].casefold().strip(".")
    return "-" not in last or last in short.casefold()


def _abbreviates(short: list[str], full: list[str]) -> bool:
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
    if len(given) > len(other) or not _initials_agree(given, other):
        return False
    return any(len(a) == 1 and len(b) > 1 for a, b in zip(given, other, strict=False)) or len(
        given
    ) < len(other)


def _skeleton(name: str) -> str:
    """A name's consonants after romanization folding (x written ks): its transliterations
    differ mostly in vowels."""
    key = phonetic_key(name).replace("x", "gs")
    return key[:1] + re.sub(r"[aeiouy]", "", key[1:])


PATRONYMIC = re.compile(r"(?:ovich|evich|ovitch|evitch|ich|ovna|evna|ichna)$")


def _initials_agree(a: list[str], b: list[str]) -> bool:
    """Whether two lists of given names or initials can name one person. A Russian
    patronymic may be left out ("Kliment Voroshilov", "Klimentiy Efremovich Voroshilov"),
    and a given name may be spelled otherwise ("Kliment", "Klimentiy")."""
    if len(a) != len(b):
        a = [x for x in a if len(x) == 1 or not PATRONYMIC.search(x)] or a
        b = [y for y in b if len(y) == 1 or not PATRONYMIC.search(y)] or b
    for x, y in zip(a, b, strict=False):
        if x[0] != y[0]:
            return False
        if len(x) > 1 and len(y) > 1 and not _same_given_name(x, y):
            return False
    return True


def _same_given_name(x: str, y: str) -> bool:
    """Spellings of one given name: "Kliment"/"Klimentiy", "Alexander"/"Aleksandr"."""
    if x == y or phonetic_key(x) == phonetic_key(y) or _skeleton(x) == _skeleton(y):
        return True
    short, long_ = sorted((x, y), key=len)
    return len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 2


def _sentence_around(text: str, start: int, end: int, reach: int = 160) -> tuple[int, int]:
    """The sentence (or at most ``reach`` characters each way) around a span.

    A full stop after an abbreviation or an initial ("Mr. Harlan", "Everett W. Drake",
    "Gen. Clark") ends no sentence: the recognizer must see the whole name.
    """
    lo = max(0, start - reach)
    hi = min(len(text), end + reach)
    ends = [m.end() for m in STOP.finditer(text, lo, hi) if _ends_sentence(text, m.start())]
    s = max((e for e in ends if e <= start), default=lo)
    e = min((e for e in ends if e > end), default=hi)
    return s, e


def _ends_sentence(text: str, at: int) -> bool:
    if text[at] != ".":
        return True
    m = re.search(r"[\w.]+$", text[max(0, at - 12) : at])
    return m is None or ABBREVIATION.fullmatch(m.group()) is None


def _field_text(record: Record, fld: str) -> str:
    if fld == "title":
        return record.title or ""
    if fld == "summary":
        return record.summary or ""
    if fld == "notes":
        return record.notes or ""
    return record.text


# A telegraphic code word with capitals inside ("AusPolAd", "SecState", "DelGA"), not a
# name: "Mc", "Mac", "De" and the like begin names written so.
TELEGRAPHIC = re.compile(r"^(?!Mc|Mac|De|Di|Du|La|Le|Van|Von|O’|O')[A-Z][a-z]+[A-Z]")


def _clean_span(text: str, span: NerSpan) -> tuple[int, int, str] | None:
    """Trim a recognizer's span to the name: no leading article or title, no 's."""
    toks = [t for t in tokenize(text[span.start : span.end])]
    if not toks:
        return None
    while toks and (
        toks[0].word.casefold() in {"the", "a", "an"}
        or TITLES.match(toks[0].text)
        or TELEGRAPHIC.match(toks[0].word)
    ):
        toks = toks[1:]
    if not toks:
        return None
    start = span.start + toks[0].start
    end = span.start + toks[-1].end
    surface = text[start:end]
    joined = re.match(r"-[A-Z][\w'’]+", text[end : end + 30])
    if joined:
        end += joined.end()  # "Czerny-Stefanska": the recognizer stopped at the hyphen
        surface = text[start:end]
    for suffix in ("'s", "’s", "."):
        if surface.endswith(suffix):
            surface = surface[: -len(suffix)]
            end -= len(suffix)
    if "\n" in surface or not surface:
        return None
    return start, end, surface


def _plausible(
    etype: str, surface: str, text: str, start: int, singles: Counter, body: str
) -> bool:
    """Whether a recognized name, unknown to the index, is worth a new identity.

    Common words are no names, but names built from them are ("Security Council"): a word
    of ``not_names`` rejects a span only when the span is that word alone (or, for a
    person, holds it). A one-word person needs the document's context: a title or a role
    before it ("Typed by", "From", "(" after an office), a line to itself (a signature), or
    a second mention. A one-word place must be no common word
    of the document and stands where a place stands ("in Trieste"); a one-word organization
    must be an acronym ("NATO"): the recognizer often takes a surname for one.
    """
    words = surface.split()
    if not words or len(words) > 6 or len(surface) < 3:
        return False
    folded = [w.casefold().strip(".,") for w in words]
    if not all(w[:1].isupper() for w, f in zip(words, folded, strict=True) if f not in JOIN_WORDS):
        return False
    if etype != "person":
        if len(words) >= 2:
            return not all(f in not_names() or f in JOIN_WORDS for f in folded)
        if etype == "organization":
            return surface.isupper() and surface.isalpha()  # an acronym: "NATO", "SHAEF"
        return _distinct_word(surface, body) and (
            _placed(text, start, len(surface)) or _world_place(surface)
        )
    if any(f in not_names() for f in folded):
        return False
    if any(ch.isdigit() for ch in surface) or surface.isupper():
        return False
    if len(words) == 1:
        if _world_place(surface) and (_is_country(surface) or not _has_role_before(text, start)):
            return False
        return (
            _distinct_word(surface, body)
            and (
                _has_role_before(text, start)
                or _on_own_line(text, start, surface)
                or not _sentence_initial(text, start)
            )
        ) or singles[surface] >= 2
    return True


def _split_at_and(found: list[list[Tok]], heads: frozenset[str]) -> list[list[Tok]]:
    """ "Security Council and the Trusteeship Council" is two bodies: a run is cut at "and"
    where the words on both sides name a body ("Division of Central America and Panama
    Affairs" stays whole)."""
    out: list[list[Tok]] = []
    for run in found:
        cut = [k for k, t in enumerate(run) if t.word == "and"]
        parts, last = [], 0
        for k in cut:
            parts.append(run[last:k])
            last = k + 1
        parts.append(run[last:])
        if len(parts) > 1 and all(any(t.word.casefold() in heads for t in p) for p in parts):
            out.extend(parts)
        else:
            out.append(run)
    return out


def _sentence_initial(text: str, start: int) -> bool:
    """Whether a word opens its sentence or line (where any word is capitalized)."""
    before = text[max(0, start - 4) : start].rstrip(" \t\"“‘'(")
    return not before or before[-1] in ".!?:;\n"


JOIN_WORDS = {"of", "the", "and", "for", "de", "du", "la", "von", "van", "der", "al"}
ROLE_BEFORE = re.compile(r"(?:\b(?:[Bb]y|[Ff]rom|FROM|[Ff]or|FOR|[Ss]igned|[Ss]igned:)|[(\[])\s*$")
KOREAN_GIVEN = re.compile(r"^[A-Z][a-z]{0,5}-[a-z]{1,5}$")
RUSSIAN_SURNAME = re.compile(
    r"(?:ov|ev|yov|in|yn|sky|skiy|skii|enko|ova|eva|ina|skaya|vich|yan|dze|shvili|uk|chuk)$"
)
INITIALS = re.compile(r"^(?:[A-Z]\. ?){1,3}(?=[A-Z][a-z])")


def _distinct_word(word: str, body: str) -> bool:
    """A capitalized word that the document never writes in lower case, and no stop word."""
    from spacy.lang.en.stop_words import STOP_WORDS

    low = word.casefold()
    if low in not_names() or low in STOP_WORDS or len(low) < 3:
        return False
    return re.search(r"(?<![\w-])" + re.escape(low) + r"(?![\w-])", body) is None


PLACE_BEFORE = re.compile(
    r"\b(?:in|at|to|from|near|via|across|into|toward|towards|of|around|outside|inside)\s+"
    r"(?:the\s+)?$",
    re.I,
)


def _placed(text: str, start: int, length: int) -> bool:
    """A one-word place where the sentence gives it a place's role: after a locative
    preposition ("in Trieste", "to Caserta"), or heading a dateline ("Vienna, May 2")."""
    if PLACE_BEFORE.search(text[max(0, start - 20) : start]):
        return True
    after = text[start + length : start + length + 40]
    line_start = text.rfind("\n", 0, start) + 1
    return not text[line_start:start].strip() and re.match(r",\s+\w+ \d", after) is not None


def _has_role_before(text: str, start: int) -> bool:
    before = text[max(0, start - 30) : start]
    words = before.split()
    if words and TITLES.match(words[-1]):
        return True
    return ROLE_BEFORE.search(before) is not None


def _on_own_line(text: str, start: int, surface: str) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line = text[line_start : line_end if line_end >= 0 else len(text)].strip()
    return line.rstrip(".") == surface


def _type_by_shape(surface: str, label: str, text: str, start: int) -> str:
    """The recognizer's label, corrected where the name's shape is clear: a Korean surname
    with a given name, initials before a surname, or a Russian surname after a role word."""
    words = surface.split()
    if label != "person" and PERSON_TITLE_BEFORE.search(text[max(0, start - 14) : start]):
        return "person"  # "Lord Halifax", "Marshal Montgomery": a title names a person
    if SHIP.match(surface):
        return "vessel"  # "H.M.S. Sheffield": no person, and no entity type of ours
    if label == "organization" and _world_place(surface):
        return "place"  # "Santiago, June 15": an organization named like a city is rare
    if len(words) == 1 and REPEATED_TO.search(text[max(0, start - 20) : start]):
        return "place"  # "Repeated to Caserta", "repeated Vienna 62": a post
    if (
        label == "person"
        and len(words) == 1
        and text[max(0, start - 4) : start] == "the "
        and _next_word(text, start + len(surface)) not in NAMED_AFTER
    ):
        return "unknown"  # "the Azores": one word after an article names no person
    if label != "person" and (
        _role_after(text, start + len(surface))
        or _in_parentheses_after_office(text, start, len(surface))
    ):
        return "person"  # "Karpathy, Deputy Foreign Minister"; "the Ambassador in Chile (Bowers)"
    if label == "person":
        if words[-1].casefold().strip(".,") in ORG_HEADS:
            return "organization"  # "J. B. Lippincott Company"
        if _world_place(surface, big=True) and (
            _is_country(surface) or not _has_role_before(text, start)
        ):
            return "place"  # "Bogotá", "Chile": the recognizer's person is a place
        after = text[start + len(surface) : start + len(surface) + 2]
        if (
            len(words) == 1
            and LOCATIVE_BEFORE.search(text[max(0, start - 16) : start])
            and not after.startswith(("'", "’"))
        ):
            return "place"  # "at Caserta", "near Trieste"
        return label
    if _korean_personal_name(words):
        return "person"
    if INITIALS.match(surface) and len(words) <= 4 and words[-1].casefold() not in STOP_NOUNS:
        return "person"
    if (
        2 <= len(words) <= 3
        and all(w[:1].isupper() and w[1:].islower() for w in words)
        and RUSSIAN_SURNAME.search(words[-1])
        and not any(w.casefold() in not_names() or w.casefold() in GEO_TAILS for w in words)
        and not any(w.casefold() in institutions()["heads"] for w in words)
    ):
        return "person"  # "Nikola Petkov", "Dimiter Gitchev": a given name and a Slavic surname
    if (
        len(words) == 1
        and RUSSIAN_SURNAME.search(surface)
        and _has_role_before(text, start)
        and not text[max(0, start - 3) : start].endswith(("(", "["))
    ):
        return "person"
    return label


# Nouns a person's name qualifies after "the": "the Oatis case", "the Rajk reburial".
NAMED_AFTER = {
    "case",
    "affair",
    "trial",
    "trials",
    "reburial",
    "funeral",
    "regime",
    "government",
    "plan",
    "doctrine",
    "group",
    "line",
    "mission",
    "visit",
    "talks",
    "report",
    "proposal",
    "administration",
    "era",
    "family",
    "faction",
    "cabinet",
}


def _next_word(text: str, end: int) -> str:
    m = re.match(r"\s+([a-z]+)", text[end : end + 30])
    return m.group(1) if m else ""


PERSON_TITLE_BEFORE = re.compile(
    r"\b(?:(?:Mr|Mrs|Ms|Dr|Gen|Col|Adm|Sen|Cde|Mme|Prof|Capt|Maj)\.?|Miss|Minister|"
    r"Ambassador|General|Colonel|Admiral|Senator|Marshal|Comrade|Lord|Sir|Lady|Father|"
    r"Cardinal|Bishop|Madame|Monsieur|Herr|Señor|Senhor|Professor|Captain|Major)\s+$"
)
SPEECH_AFTER = re.compile(
    r"^\s+(?:said|says|stated|told|replied|asked|added|remarked|observed|explained|"
    r"declared|insisted|agreed|suggested|commented|indicated|inquired|answered|reported|"
    r"noted|urged|warned|proposed|promised|emphasized|emphasised|expressed|mentioned|"
    r"responded|wrote|thought|believed|felt|who)\b"
)
# "Name, the Office ..." / "Name, Adjective Office ...": a name and its office in apposition.
APPOSITION = re.compile(
    r"(?:^|(?<=[\s(\[\]]))(?P<name>(?:[A-Z][\w'’.-]+ ){0,3}[A-Z][\w'’-]+), (?:the )?"
    r"(?:[A-Z][\w'’-]+ ){0,3}(?P<office>[A-Z][a-zé]+)\b"
)
REPEATED_TO = re.compile(r"\b(?:[Rr]epeated|[Rr]ptd|[Ss]ent|[Ii]nfo)\s+(?:to\s+)?$")
LOCATIVE_BEFORE = re.compile(r"\b(?:in|at|near|via|across|into|off|outside|inside)\s+(?:the\s+)?$")
# Words after an initial that make it a list label ("Annex D. Study"), not a name.
STOP_NOUNS = {"study", "annex", "section", "part", "paragraph", "article", "appendix", "map"}
SHIP = re.compile(r"^(?:H\.?\s?M\.?\s?S|U\.?\s?S\.?\s?S|S\.?\s?S|R\.?\s?M\.?\s?S)\.?\s")
ORG_HEADS = {
    "company",
    "corporation",
    "corp",
    "inc",
    "ltd",
    "bank",
    "press",
    "university",
    "institute",
    "society",
    "association",
    "agency",
    "council",
    "commission",
    "committee",
    "party",
    "ministry",
    "embassy",
    "legation",
}


ROMAN = re.compile(r"^[IVXLC]+$")
APPARATUS_HEADINGS = {"notes", "footnotes", "endnotes", "references", "sources"}
PARENTHESIZED = re.compile(r"\(([A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+){0,2})\)")
SIGNATURE_LINE = re.compile(
    r"^\s*\[?([A-Z][\w'’-]+(?: (?:[A-Z]\.)+)?(?: [A-Z][\w'’-]+){0,2})\]?\.?\s*$"
)


def _role_after(text: str, end: int) -> bool:
    """A name followed by its office in apposition: ", Deputy Foreign Minister"."""
    if not text.startswith(", ", end):
        return False
    phrase = re.split(r"[,.;:()\n]", text[end + 2 : end + 62], maxsplit=1)[0]
    words = phrase.split()[:5]
    if not words or not (words[0][:1].isupper() or words[0] == "the"):
        return False
    return any(w.casefold().strip("’'s") in institutions()["offices"] for w in words)


def _in_parentheses_after_office(text: str, start: int, length: int) -> bool:
    """FRUS names an office holder in parentheses: "The Ambassador in Chile (Bowers)"."""
    if text[start + length : start + length + 1] != ")":
        return False
    before = text[max(0, start - 70) : start]
    return any(
        w.casefold().strip(".,") in institutions()["offices"]
        for w in re.findall(r"[A-Za-zé]+", before.rsplit("(", 1)[0])[-8:]
    ) and before.endswith("(")


def _world_place(surface: str, big: bool = False) -> bool:
    """A country, a US state, or a city of 100,000 people (300,000 with ``big``: a city
    that a surname rarely shadows), by the GeoNames list."""
    found = world_places().get(surface)
    if found is None:
        return False
    kind, population = found
    return kind != "city" or population >= (300_000 if big else 100_000)


def _is_city(surface: str) -> bool:
    return world_places().get(surface, ("", 0))[0] == "city"


def _is_country(surface: str) -> bool:
    return world_places().get(surface, ("", 0))[0] == "country"


COORDINATED = re.compile(r"^(?:\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*|\s+to\s+)$")


def _coordinated_with(text: str, start: int, end: int, people: list[tuple[int, int]]) -> bool:
    """A name listed with a person ("Pauker and Luca", "Gero, Farkas, Hazi"): one of them."""
    for a, b in people:
        between = text[b:start] if b <= start else text[end:a] if a >= end else None
        if between is None or not COORDINATED.match(between):
            continue
        if between.strip() != "to":
            return True
        first = min(a, start)  # "from Beam to Murphy": a memorandum's two parties
        if text[max(0, first - 5) : first] == "from ":
            return True
    return False


def _korean_personal_name(words: list[str]) -> bool:
    """'Yun Ki-bok', 'Han Sol Mi': a Korean surname, then a given name of two syllables."""
    if len(words) not in (2, 3) or words[0] not in korean_surnames():
        return False
    given = words[1:]
    if len(given) == 1:
        return KOREAN_GIVEN.match(given[0]) is not None
    return all(
        g[:1].isupper() and g[1:].islower() and len(g) <= 5 and g.casefold() not in GEO_TAILS
        for g in given
    )


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
