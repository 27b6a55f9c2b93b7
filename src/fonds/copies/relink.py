"""Every document's copies found again at once: for an archive ingested before copies
were linked, or after the linking rules changed.

At ingest each record is linked as it is written (``links.link_copies``). Over a whole
archive that would be a query per document against a key table written in random order;
the pass here does the same work in bulk:

1. sketch every body (``sketch.sketch_keys``), in the executor's workers, which read the
   texts themselves by row-number ranges and leave each body's shingles in a temporary
   folder (``Spill``) for step 4;
2. write the key table in key order (sequential B-tree pages), after emptying it;
3. find the pairs of documents that share a band key, or loose keys (a quote's with a
   holder's), by sorting all (key, document) pairs in numpy, and count the keys each pair
   shares;
4. verify the best candidates of each document by the real overlap of the two bodies'
   shingles, as ingest does (``links.relation_of``), and link them, with translations;
5. apply the users' verdicts, and rebuild the copy groups.

Links made by hand stay; the others are replaced.
"""

from __future__ import annotations

import bisect
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fonds.copies.links import (
    MAX_CANDIDATES,
    apply_verdicts,
    regroup,
    relation_of,
    write_link,
    write_translation,
)
from fonds.copies.sketch import HOLDER, LOOSE, LOOSE_SHARED, keys_and_shingles
from fonds.copies.translations import FILE_ARCHIVES, SAMPLE, same_leaves, stored_language
from fonds.errors import StoreError
from fonds.store import open_store
from fonds.store.sqlite import Store

CHUNK_ROWS = 2_000  # documents a worker sketches per task
MAX_SHARING = 1_000  # a key shared by more documents than this is boilerplate: no pairs
MAX_FILE_DOCUMENTS = 500  # an archival file cited by more documents is not compared
REF_FIELDS = ("archive", "fond", "opis", "delo", "pages", "file", "raw")
VERIFY_PAIRS = 20_000  # candidate pairs a worker verifies per task
# A key has 36 bits (``sketch``: a band key its band, 3, and a 32-bit hash; a loose key
# its tags, 2, its band, 3, and a 31-bit hash): with a row number of up to 27 bits (134
# million documents) the pair sorts as one 63-bit integer.
DOC_BITS = 27

Progress = Callable[[str, int, int], None]  # (phase, done, of)


@dataclass
class RelinkSummary:
    documents: int = 0
    keys: int = 0
    candidates: int = 0
    links: dict[str, int] = field(default_factory=dict)
    grouped: int = 0  # documents that another record of their group now stands for
    seconds: dict[str, float] = field(default_factory=dict)


Sketched = tuple[np.ndarray, np.ndarray, list[str], list[int]]


@dataclass(frozen=True)
class Spill:
    """Where the sketching workers leave each document's shingles (sorted 32-bit hashes),
    a file set per row range, for the verifying workers to read instead of the bodies: a
    body is turned into shingles once in the pass, not once for each of its pairs."""

    folder: str
    lows: tuple[int, ...]  # the first row number of each range, in order

    def _paths(self, low: int) -> tuple[Path, Path, Path]:
        base = Path(self.folder)
        return base / f"{low}-docs.npy", base / f"{low}-ends.npy", base / f"{low}-hashes.npy"

    def write(self, low: int, docs: list[int], shingles: list[np.ndarray]) -> None:
        ends = np.cumsum([len(s) for s in shingles], dtype=np.int64)
        hashes = np.concatenate(shingles) if shingles else np.zeros(0, np.uint32)
        for path, values in zip(
            self._paths(low), (np.array(docs, np.int64), ends, hashes), strict=True
        ):
            np.save(path, values)

    def reader(self) -> Callable[[int], np.ndarray]:
        """A function from a row number to its document's shingles (none if it had no
        keys), reading each range's files once, mapped."""
        loaded: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

        def of(rowid: int) -> np.ndarray:
            low = self.lows[bisect.bisect_right(self.lows, rowid) - 1]
            if low not in loaded:
                loaded[low] = tuple(np.load(p, mmap_mode="r") for p in self._paths(low))  # type: ignore[assignment]
            docs, ends, hashes = loaded[low]
            at = int(np.searchsorted(docs, rowid))
            if at == len(docs) or docs[at] != rowid:
                return np.zeros(0, np.uint32)
            return np.asarray(hashes[(ends[at - 1] if at else 0) : ends[at]])

        return of


def sketch_range(db_path: str, low: int, high: int, spill: Spill) -> Sketched:
    """In a worker: the band keys of the documents with row numbers in [low, high), as
    two arrays (keys, row numbers); each document's keys as the table keeps them; and
    the documents whose bodies are not plain ASCII (only they can be in another language
    than English, for ``_translations``). Their shingles are left in ``spill``."""
    store = open_store(db_path, readonly=True)  # a SQLite file or a PostgreSQL database
    conn = store.conn
    try:
        keys: list[int] = []
        docs: list[int] = []
        sketches: list[str] = []
        accented: list[int] = []
        spilled: tuple[list[int], list[np.ndarray]] = ([], [])
        for rowid, text in conn.execute(
            "SELECT rowid, text FROM documents WHERE rowid >= ? AND rowid < ? ORDER BY rowid",
            (low, high),
        ):
            found, hashes = keys_and_shingles(text or "")
            if not (text or "")[:SAMPLE].isascii():
                accented.append(rowid)
            if found:
                keys += found
                docs += [rowid] * len(found)
                sketches.append(f"{rowid}\t{json.dumps(found)}")
                spilled[0].append(rowid)
                spilled[1].append(hashes)
        spill.write(low, *spilled)
    finally:
        store.close()
    return np.array(keys, dtype=np.int64), np.array(docs, dtype=np.int64), sketches, accented


def relink(
    store: Store, executor: Executor | None = None, progress: Progress | None = None
) -> RelinkSummary:
    """Find every document's copies again and link them (one transaction: all or
    nothing); what was found."""
    summary = RelinkSummary()
    said = progress or (lambda phase, done, of: None)
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        summary.seconds[name] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()

    lo, hi, count = store.conn.execute(
        "SELECT min(rowid), max(rowid), count(*) FROM documents"
    ).fetchone()
    summary.documents = count
    if not count:
        return summary
    ranges = [(start, start + CHUNK_ROWS) for start in range(lo, hi + 1, CHUNK_ROWS)]
    with tempfile.TemporaryDirectory(prefix="fonds-relink-") as folder, store.transaction():
        spill = Spill(folder, tuple(low for low, _ in ranges))
        conn = store.conn
        conn.execute("DELETE FROM copy_keys")
        conn.execute("DELETE FROM copy_sketches")
        parts: list[np.ndarray] = []  # (key << DOC_BITS) | row number: one array to sort
        if hi >= 1 << DOC_BITS:
            raise StoreError(f"row numbers past {1 << DOC_BITS}: too many documents to relink")
        accented: set[int] = set()
        for n, (keys, docs, sketches, more) in enumerate(
            _sketched(store.path, ranges, spill, executor)
        ):
            accented.update(more)
            parts.append((keys << DOC_BITS) | docs)
            conn.executemany(
                "INSERT INTO copy_sketches(doc, keys) VALUES (?, ?)",
                (line.split("\t", 1) for line in sketches),
            )
            said("sketch", min((n + 1) * CHUNK_ROWS, count), count)
        both = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        del parts
        both.sort()  # in place: by key, then by document
        keys, docs = both >> DOC_BITS, (both & ((1 << DOC_BITS) - 1)).astype(np.int32)
        del both
        lap("sketch")
        for start in range(0, len(keys), 100_000):  # Python ints for a slice at a time
            part = slice(start, start + 100_000)
            conn.executemany(
                "INSERT INTO copy_keys(key, doc) VALUES (?, ?)",
                zip(keys[part].tolist(), docs[part].tolist(), strict=True),
            )
        summary.keys = len(keys)
        lap("keys")
        pairs = _candidate_pairs(keys, docs)
        del keys, docs
        summary.candidates = len(pairs)
        lap("candidates")
        conn.execute("DELETE FROM copies WHERE by_hand = 0")
        summary.links = _verify(store, pairs, spill, executor, said)
        lap("verify")
        translations = _translations(store, accented)
        summary.links["translation"] = translations
        touched = set()
        for (doc_id,) in conn.execute(
            "SELECT low_id FROM copy_verdicts UNION SELECT high_id FROM copy_verdicts"
        ).fetchall():
            touched |= apply_verdicts(store, doc_id) | {doc_id}
        linked = {
            r[0]
            for r in conn.execute(
                "SELECT document_id FROM copies WHERE relation = 'same'"
                " UNION SELECT other_id FROM copies WHERE relation = 'same'"
                " UNION SELECT document_id FROM copy_duplicates"
            )
        }
        regroup_all(store, linked | touched)
        summary.grouped = conn.execute("SELECT count(*) FROM copy_duplicates").fetchone()[0]
        lap("groups")
    return summary


def _sketched(
    db_path: str, ranges: list[tuple[int, int]], spill: Spill, executor: Executor | None
) -> Iterator[Sketched]:
    lows, highs = [r[0] for r in ranges], [r[1] for r in ranges]
    if executor is None:
        yield from map(sketch_range, [db_path] * len(ranges), lows, highs, [spill] * len(ranges))
        return
    yield from executor.map(
        sketch_range, [db_path] * len(ranges), lows, highs, [spill] * len(ranges)
    )


def _candidate_pairs(keys: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Pairs of row numbers (low, high) that share a band key or LOOSE_SHARED loose keys
    (a quote's with a holder's, ``sketch``), each with how many keys they share, the most
    shared first, as at ingest (``links.candidates``): an array of rows (low, high, shared).
    ``keys`` is sorted (then ``docs`` within a key): the loose keys come after every band
    key, each quote's before the holders' of the same minima."""
    if len(keys) < 2:
        return np.zeros((0, 3), dtype=np.int64)
    width = int(docs.max()) + 1
    loose_from = int(np.searchsorted(keys, LOOSE))
    banded = _pair_counts(_sharing(keys[:loose_from], docs[:loose_from], width))
    codes, shared = _pair_counts(_quote_holder_pairs(keys[loose_from:], docs[loose_from:], width))
    loosely = (codes[shared >= LOOSE_SHARED], shared[shared >= LOOSE_SHARED])
    codes, where = np.unique(np.concatenate([banded[0], loosely[0]]), return_inverse=True)
    shared = np.bincount(where, weights=np.concatenate([banded[1], loosely[1]])).astype(np.int64)
    order = np.argsort(-shared, kind="stable")
    codes, shared = codes[order], shared[order]
    return np.stack([codes // width, codes % width, shared], axis=1)


def _sharing(keys: np.ndarray, docs: np.ndarray, width: int) -> list[np.ndarray]:
    """For each run of one key (sorted) shared by 2 to MAX_SHARING documents, its pairs
    of documents, coded low * width + high."""
    if not len(keys):
        return []
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    encoded: list[np.ndarray] = []
    for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
        if size > MAX_SHARING:
            continue
        members = np.unique(docs[start : start + size]).astype(np.int64)
        a, b = np.triu_indices(len(members), k=1)
        encoded.append(members[a] * width + members[b])
    return encoded


def _spread(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The positions start, start + 1, … start + count - 1 of every (start, count)."""
    ends = np.cumsum(counts)
    return np.repeat(starts - (ends - counts), counts) + np.arange(
        int(ends[-1]) if len(ends) else 0
    )


def _quote_holder_pairs(keys: np.ndarray, docs: np.ndarray, width: int) -> list[np.ndarray]:
    """For each run of one loose key's minima (sorted: a run is its quotes, then its
    holders, each document once) of at most MAX_SHARING documents, the pairs of one quote
    and one holder, coded low * width + high; every run at once, in numpy."""
    if not len(keys):
        return []
    minima = keys >> HOLDER.bit_length()  # the key less its HOLDER bit
    starts = np.flatnonzero(np.r_[True, minima[1:] != minima[:-1]])
    del minima
    sizes = np.diff(np.r_[starts, len(keys)])
    holders = np.add.reduceat(keys & HOLDER, starts)
    quotes = sizes - holders
    kept = (quotes > 0) & (holders > 0) & (sizes <= MAX_SHARING)
    starts, quotes, holders = starts[kept], quotes[kept], holders[kept]
    quote_at = _spread(starts, quotes)  # each quote, to be paired with its run's holders
    times = np.repeat(holders, quotes)
    holder_at = _spread(np.repeat(starts + quotes, quotes), times)
    a, b = np.repeat(docs[quote_at], times).astype(np.int64), docs[holder_at].astype(np.int64)
    return [np.minimum(a, b) * width + np.maximum(a, b)]


def _pair_counts(encoded: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Each coded pair once, with how many times it came."""
    if not encoded:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(encoded), return_counts=True)


def verify_pairs(spill: Spill, pairs: list[tuple[int, int]]) -> list[tuple[int, int, str, float]]:
    """In a worker: how each pair of documents (row numbers) relates, by the real overlap
    of their bodies' shingles, as at ingest (``links.relation``); the pairs that are
    copies, with their relation from the first one's side and their overlap."""
    shingles_of = spill.reader()
    found = []
    last, mine = -1, np.zeros(0, np.uint32)
    for low, high in pairs:
        if low != last:  # pairs come sorted: a document's pairs together
            last, mine = low, shingles_of(low)
        theirs = shingles_of(high)
        common = len(np.intersect1d(mine, theirs, assume_unique=True))
        how = relation_of(len(mine), len(theirs), common)
        if how is not None:
            found.append((low, high, *how))
    return found


def _verify(
    store: Store, pairs: np.ndarray, spill: Spill, executor: Executor | None, said: Progress
) -> dict[str, int]:
    """Verify candidate pairs by the real overlap of their bodies (each document's
    MAX_CANDIDATES most shared first, as at ingest), in the workers, and link the copies."""
    tried: dict[int, int] = {}
    chosen: list[tuple[int, int]] = []
    for low, high, _shared in pairs.tolist():
        if tried.get(low, 0) >= MAX_CANDIDATES and tried.get(high, 0) >= MAX_CANDIDATES:
            continue
        tried[low] = tried.get(low, 0) + 1
        tried[high] = tried.get(high, 0) + 1
        chosen.append((low, high))
    del tried
    chosen.sort()  # a document's pairs together: its body is read once
    parts = [chosen[i : i + VERIFY_PAIRS] for i in range(0, len(chosen), VERIFY_PAIRS)]
    if executor is None:
        results: Iterator[list[tuple[int, int, str, float]]] = (
            verify_pairs(spill, part) for part in parts
        )
    else:
        results = executor.map(verify_pairs, [spill] * len(parts), parts)
    made = {"same": 0, "contains": 0}
    for n, found in enumerate(results):
        for low, high, kind, overlap in found:
            rows = {
                r[0]: (r[1], r[2])
                for r in store.conn.execute(
                    "SELECT rowid, id, coalesce(text, '') FROM documents WHERE rowid IN (?, ?)",
                    (low, high),
                )
            }
            a, a_text = rows[low]
            b, b_text = rows[high]
            if kind == "contained_in":
                write_link(store, b, b_text, a, a_text, "contains", overlap)
            else:
                write_link(store, a, a_text, b, b_text, kind, overlap)
            made["same" if kind == "same" else "contains"] += 1
        said("verify", min((n + 1) * VERIFY_PAIRS, len(chosen)), len(chosen))
    return made


def _translations(store: Store, accented: set[int]) -> int:
    """Link the translations: within each archival file that several documents cite,
    the documents whose bodies are in different languages and whose pages overlap. Only
    files with a document among ``accented`` (bodies not plain ASCII: every language but
    English writes letters outside it) are read."""
    files = store.conn.execute(
        "SELECT archive, fond, opis, delo, NULL FROM archival_refs"
        " WHERE archive IS NOT NULL AND fond IS NOT NULL AND delo IS NOT NULL"
        " AND pages IS NOT NULL GROUP BY 1, 2, 3, 4 HAVING count(DISTINCT document_id) > 1"
        " UNION ALL SELECT archive, NULL, NULL, NULL, file FROM archival_refs"
        f" WHERE file IS NOT NULL AND archive IN ({','.join('?' * len(FILE_ARCHIVES))})"
        " GROUP BY 1, 5 HAVING count(DISTINCT document_id) > 1",
        sorted(FILE_ARCHIVES),
    ).fetchall()
    made = 0
    for archive, fond, opis, delo, file in files:
        where, key = (
            "a.delo = ? AND a.fond IS NOT DISTINCT FROM ? AND a.opis IS NOT DISTINCT FROM ?",
            (delo, fond, opis),
        )
        if delo is None:  # a file number (``a.x = ?`` lets SQLite use the partial index)
            where, key = ("a.file = ?", (file,))
        members = store.conn.execute(
            "SELECT a.document_id, d.rowid, a.archive, a.fond, a.opis, a.delo, a.pages, a.file,"
            " a.raw FROM archival_refs a JOIN documents d ON d.id = a.document_id"
            f" WHERE {where} AND a.archive = ? LIMIT ?",
            (*key, archive, MAX_FILE_DOCUMENTS + 1),
        ).fetchall()
        if len(members) > MAX_FILE_DOCUMENTS or not any(m[1] in accented for m in members):
            continue  # a collection cited whole; or every body in English
        refs = [dict(zip(REF_FIELDS, m[2:], strict=True)) for m in members]
        pairs = [  # the same leaves, one body at least not in English: languages to compare
            (i, j)
            for i in range(len(members))
            for j in range(i + 1, len(members))
            if members[i][0] != members[j][0]
            and (members[i][1] in accented or members[j][1] in accented)
            and same_leaves(refs[i], refs[j])
        ]
        for i, j in pairs:
            a, b = members[i][0], members[j][0]
            la, lb = stored_language(store, a), stored_language(store, b)
            if la and lb and la != lb:
                evidence = {
                    "references": {a: refs[i]["raw"], b: refs[j]["raw"]},
                    "languages": {a: la, b: lb},
                }
                write_translation(store, a, b, evidence)
                made += 1
    return made


def regroup_all(store: Store, ids: set[str]) -> None:
    """Bring the copy groups of these documents up to date, in slices."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        regroup(store, set(ordered[start : start + 500]))
