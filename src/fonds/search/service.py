"""Search over the store: the one entry point behind the CLI, the JSON API and the web pages.

    parse (query.py) → resolve names (plan.py) → match, rank, count (a backend,
    Tantivy by default) → titles, snippets and matched names from SQLite (here)

Every result carries ``total``, ``truncated`` and ``timed_out``. Errors reach the
caller as :class:`~fonds.errors.QuerySyntaxError` (the query) or
:class:`~fonds.errors.StoreError` (the index), never as an engine's own exception.
"""

from __future__ import annotations

import gc
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from fonds.entities.index import NameIndex
from fonds.entities.names import plain_key
from fonds.errors import FondsError, QuerySyntaxError, StoreError
from fonds.search.base import BackendResult, FacetCount
from fonds.search.engine import backend_for, bring_in_step, change_marker, entities_for
from fonds.search.plan import EntityFilter, NameMatch, Plan
from fonds.search.query import SORTS, Phrase, Prefix, Term, parse, positive_nodes
from fonds.search.snippets import find_spans, make_snippet, word_pattern
from fonds.search.tantivy_index import hits_in_step
from fonds.search.words import analyzer
from fonds.store.sqlite import Store

MAX_LIMIT = 1000
MAX_WINDOW = 10_000  # offset + limit: deeper pages cost more than they are worth
MAX_MATCHED = 4  # forms listed per name in Hit.matched


@dataclass
class Hit:
    id: str
    score: float
    title: str
    date: str | None
    snippet: str
    highlights: list[tuple[int, int]] = field(default_factory=list)  # offsets in snippet
    doc_type: str | None = None
    matched: list[str] = field(default_factory=list)  # "Pak Hon Yong → Pak Heon-yeong"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": round(self.score, 4),
            "title": self.title,
            "date": self.date,
            "snippet": self.snippet,
            "highlights": [list(h) for h in self.highlights],
            "doc_type": self.doc_type,
            "matched": self.matched,
        }


@dataclass
class FacetValue:
    value: str  # usable in the query language (an entity id for people and places)
    label: str
    count: int

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "label": self.label, "count": self.count}


@dataclass
class SearchResult:
    query: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    offset: int = 0
    limit: int = 20
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    truncated: bool = False  # more hits exist beyond this page
    timed_out: list[str] = field(default_factory=list)  # facets not computed in time
    sort: str = "relevance"
    facets_truncated: list[str] = field(default_factory=list)  # facets with more values
    facets_approximate: bool = False  # facet counts estimated from a sample
    took_ms: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "sort": self.sort,
            "truncated": self.truncated,
            "timed_out": self.timed_out,
            "hits": [h.as_json() for h in self.hits],
            "facets": {k: [v.as_json() for v in vs] for k, vs in self.facets.items()},
            "facets_truncated": self.facets_truncated,
            "facets_approximate": self.facets_approximate,
            "took_ms": round(self.took_ms, 2),
        }


def search(
    store: Store,
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
    sort: str | None = None,
    facets: bool = True,
    once: bool = False,
) -> SearchResult:
    """Ranked hits for a query in the fonds query language (see QUERY.md).

    Args:
        store: the archive.
        query: the query as typed.
        limit: hits per page (1–1000).
        offset: hits to skip (offset + limit at most 10,000).
        sort: ``relevance``, ``date`` or ``-date``; overrides ``sort:`` in the query.
        facets: count by type, year, archive, language, classification, people, places.
        once: a document kept in several copies is one hit, its group's preferred record
            (the fullest; ``fonds.copies``), and is counted once in the total and facets.

    Returns:
        A :class:`SearchResult`.

    Raises:
        QuerySyntaxError: the query, the sort or the page is malformed.
        StoreError: the index cannot be read or brought in step.
    """
    started = time.perf_counter()
    check_page(limit, offset)
    if sort is not None and sort not in SORTS:
        raise QuerySyntaxError(f"cannot sort by {sort!r}: use relevance, date or -date")
    parsed = parse(query)
    marker = change_marker(store)  # read once, before every check it keys
    names, planner = entities_for(store, marker)
    plan = planner.plan(parsed, sort)
    plan.once = once
    if sort is None and parsed.sort is None and not _ranks_words(parsed.root):
        plan.sort = "date"  # filters alone have no relevance to rank by
    with _engine_errors(query):
        backend = backend_for(store, names=names, marker=marker)
        found = backend.search(plan, limit=limit, offset=offset, facets=facets)
    # read while the backend may still be counting facets; from this server's own copy
    # of the hit rows when it keeps one (a PostgreSQL archive's: fonds.search.hit_rows)
    hits = _hits(backend.hit_source() or store.conn, found, plan)
    with _engine_errors(query):
        found.settle()
    return SearchResult(
        query=query,
        hits=hits,
        total=found.total,
        offset=offset,
        limit=limit,
        facets=_facet_values(found.facets, names),
        truncated=found.total > offset + len(found.hits),
        timed_out=found.timed_out,
        sort=plan.sort,
        facets_truncated=found.facets_truncated,
        facets_approximate=found.facets_approximate,
        took_ms=(time.perf_counter() - started) * 1000,
    )


def warm(store: Store) -> None:
    """Load what the first search would: the entity index and the open search index
    (brought in step, built if missing). For a server starting up."""
    names, _ = entities_for(store)
    with _engine_errors(None):
        backend = backend_for(store, names=names)
        hits_in_step(backend.files, store)  # a PostgreSQL archive's server: its hit rows


def settle_for_serving() -> None:
    """Once a server's caches are loaded (``warm``): what lives as long as the process is
    moved out of the garbage collector's way, so that a full collection does not walk the
    entity index's objects in the middle of a search (measured: the slowest twentieth of
    searches 0.3 ms slower without it). Only for a process that serves: what is alive now
    is never collected after."""
    gc.collect()
    gc.freeze()


def more_like_this(store: Store, doc_id: str, *, limit: int = 10) -> SearchResult:
    """Documents that share the most distinctive words and entities of one document.

    Raises:
        NotFound: no document has this id.
    """
    started = time.perf_counter()
    check_page(limit, 0)
    with _engine_errors(f"like:{doc_id}"):
        backend = backend_for(store)
        found = backend.more_like_this(doc_id, limit=limit)
    empty = Plan(None, "relevance")
    return SearchResult(
        query=f"like:{doc_id}",
        hits=_hits(backend.hit_source() or store.conn, found, empty),
        total=found.total,
        offset=0,
        limit=limit,
        truncated=found.total > len(found.hits),
        took_ms=(time.perf_counter() - started) * 1000,
    )


def rebuild_index(store: Store) -> int:
    """Rebuild the search index from the records in SQLite; return the documents indexed."""
    with _engine_errors(None):
        return backend_for(store, fresh=False).rebuild()


def index_pending(store: Store) -> int:
    """Bring the index in step with the records (drain the queue; build it if missing).

    Called by the ingest pipeline after each batch; returns the documents touched.
    """
    with _engine_errors(None):
        return bring_in_step(backend_for(store, fresh=False))  # type: ignore[arg-type]


def index_status(store: Store) -> dict[str, Any]:
    """Facts about the index: folder, documents indexed and in the store, changes waiting."""
    from fonds.search.tantivy_index import describe

    with _engine_errors(None):
        backend = backend_for(store, fresh=False)
        facts = describe(backend.files)  # type: ignore[attr-defined]
        applied = facts.pop("applied_seq") or 0
        facts["records"] = store.count_documents()
        facts["pending"] = store.count_queued(applied)
        facts["backend"] = backend.name
        return facts


# -- pieces ----------------------------------------------------------------------------------


def check_page(limit: int, offset: int) -> None:
    """Raise QuerySyntaxError for a page size or offset out of bounds."""
    if not 1 <= limit <= MAX_LIMIT:
        raise QuerySyntaxError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if offset < 0 or offset + limit > MAX_WINDOW:
        raise QuerySyntaxError(
            f"offset must be between 0 and {MAX_WINDOW - limit} with limit {limit}: "
            "narrow the query (a date range or a filter) instead of paging further"
        )


def _ranks_words(root: Any) -> bool:
    return any(isinstance(n, Term | Phrase | Prefix) for n in positive_nodes(root))


@contextmanager
def _engine_errors(query: str | None) -> Iterator[None]:
    """The index engine's own exceptions become a StoreError naming what to try."""
    try:
        yield
    except (FondsError, KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except sqlite3.Error as err:
        raise StoreError(f"the database refused the search ({err})") from err
    except BaseException as err:  # Tantivy raises ValueError, and panics as BaseException
        what = f" for {query!r}" if query else ""
        raise StoreError(
            f"the search index failed{what} ({type(err).__name__}: {err}); "
            "try `fonds index rebuild`"
        ) from err


def _facet_values(
    facets: dict[str, list[FacetCount]], names: NameIndex
) -> dict[str, list[FacetValue]]:
    out: dict[str, list[FacetValue]] = {}
    for facet, counts in facets.items():
        values = []
        for c in counts:
            label = c.value
            if facet in ("people", "places"):
                entity = names.entities.get(c.value)
                label = entity.name if entity else c.value
            values.append(FacetValue(c.value, label, c.count))
        out[facet] = values
    return out


def _hits(conn: Any, found: BackendResult, plan: Plan) -> list[Hit]:
    """The page's hits as shown: title, date, type, snippet, matched entities, read on
    ``conn`` (the archive's connection, or a server's copy of its hit rows)."""
    ids = [h.id for h in found.hits]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = {
        r["id"]: r
        for r in conn.execute(
            f"SELECT id, title, date, doc_type, summary, text FROM documents WHERE id IN ({marks})",
            ids,
        )
    }
    wanted = _entity_ids(plan)
    mentions: dict[str, list[sqlite3.Row]] = {}
    if wanted:
        emarks = ",".join("?" * len(wanted))
        for r in conn.execute(
            'SELECT document_id, entity_id, field, start, "end", text FROM mentions '
            # "entity_id || ''": look mentions up by document, never by a common entity
            f"WHERE document_id IN ({marks}) AND (entity_id || '') IN ({emarks}) ORDER BY start",
            [*ids, *wanted],
        ):
            mentions.setdefault(r["document_id"], []).append(r)
    pattern = word_pattern(_word_sequences(plan, found))
    hits = []
    for h in found.hits:
        row = rows.get(h.id)
        if row is None:  # deleted since the index answered
            continue
        doc_mentions = mentions.get(h.id, [])
        text_spans = [(m["start"], m["end"]) for m in doc_mentions if m["field"] == "text"]
        text = row["text"] or ""
        spans = find_spans(text, pattern, text_spans)
        source = text
        if not spans and row["summary"]:
            summary_spans = find_spans(row["summary"], pattern)
            if summary_spans or not text:
                source, spans = row["summary"], summary_spans
        snippet = make_snippet(source, spans)
        hits.append(
            Hit(
                h.id,
                h.score,
                row["title"],
                row["date"],
                snippet.text,
                snippet.highlights,
                row["doc_type"],
                _matched(plan, doc_mentions, text),
            )
        )
    return hits


def _entity_ids(plan: Plan) -> list[str]:
    ids: list[str] = []
    for item in (*plan.names, *plan.filters):
        ids += item.ids
    return list(dict.fromkeys(ids))


def _word_sequences(plan: Plan, found: BackendResult) -> tuple[tuple[str, ...], ...]:
    """The analysed word sequences to highlight: words, phrases, completions, names."""
    texts: list[str] = []
    for node in positive_nodes(plan.root):
        if isinstance(node, Term | Phrase):
            texts.append(node.text)
        elif isinstance(node, NameMatch):
            texts += node.names
    for words in found.expansions.values():
        texts += words
    return tuple(dict.fromkeys(_tokens(t) for t in texts))


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    """A text's words as the index analyses them (so highlights follow what matched)."""
    return tuple(analyzer().analyze(text))


def _matched(plan: Plan, mentions: list[sqlite3.Row], text: str) -> list[str]:
    """Which names matched in this document, as "query form → document form"."""
    out: list[str] = []
    items: list[NameMatch | EntityFilter] = [*plan.names, *plan.filters]
    for item in items:
        surface = item.surface if isinstance(item, NameMatch) else f"{item.field}:{item.value}"
        ids = set(item.ids)
        forms = list(dict.fromkeys(m["text"] for m in mentions if m["entity_id"] in ids))
        if not forms and isinstance(item, NameMatch):  # matched in the text, not tagged
            spans = find_spans(text, word_pattern(tuple(_tokens(n) for n in item.names)))
            forms = [text[a:b] for a, b in spans[:1]]
        typed = surface.split(":", 1)[-1]
        for form in forms[:MAX_MATCHED]:
            same = plain_key(form) == plain_key(typed)
            out.append(form if same and isinstance(item, NameMatch) else f"{surface} → {form}")
    return list(dict.fromkeys(out))
