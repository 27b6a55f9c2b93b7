"""Searching the Tantivy index: a plan becomes a Tantivy query; top-k, totals, facets.

Ranked text is one field (``all``, see ``tantivy_index``), so a word is one term
scorer, not one per field. Filters score nothing (constant 0), so they narrow without
reordering. Totals are exact: every match is counted in the same pass as the top hits,
except for a search of one word, whose total is its document frequency (so the ranking
pass can skip postings with block-max WAND). Facet counts over a very large match are
computed on a fixed-size sample of it and flagged approximate, so their cost does not
grow with the archive.
"""

from __future__ import annotations

import math
import os
import sqlite3
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

import tantivy
from tantivy import FieldType, Occur, Query

from fonds.errors import NotFound, QuerySyntaxError
from fonds.search.base import BackendHit, BackendResult, FacetCount
from fonds.search.plan import DateFilter, EntityFilter, NameMatch, Plan, ValueFilter
from fonds.search.query import And, Not, Or, Phrase, Prefix, Term
from fonds.search.tantivy_index import (
    LOCK_WAIT_SECONDS,
    SAMPLE_BUCKETS,
    TYPE_FIELD,
    DocumentBuilder,
    IndexFiles,
    drain,
    entity_word,
    hit_source,
    rebuild,
)
from fonds.search.words import analyzer
from fonds.store.sqlite import Store

PREFIX_EXPANSIONS = 32  # a prefix searches its most frequent completions only
# Larger matches get facet counts from a sample of about this many documents, scaled up
# and flagged approximate (shown as "≈"). For a value holding 30 % of a match the
# standard error is about 0.7 points of share (2.5 % of the count), for one holding 5 %,
# about 0.35 points (7 %); the top values keep their order. Seven counts over a sample of
# 4,000 cost ~1.5 ms; over 10,000, ~2.7 ms (100k documents, 2 cores).
FACET_EXACT_LIMIT = 4_000
FACET_TIME_LIMIT = 1.0  # seconds: past this, facets are skipped and named in timed_out
FACET_SIZES = {
    "type": ("doc_type", 20),
    "year": ("year", 400),
    "archive": ("archive", 15),
    "language": ("language", 15),
    "classification": ("classification", 15),
    "people": ("person", 10),
    "places": ("place", 10),
}
MLT_TERMS = 25
MLT_ENTITIES = 8
MLT_MAX_CHARS = 20_000
_STOP_TEXT = (
    "a about above after again against all also am an and any are as at be because been "
    "before being below between both but by can could did do does doing down during each "
    "few for from further had has have having he her here hers herself him himself his how "
    "i if in into is it its itself just me more most my myself no nor not now of off on once "
    "only or other our ours ourselves out over own same she should so some such than that "
    "the their theirs them themselves then there these they this those through to too under "
    "until up very was we were what when where which while who whom why will with would you "
    "your yours yourself yourselves said mr shall may upon must"
)
STOP_WORDS = frozenset(_STOP_TEXT.split())


@lru_cache(maxsize=1)
def _facet_counter() -> ThreadPoolExecutor:
    """Threads that count facets while the caller makes snippets: Tantivy counts without
    the GIL, so the two overlap (the benchmark's facets queries at 100k: p50 2.7–3.1 ms
    against 4.1–4.3 ms counting first)."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="fonds-facets")


os.register_at_fork(after_in_child=_facet_counter.cache_clear)  # a child has no threads


class TantivyBackend:
    """The embedded search backend: a Tantivy index beside the SQLite file."""

    name = "tantivy"

    def __init__(self, store: Store, files: IndexFiles, builder: DocumentBuilder) -> None:
        self.store = store
        self.files = files
        self.builder = builder
        self.schema = files.schema
        self._cache = files.cache

    # -- keeping in step -------------------------------------------------------------------

    def index_pending(self, wait: float = LOCK_WAIT_SECONDS) -> int:
        return drain(self.files, self.store, self.builder, wait)

    def rebuild(self) -> int:
        return rebuild(self.files, self.store, self.builder)

    def close(self) -> None:  # the files are shared per process; nothing to release
        return None

    def hit_source(self) -> sqlite3.Connection | None:
        return hit_source(self.files)

    # -- searching -------------------------------------------------------------------------

    def search(self, plan: Plan, *, limit: int, offset: int, facets: bool) -> BackendResult:
        started = time.monotonic()
        searcher = self.files.index.searcher()
        out = BackendResult()
        base = self._root(plan, searcher, out)
        grouped = plan.once and self._has_duplicates()  # a group's preferred record stands for it
        query = (
            Query.boolean_query([(Occur.Must, base), (Occur.MustNot, self._duplicate)])
            if grouped
            else base
        )
        known: int | None = None
        page: list[tuple[float, str]] | None = None
        if plan.sort == "date":
            found = searcher.search(
                query,
                offset + limit + TIE_SLACK,
                count=True,
                order_by_field="date_start",
                order=tantivy.Order.Asc,
            )
            page = _ties_by_id(searcher, found.hits, offset, limit, descending=False)
        elif plan.sort == "-date":
            found = searcher.search(
                query,
                offset + limit + TIE_SLACK,
                count=True,
                order_by_field="date_end",
                order=tantivy.Order.Desc,
            )
            page = _ties_by_id(searcher, found.hits, offset, limit)
        elif (known := self._word_total(searcher, plan)) is not None:
            # one word: its document frequency is the total, so the ranking pass need not
            # count, and block-max WAND skips postings that cannot reach the page
            if grouped:  # less the copies that hold it (few: driven by the rare term)
                both = Query.boolean_query([(Occur.Must, base), (Occur.Must, self._duplicate)])
                hidden = searcher.search(both, 1, count=True).count or 0
                known -= hidden
                found = searcher.search(base, offset + limit + hidden, count=False)
                page = self._without_copies(searcher, found.hits)[offset : offset + limit]
            else:
                found = searcher.search(query, offset + limit + TIE_SLACK, count=False)
                page = _ties_by_id(searcher, found.hits, offset, limit)
        else:
            found = searcher.search(query, offset + limit + TIE_SLACK, count=True)
            page = _ties_by_id(searcher, found.hits, offset, limit)
        ranked = plan.sort == "relevance"
        if page is None:
            page = [(float(score), searcher.doc(addr)["id"][0]) for score, addr in found.hits]
        out.hits = [BackendHit(doc_id, score if ranked else 0.0) for score, doc_id in page]
        out.total = found.count if found.count is not None else known or 0
        if facets:
            if time.monotonic() - started > FACET_TIME_LIMIT:
                out.timed_out = list(FACET_SIZES)
            else:
                key = ("facets", self.files.generation, repr(plan.root), plan.once)
                total = out.total
                out.counting = _facet_counter().submit(
                    self._cache.get_or, key, lambda: self._facets(searcher, query, total)
                )
        return out

    def more_like_this(self, doc_id: str, *, limit: int) -> BackendResult:
        row = self.store.conn.execute(
            "SELECT title, summary, text FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no document with id {doc_id!r}")
        searcher = self.files.index.searcher()
        text = " ".join(part or "" for part in row)[:MLT_MAX_CHARS]
        counts = Counter(
            t
            for t in analyzer().analyze(text)
            if len(t) > 2 and not t.isdigit() and t not in STOP_WORDS
        )
        n_docs = max(searcher.num_docs, 1)
        weighted = []
        for term, tf in counts.most_common(300):
            df = searcher.doc_freq("all", term)
            if df >= 2:
                weighted.append((tf * math.log(1 + n_docs / df), term))
        weighted.sort(reverse=True)
        parts = [
            (Occur.Should, Query.term_query(self.schema, "all", term))
            for _, term in weighted[:MLT_TERMS]
        ]
        entities = self.store.conn.execute(
            "SELECT entity_id FROM mentions WHERE document_id = ? GROUP BY entity_id "
            "ORDER BY count(*) DESC LIMIT ?",
            (doc_id, MLT_ENTITIES),
        ).fetchall()
        for (entity_id,) in entities:
            entity_id = self.builder.names.canonical(entity_id)
            for field in self.entity_fields(entity_id):
                term = Query.term_query(self.schema, field, entity_id)
                parts.append((Occur.Should, Query.boost_query(term, 2.0)))
        out = BackendResult()
        if not parts:
            return out
        parts.append((Occur.MustNot, Query.term_query(self.schema, "id", doc_id)))
        found = searcher.search(Query.boolean_query(parts), limit, count=True)
        out.hits = [
            BackendHit(searcher.doc(addr)["id"][0], float(score)) for score, addr in found.hits
        ]
        out.total = found.count or 0
        return out

    # -- from a plan to a Tantivy query ----------------------------------------------------

    def _root(self, plan: Plan, searcher: tantivy.Searcher, out: BackendResult) -> Query:
        if plan.root is None:
            query = Query.all_query()
        else:
            found = _Translator(self, searcher, out).node(plan.root)
            if found is None:
                raise QuerySyntaxError(
                    "nothing to search for: the query has no letters or digits outside "
                    "exclusions; type a word, a name or a filter"
                )
            query = found
        return query

    @property
    def _duplicate(self) -> Query:
        """The copies that another record of their group stands for (fonds.copies)."""
        return Query.term_query(self.schema, "duplicate", 1)

    def _without_copies(
        self, searcher: tantivy.Searcher, hits: list[tuple[float, Any]]
    ) -> list[tuple[float, str]]:
        """Ranked hits (score, id), less the copies another record stands for."""
        page = [(float(score), searcher.doc(addr)["id"][0]) for score, addr in hits]
        ids = [doc_id for _, doc_id in page]
        marks = ",".join("?" * len(ids))
        copies = (
            {
                r[0]
                for r in self.store.conn.execute(
                    f"SELECT document_id FROM copy_duplicates WHERE document_id IN ({marks})", ids
                )
            }
            if ids
            else set()
        )
        return [(score, doc_id) for score, doc_id in page if doc_id not in copies]

    def _has_duplicates(self) -> bool:
        return (
            self.store.conn.execute("SELECT 1 FROM copy_duplicates LIMIT 1").fetchone() is not None
        )

    def _word_total(self, searcher: tantivy.Searcher, plan: Plan) -> int | None:
        """How many documents hold the query's one word, read from the term dictionary;
        None for any other query, or while deleted documents still count there."""
        node = plan.root
        if not isinstance(node, Term | Phrase):
            return None
        tokens = analyzer().analyze(node.text)
        if len(tokens) != 1 or not self.files.without_deletions(searcher):
            return None
        return searcher.doc_freq("all", tokens[0])

    def entity_fields(self, entity_id: str) -> tuple[str, ...]:
        """The id field an entity is indexed in (all three when its type is unknown)."""
        entity = self.builder.names.entities.get(entity_id)
        kind = TYPE_FIELD.get(entity.type) if entity else None
        return (kind,) if kind else ("person", "place", "org")

    def values(self, searcher: tantivy.Searcher, field: str) -> list[str]:
        """Every value a keyword field holds (a short list: types, archives, languages)."""
        key = ("values", self.files.generation, field)
        return self._cache.get_or(
            key, lambda: [t for t, _ in searcher.terms_with_prefix(field, "", limit=None)]
        )

    def completions(self, searcher: tantivy.Searcher, prefix: str) -> list[str]:
        """The most frequent words starting with ``prefix``."""

        def make() -> list[str]:
            found = searcher.terms_with_prefix("all", prefix, limit=None)
            found.sort(key=lambda tc: -tc[1])
            return [t for t, _ in found[:PREFIX_EXPANSIONS]]

        return self._cache.get_or(("prefix", self.files.generation, prefix), make)

    # -- facets ----------------------------------------------------------------------------

    def _facets(
        self, searcher: tantivy.Searcher, query: Query, total: int
    ) -> tuple[dict[str, list[FacetCount]], list[str], bool]:
        if total == 0:
            return {name: [] for name in FACET_SIZES}, [], False
        scale, approximate = 1.0, False
        if total > FACET_EXACT_LIMIT:
            buckets = max(1, math.ceil(SAMPLE_BUCKETS * FACET_EXACT_LIMIT / total))
            # the bucket postings drive the intersection: cost follows the sample size
            sample = Query.range_query(
                self.schema,
                "sample",
                FieldType.Integer,
                0,
                buckets,
                include_upper=False,
                use_inverted_index=True,
            )
            query = Query.boolean_query([(Occur.Must, query), (Occur.Must, sample)])
            scale, approximate = SAMPLE_BUCKETS / buckets, True
        request = {
            name: {"terms": {"field": field, "size": size}}
            for name, (field, size) in FACET_SIZES.items()
        }
        answer = searcher.aggregate(query, request)
        facets: dict[str, list[FacetCount]] = {}
        truncated = []
        for name in FACET_SIZES:
            result = answer.get(name) or {}
            counts = [
                FacetCount(str(b["key"]), round(b["doc_count"] * scale))
                for b in result.get("buckets", [])
            ]
            if name == "year":
                counts.sort(key=lambda c: c.value)
            facets[name] = counts
            if result.get("sum_other_doc_count"):
                truncated.append(name)
        return facets, truncated, approximate


class _Translator:
    """One plan node at a time; None means the node asks for nothing (only punctuation)."""

    def __init__(
        self, backend: TantivyBackend, searcher: tantivy.Searcher, out: BackendResult
    ) -> None:
        self.backend = backend
        self.schema = backend.schema
        self.analyze = analyzer().analyze
        self.searcher = searcher
        self.out = out

    def node(self, node: Any) -> Query | None:
        if isinstance(node, And):
            return self._and(node.children)
        if isinstance(node, Or):
            parts = [q for q in (self.node(c) for c in node.children) if q is not None]
            if len(parts) <= 1:
                return parts[0] if parts else None
            return Query.boolean_query([(Occur.Should, q) for q in parts])
        if isinstance(node, Not):
            return self._and([node])
        if isinstance(node, Term | Phrase):
            return self.text("all", node.text)
        if isinstance(node, Prefix):
            return self._prefix(node.stem)
        if isinstance(node, NameMatch):
            return self._name(node)
        if isinstance(node, EntityFilter | ValueFilter | DateFilter):
            return Query.const_score_query(self._filter(node), 0.0)
        raise TypeError(f"cannot search for {node!r}")

    def _and(self, children: Any) -> Query | None:
        musts, nots = [], []
        for child in children:
            if isinstance(child, Not):
                q = self.node(child.child)
                if q is not None:
                    nots.append(q)
            else:
                q = self.node(child)
                if q is not None:
                    musts.append(q)
        if not musts and not nots:
            return None
        if len(musts) == 1 and not nots:
            return musts[0]
        clauses = [(Occur.Must, q) for q in musts or [Query.all_query()]]
        return Query.boolean_query(clauses + [(Occur.MustNot, q) for q in nots])

    def text(self, field: str, text: str) -> Query | None:
        tokens = self.analyze(text)
        if not tokens:
            return None
        if len(tokens) == 1:
            return Query.term_query(self.schema, field, tokens[0])
        return Query.phrase_query(self.schema, field, tokens)

    def _prefix(self, stem: str) -> Query | None:
        tokens = self.analyze(stem)
        if not tokens:
            return None
        if len(tokens) > 1:  # "Hon-yo*": a phrase whose last word is a prefix
            return Query.phrase_prefix_query(self.schema, "all", tokens)
        words = self.backend.completions(self.searcher, tokens[0])
        self.out.expansions[stem] = words
        if not words:
            return Query.empty_query()
        return Query.boolean_query(
            [(Occur.Should, Query.term_query(self.schema, "all", w)) for w in words]
        )

    def _name(self, name: NameMatch) -> Query:
        """A name in any spelling: the documents linked to the entity by its word in the
        ranked field (weighted like a name, so they rank by it), and a phrase for each
        spelling, for documents that write it without being linked. The phrases meet
        only the documents that write them: linked documents carry the entity's word, not
        its names, so a phrase need not check positions in each of them."""
        canonical = self.backend.builder.names.canonical
        words = dict.fromkeys(entity_word(canonical(i)) for i in name.ids)
        parts = [Query.term_query(self.schema, "all", word) for word in words]
        for tokens in _fewest_forms(tuple(self.analyze(form)) for form in name.names):
            if len(tokens) == 1:
                parts.append(Query.term_query(self.schema, "all", tokens[0]))
            else:
                parts.append(Query.phrase_query(self.schema, "all", list(tokens)))
        return Query.boolean_query([(Occur.Should, q) for q in parts])

    def _filter(self, node: Any) -> Query:
        if isinstance(node, DateFilter):
            clauses = []
            if node.hi is not None:
                clauses.append(
                    Query.range_query(self.schema, "date_start", FieldType.Integer, None, node.hi)
                )
            if node.lo is not None:
                clauses.append(
                    Query.range_query(self.schema, "date_end", FieldType.Integer, node.lo, None)
                )
            return Query.boolean_query([(Occur.Must, q) for q in clauses])
        if isinstance(node, ValueFilter):
            values = _matching_values(self.backend.values(self.searcher, node.field), node.value)
            if not values:
                return Query.empty_query()
            return Query.term_set_query(self.schema, node.field, values)
        if node.ids:
            return Query.term_set_query(self.schema, node.field, list(node.ids))
        names = f"{node.field}_names" if node.field in ("sender", "recipient") else "names"
        return self.text(names, node.value) or Query.empty_query()


def _fewest_forms(forms: Any) -> list[tuple[str, ...]]:
    """The forms that can match a document the others cannot.

    "n a bulganin" finds nothing that "bulganin" does not, and as a phrase of very
    common words it is costly; only forms containing no shorter kept form remain.
    """
    kept: list[tuple[str, ...]] = []
    for form in sorted({f for f in forms if f}, key=len):
        if not any(_contains(form, shorter) for shorter in kept):
            kept.append(form)
    return kept


def _contains(form: tuple[str, ...], part: tuple[str, ...]) -> bool:
    n = len(part)
    return any(form[i : i + n] == part for i in range(len(form) - n + 1))


def _matching_values(values: list[str], wanted: str) -> list[str]:
    """Values equal to ``wanted`` ignoring case; else those containing all its words."""
    key = wanted.casefold().strip()
    exact = [v for v in values if v.casefold() == key]
    if exact:
        return exact
    words = key.split()
    return [v for v in values if all(w in v.casefold().split() for w in words)]


# Hits ranked past the page, read so that hits of equal score at its edges are ordered.
TIE_SLACK = 16


def _ties_by_id(
    searcher: tantivy.Searcher,
    hits: list[tuple[Any, Any]],
    offset: int,
    limit: int,
    descending: bool = True,
) -> list[tuple[float, str]]:
    """The page ``offset:offset+limit`` of hits ranked by score (or by a date, ``hits``
    from a sort by a field), equal ones by document id: the same page however the index's
    segments were made (a rebuild, a replica on another server, or either store), where
    Tantivy breaks ties by segment and position. Ids are read only for the values on the
    page (``TIE_SLACK`` hits past its end are collected; a tie longer than that at its
    end is ordered among those read)."""
    on_page = {value for value, _ in hits[offset : offset + limit]}
    sign = -1 if descending else 1
    ordered = sorted(
        ((value, searcher.doc(addr)["id"][0]) for value, addr in hits if value in on_page),
        key=lambda hit: (sign * hit[0], hit[1]),
    )
    before = sum(1 for value, _ in hits[:offset] if value not in on_page)
    return [
        (float(value), doc_id)
        for value, doc_id in ordered[offset - before : offset - before + limit]
    ]
