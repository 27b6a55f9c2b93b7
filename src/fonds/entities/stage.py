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
from array import array
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from fonds.entities.authority import AuthorityEntry, bundled_entries, load_file
from fonds.entities.evidence import (
    APPARATUS_HEADINGS,
    APPOSITION,
    LOCATIVE_BEFORE,
    NO_SPANS,
    PARENTHESIZED,
    PERSON_TITLE_BEFORE,
    PLACE_BEFORE,
    REPEATED_TO,
    ROMAN,
    SIGNATURE_LINE,
    SPEECH_AFTER,
    Spans,
    clean_span,
    coordinated_with,
    distinct_word,
    in_parentheses_after_office,
    is_city,
    is_country,
    last_name_before,
    office_before,
    plausible,
    sentence_around,
    sentence_initial,
    split_at_and,
    type_by_shape,
    words_of,
    world_place,
)
from fonds.entities.index import KnownEntity, NameIndex, entity_from_authority
from fonds.entities.lexicon import institutions, not_names, stop_words
from fonds.entities.mentions import (
    JOINERS,
    TITLES,
    Candidate,
    Tok,
    find_candidates,
    pieces,
    runs,
)
from fonds.entities.mentions import surface as mention_surface
from fonds.entities.names import (
    discovered_id,
    initials_agree,
    name_tokens,
    plain_key,
)
from fonds.entities.ner import NerModel, NerSpan, load_ner
from fonds.entities.settle import (
    display_names,
    fullest_names,
    links,
    years_of_people,
)
from fonds.entities.turns import find_turns, participant_roles
from fonds.model import EntityHit, EntityRef, Mention, Record
from fonds.store import open_store, store_exists
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
FIELDS = ("text", "title", "summary", "notes")  # the fields of a record names are found in
KEEP_RUNS_CHARS = 1_000_000  # a field's runs of capitalized words kept for a second rule
OFFICE_CONFIDENCE = 0.9


@dataclass
class DocState:
    """What the stage learns about one record while annotating it."""

    hits: dict[str, EntityHit] = field(default_factory=dict)
    taken: dict[str, bytearray] = field(default_factory=dict)  # a bit a character: in a mention?
    # People by the next-to-last word of a mention of three words or more ("Trujillo" of
    # "Rafael Leonidas Trujillo Molina"), kept as mentions are added: no rescan per name.
    next_to_last: dict[str, list[str]] = field(default_factory=dict)  # in order of mention
    people_by_surname: dict[str, list[str]] = field(default_factory=dict)  # in order of hits
    name_runs: dict[str, list[list[Tok]]] = field(default_factory=dict)  # by field, read once

    def overlaps(self, fld: str, start: int, end: int) -> bool:
        mask = self.taken.get(fld)
        if mask is None or end <= start:
            return False
        low, high = start >> 3, ((end - 1) >> 3) + 1
        chunk = mask[low:high]
        if not any(chunk):  # the usual answer, without making a number of the bits
            return False
        bits = int.from_bytes(chunk, "little") >> (start & 7)
        return bits & ((1 << (end - start)) - 1) != 0

    def take(self, fld: str, start: int, end: int) -> None:
        """Mark a mention's characters as taken: a bit each, so that a volume's text of
        50 MB costs 6 MB of mask, not 50."""
        if end <= start:
            return
        low, high = start >> 3, ((end - 1) >> 3) + 1
        mask = self.taken.get(fld)
        if mask is None:  # made once (a default to setdefault would be made every time)
            mask = self.taken[fld] = bytearray(high)
        if len(mask) < high:  # grown by half again at least: not copied at every mention
            mask.extend(bytes(max(high - len(mask), len(mask) // 2)))
        bits = int.from_bytes(mask[low:high], "little") | (
            ((1 << (end - start)) - 1) << (start & 7)
        )
        mask[low:high] = bits.to_bytes(high - low, "little")

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


class Unresolved:
    """The capitalized spans of a record that the first pass left unresolved, in order,
    read as (field, candidate). Kept as arrays, not objects: a volume's text leaves a
    million of them, for the recognizer and the later rules to consult."""

    def __init__(self, record: Record) -> None:
        self.record = record
        self.fields = array("B")
        self.starts = array("q")
        self.ends = array("q")
        self.alone = bytearray()
        self.ids: dict[int, tuple[str, ...]] = {}  # the few with several possible ids

    def append(self, item: tuple[str, Candidate]) -> None:
        fld, cand = item
        if cand.ids:
            self.ids[len(self.alone)] = cand.ids
        self.fields.append(FIELDS.index(fld))
        self.starts.append(cand.start)
        self.ends.append(cand.end)
        self.alone.append(cand.alone)

    def __len__(self) -> int:
        return len(self.alone)

    def __iter__(self) -> Iterator[tuple[str, Candidate]]:
        texts = [_field_text(self.record, fld) for fld in FIELDS]
        for n, (f, a, b, alone) in enumerate(
            zip(self.fields, self.starts, self.ends, self.alone, strict=True)
        ):
            cand = Candidate(a, b, texts[f][a:b], self.ids.get(n, ()), bool(alone))
            yield FIELDS[f], cand


LINE = re.compile(r"[^\n]*\S[^\n]*")  # a line that is not blank
# A signature or a heading line is a few words: a longer line is prose, never copied out
# of a volume's text to be looked at whole.
SHORT_LINE = 200
Discovery = tuple[str, str, str]  # (entity id, type, name) of an identity made up here
RECOGNIZER_CHUNK = 1024  # passages read by the recognizer at a time (memory stays flat)


@dataclass
class Pending:
    """A batch of records between the first pass and the recognizer: what each record's
    first pass found, and the passages (field, start, end) the recognizer must read
    (None: no recognizer)."""

    records: list[Record]
    work: list[tuple[DocState, Iterable[tuple[str, Candidate]]]]
    windows: list[list[tuple[str, int, int]]] | None

    @property
    def count(self) -> int:
        return sum(len(w) for w in self.windows or [])

    def parts(self, size: int) -> Iterator[list[str]]:
        """The passages as text, in order over the batch, ``size`` at a time (a big
        document's passages are never all sliced at once)."""
        part: list[str] = []
        for record, wins in zip(self.records, self.windows or [], strict=True):
            for fld, a, b in wins:
                part.append(_field_text(record, fld)[a:b])
                if len(part) == size:
                    yield part
                    part = []
        if part:
            yield part


def store_discovered(tables: EntityTables, entity_id: str, etype: str, name: str) -> None:
    """Write an identity discovered in documents, and its name (each kept if present)."""
    tables.add_entity(entity_id, etype, name, "discovered", "{}")
    tables.add_name(entity_id, name, plain_key(name), "discovered")


class EntityStage:
    """Annotates records with entities and turns; one index shared across a run."""

    def __init__(self, index: NameIndex, tables: EntityTables | None, ner: NerModel | None) -> None:
        self.index = index
        self.tables = tables
        self.ner = ner
        # Identities this stage made up that no table holds yet (a worker's stage, which
        # only reads the archive): (id, type, name), for the writer to ``learn``.
        self.discovered: list[Discovery] = []

    # -- construction ------------------------------------------------------------------

    @classmethod
    def for_worker(cls, db_path: str, ner: str = "none") -> EntityStage:
        """A stage for a worker process of a parallel ingest: it knows the archive as it
        was when the run began and writes nothing; the identities it makes up are kept in
        ``discovered`` for the one writer (see ``fonds.parallel``)."""
        store = open_store(db_path, readonly=True) if store_exists(db_path) else None
        try:
            stage = cls.for_store(store, ner, sync=False)
        finally:
            if store is not None:
                store.close()
        stage.tables = None
        return stage

    def take_discovered(self) -> list[Discovery]:
        found, self.discovered = self.discovered, []
        return found

    def learn(self, discovered: list[Discovery]) -> None:
        """Make identities a worker made up known here and in the archive, before the
        records that mention them are written."""
        for entity_id, etype, name in discovered:
            if entity_id not in self.index.entities:  # else an earlier file's name stands
                self._remember(entity_id, etype, name)

    def restate(self, records: list[Record]) -> None:
        """Name each entity of records a worker annotated as this stage knows it: a worker
        that made up an identity another file made up first used its own spelling."""
        for record in records:
            for hit in record.entities:
                entity = self.index.entities.get(hit.id)
                if entity is None or entity.name == hit.name:
                    continue
                texts = {m.text for m in hit.mentions}
                first = [hit.name] if hit.name in texts else []  # its first mention's text
                hit.aliases = [a for a in first + hit.aliases if a != entity.name]
                hit.name = entity.name

    @classmethod
    def for_store(cls, store: Store | None, ner: str = "none", sync: bool = True) -> EntityStage:
        """The stage for an archive: the bundled authority file (and ``$FONDS_AUTHORITY``)
        written to its tables when ``sync``, and the identities it already holds."""
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
            if sync:
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
        """Merge what only the whole archive can decide (``fonds.entities.settle``): each
        merge is logged, and undone like any other. Returns the (merged, kept) pairs."""
        if self.tables is None:
            return []
        from fonds.entities.edits import merge_all, rename_all

        pairs = links(self.index, years_of_people(self.tables), fullest_names(self.tables))
        merge_all(self.tables.store, pairs, reason="a short form of the one fuller name")
        for source, target in pairs:
            self.index.redirects[source] = target
        # A discovered entity is shown by the fullest form its documents write, chosen
        # the same way whatever the order of ingest ("Walworth Barbour", not "Barbour").
        names = display_names(self.index, fullest_names(self.tables))
        rename_all(self.tables.store, names)
        for entity_id, name in names.items():
            self.index.entities[entity_id].name = name
            self.index.add_name(entity_id, name)
        return pairs

    def close(self) -> None:
        """Let go of the name index once a run is settled: tens of megabytes after a
        volume's text, while the search index then builds its own from the archive. The
        stage annotates nothing after this."""
        self.index = NameIndex()
        self.tables = None

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
        # As the documents write it: a form one entity's mentions bear ("Dr. Zuleta")
        if self.tables is not None:
            for form in _shorter_forms(name):
                rows = self.tables.conn.execute(
                    "SELECT DISTINCT entity_id FROM mentions WHERE lower(text) = lower(?)",
                    (form,),
                ).fetchall()
                found = {self.index.canonical(r[0]) for r in rows}
                if len(found) == 1:
                    return self.describe(found.pop())
                if found:
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
        """Annotate a batch: the statistical recognizer runs over all of them together."""
        pending = self.recognizer_input(records, self.ner is not None)
        found: list[list[NerSpan]] = []
        if self.ner is not None:
            for passages in pending.parts(RECOGNIZER_CHUNK):
                found += self.ner.find(passages)
        self.complete(pending, found)

    def recognizer_input(self, records: list[Record], recognize: bool) -> Pending:
        """The first pass over a batch (what the authority file resolves) and, when
        ``recognize``, the passages the recognizer must read. The recognizer may run
        elsewhere (a big document's passages are spread over the workers): its spans,
        one list per passage in order, are handed to ``complete``."""
        work = [self._first_pass(record) for record in records]
        windows = None
        if recognize:
            windows = [
                self._ner_windows(state, record, unresolved)
                for record, (state, unresolved) in zip(records, work, strict=True)
            ]
        return Pending(records, work, windows)

    def complete(self, pending: Pending, spans_by_passage: list[list[NerSpan]]) -> None:
        """Resolve the rest of a batch once the recognizer has read its passages (the
        lists of ``spans_by_passage`` are emptied as they are read)."""
        records, work = pending.records, pending.work
        recognized = pending.windows is not None
        found: list[list[tuple[str, NerSpan]]] = [[] for _ in records]
        if pending.windows is not None:
            n = 0
            for i, wins in enumerate(pending.windows):
                for fld, offset, _ in wins:
                    found[i] += [
                        (fld, NerSpan(x.start + offset, x.end + offset, x.text, x.type))
                        for x in spans_by_passage[n]
                    ]
                    spans_by_passage[n] = []  # each span held once (a volume has 10^5)
                    n += 1
        for record, (state, unresolved), spans in zip(records, work, found, strict=True):
            self._office_holders(state, record)
            self._dateline_place(state, record)
            if recognized:
                self._recognize(state, record, spans)
                self._context(state, unresolved, record.date_start)
            self._institutions(state, record)
            self._titled_people(state, record, unresolved)
            self._given_names(state, record, unresolved)
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
        words_of.cache_clear()  # keyed by the bodies: a volume's text would outlive its record

    def _first_pass(self, record: Record) -> tuple[DocState, Iterable[tuple[str, Candidate]]]:
        """Authority matches, bracketed alternates and surnames in context."""
        state = DocState()
        # a list for a document, arrays for a volume's text
        unresolved: list[tuple[str, Candidate]] | Unresolved = (
            [] if len(record.text) <= KEEP_RUNS_CHARS else Unresolved(record)
        )
        for fld in FIELDS:
            text = _field_text(record, fld)
            keep = len(text) <= KEEP_RUNS_CHARS  # a big text's runs are found again
            for start, end in pieces(text, KEEP_RUNS_CHARS):  # one, but for a volume's text
                found = runs(text, start, end)
                if keep:
                    state.name_runs[fld] = found
                for cand in find_candidates(text, self.index, found):
                    if cand.ids:
                        chosen = self._choose(cand.ids, state)
                        if chosen:
                            self._add(
                                state, chosen, fld, cand.start, cand.end, cand.text, "authority"
                            )
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
            if entity.type == "person":
                state.people_by_surname.setdefault(entity.surname() or "", []).append(entity_id)
            state.hits[entity_id] = hit
        hit.mentions.append(Mention(start, end, text, fld, method, confidence))
        if entity.type == "person" and len(tokens := name_tokens(text)) >= 3:
            holders = state.next_to_last.setdefault(tokens[-2], [])
            if entity_id not in holders:
                holders.append(entity_id)
        if text != entity.name and text not in hit.aliases:
            hit.aliases.append(text)
        state.take(fld, start, end)

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
                word = last_name_before(text, m.start())
                if word and self.index.entities[inside].type == "person":
                    w_start, w_end, w_text = word
                    self._add(state, inside, "text", w_start, w_end, w_text, "alias")

    def _context(
        self, state: DocState, unresolved: Iterable[tuple[str, Candidate]], day: str | None
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
        choices = list(state.people_by_surname.get(token, []))
        if not choices:
            # the first of a double surname ("Trujillo" of "Rafael Leonidas Trujillo Molina")
            holders = state.next_to_last.get(token, []) if len(token) >= 3 else []
            choices = [i for i in holders if self.index.entities[i].origin != "authority"]
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
        self, state: DocState, record: Record, unresolved: Iterable[tuple[str, Candidate]]
    ) -> list[tuple[str, int, int]]:
        """The sentences that still hold unknown name-like words, in the text, the title
        and the summary: the recognizer's input, as (field, start, end)."""
        lower_words = words_of(record.text)
        windows: list[tuple[str, int, int]] = []
        for fld, cand in unresolved:
            if state.overlaps(fld, cand.start, cand.end):
                continue
            word = cand.text.casefold()
            # A capitalized common word ("The", "Secretary" where "secretary" also occurs)
            # needs no recognizer: only the sentences with unknown name-like words go to it.
            if word in not_names() or word in stop_words() or word in lower_words:
                continue
            acronym = cand.text.isupper() and cand.text.isalpha() and 3 <= len(cand.text) <= 6
            if (cand.text.isupper() and not acronym) or len(word) < 2:
                continue
            if word.endswith(COMMON_ENDINGS):
                continue
            start, end = sentence_around(_field_text(record, fld), cand.start, cand.end)
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
        people_near = {fld: Spans.of(v) for fld, v in people_at.items()}
        places_near = {fld: Spans.of(v) for fld, v in places_at.items()}
        # A surname of a person the document names in full is that person wherever it
        # stands alone ("Stalin turned to Montgomery"), not a place of the same name.
        surnames = {
            self.index.entities[h.id].surname() or ""
            for h in state.hits.values()
            if h.type == "person"
        }
        for fld, span in spans:
            cleaned = clean_span(_field_text(record, fld), span) if span.type == "person" else None
            tokens = name_tokens(cleaned[2]) if cleaned else []
            if len(tokens) > 1 and not world_place(cleaned[2].split()[-1], big=True):
                # the last word, and the one before it in a name of three or more words
                # (a double surname: "Rafael Leonidas Trujillo Molina")
                surnames.update(tokens[-2:] if len(tokens) > 2 else tokens[-1:])
        for fld, span in spans:
            text = _field_text(record, fld)
            cleaned = clean_span(text, span)
            if cleaned is None:
                continue
            start, end, surface = cleaned
            if state.overlaps(fld, start, end):
                continue
            etype = type_by_shape(surface, span.type, text, start)
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
                and not world_place(surface)
                and not self.index.lookup(surface, authority_only=True)
                and coordinated_with(text, start, end, people_near.get(fld, NO_SPANS))
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
            listed = etype == "place" and coordinated_with(
                text, start, end, places_near.get(fld, NO_SPANS)
            )
            if ids or not (
                listed or plausible(etype, surface, text, start, single_counts, record.text)
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
        for fld in FIELDS:
            text = _field_text(record, fld)
            kept = state.name_runs.get(fld)
            found = (
                (run for a, b in pieces(text, KEEP_RUNS_CHARS) for run in runs(text, a, b))
                if kept is None
                else kept
            )
            for toks in split_at_and(found, words["heads"]):
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
                    if folded[0] not in words["single"] or sentence_initial(text, toks[0].start):
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
        offices: dict[tuple[str, int], str] = {}
        for fld in ("title", "text", "notes"):
            text = _field_text(record, fld)
            for m in PARENTHESIZED.finditer(text):
                if m.group(1).isupper():
                    continue  # "(CINCFE)", "(SCAP)": the office's own abbreviation
                if in_parentheses_after_office(text, m.start(1), len(m.group(1))):
                    found.append((fld, m.start(1), m.end(1), m.group(1)))
                    offices[(fld, m.start(1))] = office_before(text, m.start())
        self._layout_people(state, record, found, offices)

    def _titled_people(
        self, state: DocState, record: Record, unresolved: Iterable[tuple[str, Candidate]]
    ) -> None:
        """A word no one resolved that the sentence makes a person: a person's title before
        it ("Minister Heath", "Mr. Henry", "Lord Halifax"), or a verb of speech or "who"
        after it ("Estimé said", "Gaillard who"). And a name followed by its office in
        apposition ("Dumarsais Estimé, President of Haiti", the way FRUS footnotes
        identify people)."""
        found = []
        people = {
            fld: Spans.of(
                [
                    (m.start, m.end)
                    for h in state.hits.values()
                    if h.type == "person"
                    for m in h.mentions
                    if m.field == fld
                ]
            )
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
            listed = coordinated_with(text, cand.start, cand.end, people.get(fld, NO_SPANS))
            if not (titled or speaks or listed):
                continue
            surname = cand.text.split()[-1]
            if any(
                part.casefold() in institutions()["offices"]
                or part.casefold() in institutions()["heads"]
                or TITLES.match(part)
                for part in surname.split("-")
            ):
                continue  # "Director said", "the Delegation felt": an office or a body
            if surname.casefold().endswith(COMMON_ENDINGS) or (
                listed and not titled and not speaks and sentence_initial(text, cand.start)
            ):
                continue  # "Previously, Sihn had ...": a sentence's first word
            if (
                cand.text.isupper()
                or is_country(surname)
                or (not titled and world_place(surname))
                or not distinct_word(surname, record.text)
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
                    or world_place(name)
                    or (len(words) == 1 and not distinct_word(name, record.text))
                ):
                    continue
                found.append((fld, start, start + len(name), name))
        self._layout_people(state, record, found)

    def _placed_world_places(
        self, state: DocState, record: Record, unresolved: Iterable[tuple[str, Candidate]]
    ) -> None:
        """A city, state or country of the GeoNames list that no one resolved, standing where
        a place stands ("arms to Tunis", "in Michigan and Minnesota"), is that place."""
        for fld, cand in unresolved:
            if state.overlaps(fld, cand.start, cand.end) or not world_place(cand.text):
                continue
            token = name_tokens(cand.text)
            if token and self._surname_in_document(token[0], state):
                continue  # "directed at Trujillo": the person this document names in full
            text = _field_text(record, fld)
            before = text[max(0, cand.start - 20) : cand.start]
            strong = LOCATIVE_BEFORE.search(before) or REPEATED_TO.search(before)
            weak = PLACE_BEFORE.search(before) and (
                not is_city(cand.text) or world_place(cand.text, big=True)
            )
            if not (strong or weak):
                continue
            ids = self.index.lookup(cand.text, ("place",), authority_only=True)
            entity_id = ids[0] if len(ids) == 1 else None
            if entity_id is None and not ids:
                entity_id = self._discovered("place", cand.text)
            if entity_id is not None:
                self._add(state, entity_id, fld, cand.start, cand.end, cand.text, "gazetteer", 0.7)

    def _given_names(
        self, state: DocState, record: Record, unresolved: Iterable[tuple[str, Candidate]]
    ) -> None:
        """A given name written before the surname of a person of this document ("Làszlo
        Rajk" where "Rajk" is found) is that person's full name."""
        by_surname = {
            self.index.entities[h.id].surname(): h.id
            for h in state.hits.values()
            if h.type == "person"
        }
        words = ((f, c) for f, c in unresolved if " " not in c.text)
        for (fld, given), (fld2, last) in pairwise(words):
            if fld != fld2 or _field_text(record, fld)[given.end : last.start] != " ":
                continue
            surname = name_tokens(last.text)
            person = by_surname.get(surname[0]) if surname else None
            if (
                person is None
                or state.overlaps(fld, given.start, last.end)
                or TITLES.match(given.text)
                or given.text.casefold() in not_names()
                or not distinct_word(given.text, record.text)
            ):
                continue
            surface = _field_text(record, fld)[given.start : last.end]
            self._add(state, person, fld, given.start, last.end, surface, "context", 0.8)

    def _signature(self, state: DocState, record: Record) -> None:
        """The signature standing alone on one of the text's last lines ("Walmsley",
        "[Reber]") is a person."""
        found: list[tuple[str, int, int, str]] = []
        lines: deque[re.Match[str]] = deque(maxlen=3)  # the last three, read as a stream
        for m in LINE.finditer(record.text):
            if m.end() - m.start() > SHORT_LINE:  # a line of prose: not looked at whole
                lines.append(m)
            elif m.group().strip().casefold().rstrip(":") in APPARATUS_HEADINGS:
                break  # the signature stands above the notes
            else:
                lines.append(m)
        for m in lines:
            if m.end() - m.start() > SHORT_LINE:
                continue
            sig = SIGNATURE_LINE.match(m.group())
            if not sig:
                continue
            name = sig.group(1)
            if " " not in name and (
                name.isupper()
                or not distinct_word(name, record.text)
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
        self,
        state: DocState,
        record: Record,
        found: list[tuple[str, int, int, str]],
        offices: dict[tuple[str, int], str] | None = None,
    ) -> None:
        """Resolve names the layout says are people: to the authority's or this
        document's person, else a discovered one. A name beside an office is not a
        famous namesake whose recorded offices are all others ("the Chief of the Division
        of Brazilian Affairs (Clark)" is not General Mark W. Clark)."""
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
            office = (offices or {}).get((fld, start))
            if entity_id and office and not self._may_hold(entity_id, office):
                entity_id = None
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
            if initials_agree(given, other):
                fits.append(entity_id)
        present = [f for f in fits if f in state.hits]
        if len(present) == 1:
            return present[0]
        if not fits and len(given) == 2 and len(given[0]) > 1 and len(given[1]) == 1:
            # "George O. Marshall": a misprinted middle initial of the one person the
            # authority file knows by that first name and surname
            fits = [
                entity_id
                for entity_id in self.index.by_surname(surname, famous_only=False)
                if self.index.entities[entity_id].origin == "authority"
                and name_tokens(self.index.entities[entity_id].name)[:1] == given[:1]
            ]
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
        self._remember(entity_id, etype, name)
        if self.tables is None:
            self.discovered.append((entity_id, etype, name))  # for the writer to learn
        return entity_id

    def _remember(self, entity_id: str, etype: str, name: str) -> None:
        """A discovered identity, known from now on here and (with tables) in the archive."""
        self.index.add(KnownEntity(entity_id, etype, name, [name], origin="discovered"))
        if self.tables is not None:
            store_discovered(self.tables, entity_id, etype, name)

    def _parties(self, state: DocState, record: Record) -> None:
        """Sender and recipients as entity references: by name, else by office and date."""
        day = record.date_start

        def ref(named: EntityRef) -> EntityRef | None:
            if named.name:
                found = self._office_holder_named(named, day) or self._person_for(
                    named.name, state, day
                )
                office = named.via if named.via and named.via != "signature" else None
                if found and office and not self._may_hold(found, office):
                    found = None  # "(Clark)" beside an office Mark W. Clark never held
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

    def _may_hold(self, entity_id: str, office: str) -> bool:
        """Whether a person may hold an office: the authority file records it for them, or
        records no office of theirs at all."""
        entity = self.index.entities[entity_id]
        if not entity.offices:
            return True
        if any(eid == entity_id for eid, _ in self.index.office_holders(office, None)):
            return True
        # Not the very phrase: the same country, body or branch is enough ("Ambassador in
        # France" for an "Ambassador to France"); none of them shared, it is someone else.
        wanted = _office_words(office)
        recorded = set().union(
            *(_office_words(p) for o in entity.offices for p in (o.title, *o.phrases))
        )
        return bool(wanted & recorded) or not wanted

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
            start = text.find(label, offset)
            if start < 0:
                return None
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


def _office_words(phrase: str) -> set[str]:
    """The distinctive words of an office: its country, body or branch, not its rank."""
    words = {w.casefold() for w in re.findall(r"[A-Za-z]+", phrase)}
    return words - institutions()["offices"] - {"of", "the", "in", "to", "for", "and", "a", "an"}


def _field_text(record: Record, fld: str) -> str:
    if fld == "title":
        return record.title or ""
    if fld == "summary":
        return record.summary or ""
    if fld == "notes":
        return record.notes or ""
    return record.text


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
