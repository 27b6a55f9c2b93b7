"""The Tantivy index beside the database (``fonds.db`` → ``fonds.db.index/``), kept in
step with the records through the store's ``search_queue``.

Every write of a record enqueues its id in the same SQLite transaction, so the queue
always names every document whose index entry may be stale. Draining it deletes those
ids from the index, adds back the ones that still exist, commits (atomic in Tantivy)
and only then records the last queue number applied, in ``fonds-index.json``. A crash
at any point leaves work that the next drain redoes; redoing it is harmless.

Words are cut as ``fonds.search.words`` says: accents folded in Python, then Tantivy's
built-in ``default`` chain. One field, ``all``, carries the ranked text with integer
field weights (BM25F by repetition): title ×4, summary ×2, body ×1, and for each entity
the document is linked to, a word standing for it (``entity_word``) ×3. A word is then one
term scorer rather than one per field (several times cheaper on common words than a
per-field boolean query), and a name query ranks linked documents by one term, while the
phrases of its spellings only meet the documents that write them.
"""

from __future__ import annotations

import codecs
import contextlib
import gc
import hashlib
import itertools
import json
import os
import queue
import shutil
import sqlite3
import threading
import time
import uuid
import zlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import tantivy

from fonds.entities.index import NameIndex
from fonds.errors import StoreError
from fonds.search.hit_rows import HitRows
from fonds.search.words import INDEX_TOKENIZER, fold
from fonds.store import files_base, stream_rows
from fonds.store.sqlite import ROWS_MARK, Store

INDEX_FORMAT = 6  # bump when the schema or the analysis changes: the index is rebuilt
STATE_FILE = "fonds-index.json"
ENTITY_CACHE = "entities.pickle"  # written by fonds.search.engine
WEIGHTS = {"title": 4, "names": 3, "summary": 2, "text": 1}
SAMPLE_BUCKETS = 1024  # each document falls in one bucket, for sampled facet counts
WRITER_HEAP = 128_000_000  # for applying the queue
REBUILD_HEAP = 1_000_000_000  # large segments: fewer merges, fewer to visit per query
PREFETCH_ROWS = 256
LOCK_WAIT_SECONDS = 10.0
SEARCH_LOCK_WAIT_SECONDS = 1.0  # a search waits less, then reads the index as it is
CACHE_SIZE = 128
TEXT_FIELDS = ("all", "names", "sender_names", "recipient_names")
ID_FIELDS = ("person", "place", "org", "sender", "recipient")
VALUE_FIELDS = ("archive", "doc_type", "language", "classification")
FAST_FIELDS = ("person", "place", *VALUE_FIELDS)  # the facets
INT_FIELDS = ("date_start", "date_end", "year", "sample", "duplicate")
INDEXED_INTS = ("sample", "duplicate")  # also searched by value, not only read
TYPE_FIELD = {"person": "person", "place": "place", "organization": "org"}
MAX_CACHED = 500_000  # distinct mention items, and parties, a build remembers


ENTITY_MARK = "\ua66e"  # a letter (so the tokenizer keeps it in the word) no prose uses


def entity_word(entity_id: str) -> str:
    """The word that stands for an entity in the ranked field of the documents linked to
    it: ``ꙮ`` and 16 hex digits of a hash of its canonical id. ``ꙮ`` (U+A66E, a rare
    Old Cyrillic letter) begins no word of prose, so no word a historian types, and no
    prefix of one, reaches it."""
    return ENTITY_MARK + hashlib.blake2b(entity_id.encode(), digest_size=8).hexdigest()


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    for name in TEXT_FIELDS:
        sb.add_text_field(name, tokenizer_name=INDEX_TOKENIZER, index_option="position")
    for name in (*ID_FIELDS, *VALUE_FIELDS):
        sb.add_text_field(
            name, tokenizer_name="raw", index_option="basic", fast=name in FAST_FIELDS
        )
    for name in INT_FIELDS:  # ranges, sorting and facets all read the fast column
        sb.add_integer_field(name, fast=True, indexed=name in INDEXED_INTS)
    return sb.build()


@lru_cache(maxsize=256)
def _index_path(path: str, cwd: str) -> Path | None:
    if path in ("", ":memory:") or path.startswith("file::memory:"):
        return None
    return Path(os.path.realpath(os.path.join(cwd, path)) + ".index")


def index_path(store: Store) -> Path | None:
    """Where the index of a store lives (``fonds.db`` → ``fonds.db.index``; for a
    PostgreSQL database, see ``files_base``); None in memory."""
    return _index_path(files_base(store.path), os.getcwd())


def day_number(iso: str | None) -> int | None:
    """``1950-04-25`` → 19500425 (a year or month alone → its first day)."""
    if not iso:
        return None
    if len(iso) == 10 and iso[4] == iso[7] == "-" and iso.isascii():  # the usual case
        try:
            return int(iso[:4]) * 10000 + int(iso[5:7]) * 100 + int(iso[8:])
        except ValueError:
            pass
    parts = iso.split("-")
    try:
        numbers = [int(p) for p in parts[:3]] + [1] * (3 - len(parts[:3]))
    except ValueError:
        return None
    return numbers[0] * 10000 + numbers[1] * 100 + numbers[2]


@dataclass
class IndexState:
    """What the index folder records about itself."""

    format: int = INDEX_FORMAT
    store_id: str | None = None
    applied_seq: int = 0

    @classmethod
    def read(cls, folder: Path | None) -> IndexState | None:
        if folder is None:
            return None
        try:
            data = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
            return cls(data["format"], data.get("store_id"), int(data["applied_seq"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, folder: Path | None) -> None:
        if folder is None:
            return
        tmp = folder / f".{STATE_FILE}.tmp"
        tmp.write_text(json.dumps(self.__dict__), encoding="utf-8")
        os.replace(tmp, folder / STATE_FILE)


# -- the documents, as SQLite holds them ---------------------------------------------------

# A body longer than this (bytes of UTF-8) is read a piece at a time into the document
# (a volume's text of 50 MB is never one string here). Every body is read from its blob,
# whose length SQLite knows without loading it: ``length(text)`` in SQL would load a
# volume's text to count its characters, once for each time it is named.
BIG_TEXT = 4_000_000
TEXT_PIECE_BYTES = 1 << 20
# A record that keeps its mentions as rows only (a volume's text, 10^5 mentions and more)
# has them come grouped by form. The mark is a key of its JSON, there only when true: a
# string value holding it would have its quotes escaped.
ROWS_ONLY = f"instr(d.record_json, '\"{ROWS_MARK}\"') > 0"


# The row a document is indexed from (its body is read from its blob, by rowid).
_DOC_SQL = f"""
SELECT d.id, d.title, d.summary, d.rowid AS text_rowid,
  d.date_start, d.date_end, d.doc_type,
  d.original_language, d.classification, d.sender_id, d.sender_name,
  (SELECT group_concat(archive, '\x1f') FROM archival_refs a
   WHERE a.document_id = d.id AND archive IS NOT NULL) AS archives,
  CASE WHEN {ROWS_ONLY} THEN
    (SELECT group_concat(entity_id || '\x1f' || text, '\x1e') FROM
      (SELECT entity_id, text FROM mentions m WHERE m.document_id = d.id
       GROUP BY entity_id, text ORDER BY count(*) DESC, min(m.rowid)) AS forms)
  ELSE (SELECT group_concat(entity_id || '\x1f' || text, '\x1e') FROM mentions m
    WHERE m.document_id = d.id) END AS mentioned,
  (SELECT group_concat(n || '\x1f' || coalesce(entity_id, '') || '\x1f'
     || coalesce(name, ''), '\x1e') FROM recipients r WHERE r.document_id = d.id)
   AS recipients,
  EXISTS (SELECT 1 FROM copy_duplicates c WHERE c.document_id = d.id) AS duplicate,
  (SELECT group_concat(o.title, '\x1f') FROM copy_duplicates c
   JOIN documents o ON o.id = c.document_id WHERE c.preferred_id = d.id) AS copy_titles
FROM documents d
"""


# Plain concatenations: counting, ordering and de-duplicating the few values of one
# document is cheaper in Python than a temporary B-tree per document in SQLite (half
# the reading time of a rebuild).


Known = tuple[str, str | None, str | None, str]  # canonical id, name folded, id field,
# and the entity's word weighted (``entity_word`` × the names weight, one value of `all`)
Mention = tuple[Known, list[str]]  # (entity, the names it goes by in the document)
Party = tuple[list[str], list[str]]  # (entity ids, names) of a sender or recipient


def small_body(store: Store, rowid: int) -> str | None:
    """A document's body, or None when it is over ``BIG_TEXT`` (``text_pieces`` reads
    it then)."""
    with store.open_body(rowid) as blob:
        return blob.read().decode("utf-8", "replace") if len(blob) <= BIG_TEXT else None


def text_pieces(store: Store, rowid: int) -> Iterator[str]:
    """A document's body read from the database a megabyte at a time, each piece ending
    at a space or a line break (no word is cut in two)."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    carry = ""
    with store.open_body(rowid) as blob:
        while chunk := blob.read(TEXT_PIECE_BYTES):
            text = carry + decoder.decode(chunk)
            cut = max(text.rfind(" "), text.rfind("\n")) + 1
            if cut <= 0 and len(text) < 4 * TEXT_PIECE_BYTES:
                carry = text  # one word this long: read on
                continue
            cut = cut if cut > 0 else len(text)
            yield text[:cut]
            carry = text[cut:]
    carry += decoder.decode(b"", final=True)
    if carry:
        yield carry


class DocumentBuilder:
    """Turns rows of the store into Tantivy documents, with names from the entity index."""

    def __init__(self, names: NameIndex) -> None:
        self.names = names
        self._entities: dict[str, Known] = {}
        self._mentions: dict[str, Mention | tuple[()]] = {}
        self._parties: dict[tuple[str | None, str | None], Party] = {}

    def rows(self, store: Store, ids: Iterable[str] | None = None) -> Iterator[sqlite3.Row]:
        if ids is None:
            yield from store.conn.execute(f"{_DOC_SQL} ORDER BY d.rowid")
            return
        chosen = list(ids)
        for start in range(0, len(chosen), 500):
            chunk = chosen[start : start + 500]
            marks = ",".join("?" * len(chunk))
            yield from store.conn.execute(
                f"{_DOC_SQL} WHERE d.id IN ({marks}) ORDER BY d.rowid", chunk
            )

    def document(self, row: Sequence[Any], store: Store) -> tantivy.Document:
        """One Tantivy document from a row of ``_DOC_SQL``; built as a dict of lists,
        handed over in one call (much faster than field by field). A big body
        (``BIG_TEXT``) is read from ``store`` and added a piece at a time."""
        (
            doc_id, title, summary, text_rowid, date_start, date_end, doc_type, language,
            classification, sender_id, sender_name, archives, mentioned, recipients,
            duplicate, copy_titles,
        ) = row  # fmt: skip
        fields: dict[str, Any] = {"id": doc_id, "duplicate": int(duplicate)}
        ranked = [fold(title or "")] * WEIGHTS["title"]
        if copy_titles:  # a group is found by any copy's title (fonds.copies)
            for other in dict.fromkeys(copy_titles.split("\x1f")):
                ranked += [fold(other)] * WEIGHTS["title"]
        if summary:
            ranked += [fold(summary)] * WEIGHTS["summary"]
        text = small_body(store, text_rowid)
        if text is not None:
            ranked.append(fold(text))
        if mentioned:
            self._names(fields, ranked, mentioned)
        fields["all"] = ranked

        if sender_id or sender_name:
            self._add_parties(fields, "sender", [self._party(sender_id, sender_name)])
        if recipients:
            self._add_parties(
                fields,
                "recipient",
                [self._party(rid or None, rname or None) for rid, rname in _numbered(recipients)],
            )

        if archives:
            fields["archive"] = list(dict.fromkeys(archives.split("\x1f")))
        if doc_type:
            fields["doc_type"] = doc_type
        if language:
            fields["language"] = language
        if classification:
            fields["classification"] = classification
        start = day_number(date_start)
        end = start if date_end == date_start else day_number(date_end) or start
        if start:
            fields["date_start"] = start
            fields["year"] = start // 10000
        if end:
            fields["date_end"] = end
        fields["sample"] = zlib.crc32(doc_id.encode()) % SAMPLE_BUCKETS
        document = tantivy.Document.from_dict(fields)
        if text is None:
            for piece in text_pieces(store, text_rowid):
                document.add_text("all", fold(piece))
        return document

    def _names(self, fields: dict[str, Any], ranked: list[str], mentioned: str) -> None:
        """For each entity the document is linked to: its id in its type's field, its word
        weighted into ``all``, and every name the document uses for it (the canonical name
        first, then the most used) in ``names``."""
        items = mentioned.split("\x1e")
        if len(items) > 1 and len(set(items)) < len(items):  # rare: most forms occur once
            items = [item for item, _count in Counter(items).most_common()]
        cache = self._mentions
        by_entity: dict[Known, list[Mention]] = {}  # a merged entity's forms join
        for item in items:
            mention = cache.get(item)
            if mention is None:
                mention = self._mention(item)
            if mention:
                group = by_entity.get(mention[0])
                if group is None:
                    by_entity[mention[0]] = [mention]
                else:
                    group.append(mention)
        names: list[str] = []
        for (canonical, _name, kind, weighted), group in by_entity.items():
            if kind:
                fields.setdefault(kind, []).append(canonical)
            ranked.append(weighted)
            if len(group) == 1:  # the usual case: worked out once per build
                names += group[0][1]
            else:
                names += dict.fromkeys(form for m in group for form in m[1])
        if names:
            fields["names"] = names

    def _mention(self, item: str) -> Mention | tuple[()]:
        """The entity of an ``entity\x1fform`` item and the names it goes by there: its own
        and the form (accents folded). Kept for the next document that has it (a corpus
        has far fewer distinct ones than mentions)."""
        entity_id, sep, form = item.partition("\x1f")
        mention: Mention | tuple[()] = ()
        if sep:
            known = self._entity(entity_id)
            form = fold(form)
            forms = [form] if known[1] is None or known[1] == form else [known[1], form]
            mention = (known, forms)
        if len(self._mentions) < MAX_CACHED:
            self._mentions[item] = mention
        return mention

    def _entity(self, entity_id: str) -> Known:
        """What the index needs of an entity id, looked up once: its canonical id, its name
        with accents folded, its id field, its word weighted."""
        known = self._entities.get(entity_id)
        if known is None:
            canonical = self.names.canonical(entity_id)
            entity = self.names.entities.get(canonical)
            known = (
                canonical,
                fold(entity.name) if entity is not None else None,
                TYPE_FIELD.get(entity.type) if entity is not None else None,
                " ".join([entity_word(canonical)] * WEIGHTS["names"]),
            )
            self._entities[entity_id] = known
        return known

    def _party(self, entity_id: str | None, name: str | None) -> Party:
        """(entity ids, names) of a sender or recipient, worked out once per build: the
        entity's canonical id and name, then the name the record gives, when different."""
        key = (entity_id, name)
        party = self._parties.get(key)
        if party is None:
            ids: list[str] = []
            names: list[str] = []
            if entity_id:
                canonical, entity_name, _kind, _word = self._entity(entity_id)
                ids.append(canonical)
                if entity_name is not None:
                    names.append(entity_name)
            if name:
                name = fold(name)
                if not names or names[-1] != name:  # often the entity's own name again
                    names.append(name)
            party = (ids, names)
            if len(self._parties) < MAX_CACHED:
                self._parties[key] = party
        return party

    @staticmethod
    def _add_parties(fields: dict[str, Any], kind: str, parties: list[Party]) -> None:
        if len(parties) == 1:
            ids, names = parties[0]
        else:
            ids, names = [], []
            for party_ids, party_names in parties:
                ids += party_ids
                if names and party_names and names[-1] == party_names[0]:
                    party_names = party_names[1:]
                names += party_names
        if ids:
            fields[kind] = ids
        if names:
            fields[f"{kind}_names"] = names


def _numbered(joined: str) -> list[tuple[str, str]]:
    """``n\x1fid\x1fname`` items, separated by ``\x1e`` → (id, name), in the order of n."""
    numbered = []
    for item in joined.split("\x1e"):
        n, _, rest = item.partition("\x1f")
        rid, _, name = rest.partition("\x1f")
        numbered.append((int(n), rid, name))
    if len(numbered) > 1:  # one recipient is the usual case
        numbered.sort()
    return [(rid, name) for _n, rid, name in numbered]


class LRUCache(OrderedDict):
    """A small cache of derived answers (facets, completions), keyed by index generation."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        super().__init__()
        self.size = size
        self.guard = threading.Lock()  # the web server searches from several threads

    def get_or(self, key: Any, make: Callable[[], Any]) -> Any:
        with self.guard:
            if key in self:
                self.move_to_end(key)
                return self[key]
        value = make()
        with self.guard:
            self[key] = value
            while len(self) > self.size:
                self.popitem(last=False)
        return value


# -- the index files -----------------------------------------------------------------------


class IndexFiles:
    """One Tantivy index folder (or an index in memory), opened once per process."""

    def __init__(self, folder: Path | None, keep_hits: bool = False) -> None:
        self.folder = folder
        # a PostgreSQL archive's server keeps what hits show beside its index (hit_rows)
        self.hits = HitRows(folder) if keep_hits and folder is not None else None
        self.schema = build_schema()
        self.lock = threading.RLock()
        self.state: IndexState | None = None
        self.state_mtime: float | None = None
        self.generation = 0  # bumped whenever the searcher may see new documents
        self.cache = LRUCache()
        self._whole: tuple[tuple[int, int, int], bool] | None = None  # see without_deletions
        self.index = self._open()

    def _open(self) -> tantivy.Index:
        if self.folder is None:
            index = tantivy.Index(self.schema)
            self.state = None
        else:
            state = IndexState.read(self.folder)
            if state is not None and state.format != INDEX_FORMAT:
                self._discard()
                state = None
            self.folder.mkdir(parents=True, exist_ok=True)
            try:
                index = tantivy.Index(self.schema, path=str(self.folder), reuse=True)
            except ValueError:
                self._discard()
                self.folder.mkdir(parents=True, exist_ok=True)
                index = tantivy.Index(self.schema, path=str(self.folder), reuse=True)
                state = None
            self.state = state
            self._note_state_mtime()
        return index

    def _discard(self) -> None:
        """Remove an index folder of an older format (only if it is one of ours)."""
        assert self.folder is not None
        names = set(os.listdir(self.folder)) if self.folder.is_dir() else set()
        if names and not names & {STATE_FILE, "meta.json", ".managed.json", ENTITY_CACHE}:
            raise StoreError(
                f"{self.folder} exists and is not a fonds search index: move it away, "
                "then run `fonds index rebuild`"
            )
        shutil.rmtree(self.folder, ignore_errors=True)

    def _note_state_mtime(self) -> None:
        try:
            self.state_mtime = (self.folder / STATE_FILE).stat().st_mtime  # type: ignore[operator]
        except (OSError, TypeError):
            self.state_mtime = None

    def refresh(self) -> None:
        """See what another process committed since we last looked."""
        if self.folder is None:
            return
        try:
            mtime = (self.folder / STATE_FILE).stat().st_mtime
        except OSError:
            mtime = None
        if mtime != self.state_mtime:
            with self.lock:
                self.state = IndexState.read(self.folder)
                self.state_mtime = mtime
                self.index.reload()
                self.generation += 1

    def writer(
        self, threads: int = 1, wait: float = LOCK_WAIT_SECONDS, heap: int = WRITER_HEAP
    ) -> tantivy.IndexWriter:
        deadline = time.monotonic() + wait
        while True:
            try:
                return self.index.writer(heap, threads)
            except (ValueError, OSError) as err:
                if "LockBusy" not in str(err) or time.monotonic() > deadline:
                    raise StoreError(
                        f"cannot write the search index {self.folder}: {err}. Another fonds "
                        "process may be indexing; try again when it is done"
                    ) from err
                time.sleep(0.05)

    def without_deletions(self, searcher: tantivy.Searcher) -> bool:
        """True when no deleted document lingers in the segments (so a term's document
        frequency counts live documents only). Each document holds one ``sample`` value,
        so those frequencies sum to every document, deleted or not. Checked once per state
        of the index (a commit changes the generation, the live count or the segments)."""
        key = (self.generation, searcher.num_docs, searcher.num_segments)
        known = self._whole
        if known is None or known[0] != key:
            every = sum(searcher.doc_freq("sample", b) for b in range(SAMPLE_BUCKETS))
            known = self._whole = (key, every == searcher.num_docs)
        return known[1]

    def committed(self, state: IndexState) -> None:
        state.write(self.folder)
        self.state = state
        self._note_state_mtime()
        self.index.reload()
        self.generation += 1


# -- keeping in step -----------------------------------------------------------------------


def store_id(store: Store, create: bool) -> str | None:
    """The store's identity, so an index is never used with another database."""
    row = store.conn.execute("SELECT value FROM meta WHERE key = 'search_store_id'").fetchone()
    if row or not create:
        return row[0] if row else None
    value = uuid.uuid4().hex
    try:
        with store.transaction():
            store.conn.execute(
                "INSERT INTO meta VALUES ('search_store_id', ?) ON CONFLICT(key) DO NOTHING",
                (value,),
            )
    except (sqlite3.OperationalError, StoreError):  # a read-only store: not tied to it
        return None
    return store_id(store, create=False)


def in_step(files: IndexFiles, store: Store) -> bool:
    """True when the index is this store's and nothing waits in the queue (one query)."""
    state = files.state
    if state is None:
        return False
    try:
        ident, nothing_waits = store.queue_in_step(state.applied_seq)
    except (sqlite3.OperationalError, StoreError):
        return False
    return ident == state.store_id and nothing_waits


def needs_rebuild(files: IndexFiles, store: Store) -> bool:
    state = files.state
    if state is None:
        return True
    if state.store_id != store_id(store, create=False):
        return True
    return state.applied_seq > store.last_mark()  # the database went back in time


def drain(
    files: IndexFiles, store: Store, builder: DocumentBuilder, wait: float = LOCK_WAIT_SECONDS
) -> int:
    """Apply the queue of changed documents; return how many documents were touched."""
    with files.lock:
        state = files.state or IndexState()
        try:
            top = store.queue_mark()
        except sqlite3.OperationalError:  # a read-only database from before the queue
            return 0
        if top is None or top <= state.applied_seq:
            return 0
        ids = store.queued_since(state.applied_seq, top)
        if not ids:  # the mark moved (PostgreSQL's horizon), no document changed
            if files.hits is not None and state.store_id is not None:
                files.hits.advance((state.store_id, state.applied_seq), (state.store_id, top))
            files.committed(IndexState(INDEX_FORMAT, state.store_id, top))
            return 0
        writer = files.writer(wait=wait)
        try:
            files.refresh()  # another process may have drained while we waited
            fresh = files.state or state
            if top <= fresh.applied_seq:
                writer.rollback()
                return 0
            if fresh.applied_seq != state.applied_seq:
                ids = store.queued_since(fresh.applied_seq, top)
            state = fresh
            for doc_id in ids:
                writer.delete_documents_by_term("id", doc_id)
            for row in builder.rows(store, ids):
                writer.add_document(builder.document(row, store))
            if files.hits is not None and state.store_id is not None:  # before the index
                before, after = (state.store_id, state.applied_seq), (state.store_id, top)
                files.hits.replace(store, ids, before, after)
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        writer.wait_merging_threads()
        files.committed(IndexState(INDEX_FORMAT, state.store_id, top))
        _trim_queue(store, top)
        return len(ids)


def rebuild(files: IndexFiles, store: Store, builder: DocumentBuilder) -> int:
    """Index every document of the store afresh; return the number indexed."""
    with files.lock:
        ident = store_id(store, create=True)
        top = store.last_mark()  # read first: later changes stay queued
        writer = files.writer(threads=0, heap=REBUILD_HEAP)
        count = 0
        collecting = gc.isenabled()
        gc.disable()  # millions of short-lived rows and lists, none in a reference cycle
        try:
            writer.delete_all_documents()
            for row in _prefetched(store, builder):
                writer.add_document(builder.document(row, store))
                count += 1
            if files.hits is not None and ident is not None:
                files.hits.rebuild(store, (ident, top))
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            if collecting:
                gc.enable()
        writer.wait_merging_threads()
        files.committed(IndexState(INDEX_FORMAT, ident, top))
        _trim_queue(store, top)
        return count


def hits_in_step(files: IndexFiles, store: Store) -> None:
    """Make the hit rows of a PostgreSQL archive's server those of its index, when they
    are not (a server's first run with them, or their file removed): every row afresh."""
    state = files.state
    if files.hits is None or state is None or state.store_id is None:
        return
    mark = (state.store_id, state.applied_seq)
    if files.hits.mark() != mark:
        with files.lock, contextlib.suppress(sqlite3.OperationalError):
            # another process making them at once holds the file: its copy will do
            files.hits.rebuild(store, mark)


def hit_source(files: IndexFiles) -> sqlite3.Connection | None:
    """Where this server reads what its hits show (``hit_rows``), when it keeps them and
    they are those of its index; None: read them from the archive."""
    state = files.state
    if files.hits is None or state is None or state.store_id is None:
        return None
    return files.hits.reader((state.store_id, state.applied_seq))


def _prefetched(store: Store, builder: DocumentBuilder) -> Iterator[sqlite3.Row]:
    """Every document row, read by a second thread on its own connection.

    SQLite releases the GIL while it works, so reading overlaps with building documents;
    on a big archive this takes a third off the rebuild. In-memory stores read inline.
    """
    if index_path(store) is None:
        yield from builder.rows(store)
        return
    batches: queue.Queue[list[sqlite3.Row] | BaseException | None] = queue.Queue(maxsize=8)
    stop = threading.Event()

    def read() -> None:
        try:
            conn = store.reader_connection()
            try:
                rows = stream_rows(conn, f"{_DOC_SQL} ORDER BY d.rowid", PREFETCH_ROWS)
                while not stop.is_set():
                    batch = list(itertools.islice(rows, PREFETCH_ROWS))
                    batches.put(batch or None)
                    if not batch:
                        return
            finally:
                conn.close()
        except BaseException as err:  # handed to the consumer, raised there
            batches.put(err)

    reader = threading.Thread(target=read, name="fonds-index-reader", daemon=True)
    reader.start()
    try:
        while (batch := batches.get()) is not None:
            if isinstance(batch, BaseException):
                raise StoreError(f"cannot read the records to index ({batch})") from batch
            yield from batch
    finally:
        stop.set()
        while reader.is_alive():  # unblock a reader waiting on a full queue
            try:
                batches.get_nowait()
            except queue.Empty:
                reader.join(0.05)


def _trim_queue(store: Store, upto: int) -> None:
    # a read-only store keeps its queue; the index state says what is applied
    with contextlib.suppress(sqlite3.OperationalError, StoreError):
        store.trim_queue(upto)


def describe(files: IndexFiles) -> dict[str, Any]:
    """Facts about the index for `fonds index status`."""
    searcher = files.index.searcher()
    size = 0
    if files.folder is not None and files.folder.exists():
        size = sum(p.stat().st_size for p in files.folder.iterdir() if p.is_file())
    return {
        "path": str(files.folder) if files.folder else None,
        "documents": searcher.num_docs,
        "segments": searcher.num_segments,
        "bytes": size,
        "applied_seq": files.state.applied_seq if files.state else None,
    }
