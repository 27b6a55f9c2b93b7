"""Questions in plain language: semantic search, and hybrid search (lexical + semantic).

The query language (QUERY.md) ANDs every word, so a question such as "who asked Stalin
for permission to attack?" matches nothing lexically. :func:`ask` answers it in one of
three modes:

``lexical``
    :func:`fonds.search.service.search` on the text as typed (the query language).
``semantic``
    the documents nearest in meaning (:func:`fonds.search.semantic.semantic_search`);
    the score is the cosine similarity.
``hybrid`` (the default)
    two rankings of ``max(DEPTH, limit)`` documents each, fused by reciprocal rank
    (:func:`fonds.search.semantic.rrf_fuse`): an *any-word* lexical ranking (the
    question's words OR-ed, stop words left out) and the semantic one. The score is the
    fused RRF score. benchmarks/README.md ("Semantic") found this the best ranking.

In a question only field filters are syntax: ``type:telegram``, ``date:1950-04..1950-06``,
``person:"Kim Il Sung"`` (every field of the query language but ``sort:``; at most
MAX_FILTERS, each at most MAX_FILTER_CHARS long). They narrow both rankings. Everything
else is plain words: ``OR``, ``AND``, ``NOT``, ``-x``, quotes, parentheses, ``*``, a
malformed filter (``person:``, ``date:yesterday``) or an unknown field are never read as
operators, so a question never fails to parse. Only the first QUESTION_CHARS characters of
a question are read.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from fonds.errors import QuerySyntaxError
from fonds.search import semantic, service
from fonds.search.lexer import FIELD_ALIASES, FIELDS
from fonds.search.query import MAX_QUERY_CHARS, DateRange, Filter, parse, render_node
from fonds.search.service import MAX_LIMIT, MAX_WINDOW, Hit, SearchResult
from fonds.search.snippets import SCAN_CHARS, find_spans, make_snippet, word_pattern
from fonds.search.tantivy_search import STOP_WORDS
from fonds.search.words import analyzer
from fonds.store.sqlite import Store

MODES = ("lexical", "semantic", "hybrid")
DEPTH = 50  # documents each ranking brings to the fusion (at least; see ask)
QUESTION_CHARS = 4000  # what is read of a question (MiniLM reads 256 word pieces anyway)
MAX_WORDS = 32  # distinct words OR-ed in the lexical ranking, in the question's order
MIN_WORD_CHARS = 2  # shorter words ("s" of "Stalin's") are left out of the lexical ranking
MAX_FILTERS = 8
MAX_FILTER_CHARS = 200
FILTER_CAP = MAX_WINDOW  # filters of a question may match at most this many documents
FILTER_PAGE = MAX_LIMIT
SEMANTIC_GROWTH = 8  # with filters, the semantic ranking is read this many times deeper

# A filter in a question: a known field, a colon, then a quoted or a bare value, the whole
# standing between spaces (so "(type:telegram)" or "-type:x" stay words).
_SYNTAX = frozenset('()"|:*-\\')
_FILTER_RE = re.compile(r'(?<!\S)([A-Za-z_]+):("[^"]*"|[^\s"()|]+)(?=\s|$)')


@dataclass(frozen=True)
class Question:
    """A question split for the two rankings.

    ``text`` is what the semantic ranking embeds (the question without its filters),
    ``words`` the analysed words OR-ed by the lexical ranking, ``filters`` the filters in
    the query language's canonical form.
    """

    text: str
    words: tuple[str, ...]
    filters: tuple[str, ...]

    def lexical_query(self) -> str | None:
        """The any-word query (filters ANDed in front), or None when no word is left.

        Each word is a run of letters and digits, lower-cased, so none is an operator.
        Words are dropped from the end until the query fits the query language's limit.
        """
        words = list(self.words)
        while words:
            query = _join(self.filters, words)
            if len(query) <= MAX_QUERY_CHARS:
                return query
            words.pop()
        return None

    def filter_query(self) -> str | None:
        """The filters alone, as one query; None when the question has none."""
        return " ".join(self.filters) or None


def split_question(question: str) -> Question:
    """Filters, text and words of a question (see the module's docstring).

    Raises:
        QuerySyntaxError: the question holds no letter or digit besides its filters.
    """
    if not isinstance(question, str):
        raise QuerySyntaxError("the question must be text")
    head = question[:QUESTION_CHARS]
    filters: list[str] = []
    kept: list[str] = []
    pos = 0
    for m in _FILTER_RE.finditer(head):
        canonical = _filter(m.group(1), m.group(2)) if len(filters) < MAX_FILTERS else None
        if canonical is None:
            continue  # read as words
        kept.append(head[pos : m.start()])
        pos = m.end()
        if canonical not in filters:
            filters.append(canonical)
    kept.append(head[pos:])
    text = " ".join(" ".join(kept).split())
    if not any(c.isalnum() for c in text):
        raise QuerySyntaxError(
            "the question has no words"
            + (" besides its filters" if filters else "")
            + ': ask in plain words, e.g. "who asked Stalin for permission to attack?"'
        )
    return Question(text, _words(text), tuple(filters))


def ask(
    store: Store,
    question: str,
    *,
    mode: str = "hybrid",
    limit: int = 20,
    offset: int = 0,
    sort: str | None = None,
    facets: bool = True,
    embedder: semantic.Embedder | None = None,
) -> SearchResult:
    """Ranked documents for a question, lexically, semantically or both (see MODES).

    Args:
        store: the archive.
        question: plain language, with field filters if wanted; in ``lexical`` mode a
            query in the query language.
        mode: ``lexical``, ``semantic`` or ``hybrid``.
        limit: hits per page (1-1000).
        offset: hits to skip. A question ranks at most ``2 * max(DEPTH, limit)``
            candidates (``max(DEPTH, limit)`` in semantic mode): pages end there.
        sort: ``lexical`` only (``relevance``, ``date``, ``-date``); the other modes rank
            by relevance alone and refuse another order.
        facets: ``lexical`` only; the other modes count no facets.
        embedder: the embedder to use; by default ``FONDS_EMBEDDER``'s.

    Returns:
        A :class:`SearchResult`: ``total`` is the number of candidates ranked, ``facets``
        is empty and ``query`` is the question (outside lexical mode).

    Raises:
        QuerySyntaxError: an unknown mode or sort, a bad page, a question without words,
            filters that match more than FILTER_CAP documents.
        DependencyError: the ``semantic`` extra is not installed.
        ConfigError: the vector index was built by another embedder.
        StoreError: an index cannot be read.
    """
    if mode not in MODES:
        raise QuerySyntaxError(f"unknown search mode {mode!r}: use {', '.join(MODES)}")
    if mode == "lexical":
        return service.search(store, question, limit=limit, offset=offset, sort=sort, facets=facets)
    started = time.perf_counter()
    _check(limit, offset, sort)
    asked = split_question(question)
    emb = embedder if embedder is not None else semantic.get_embedder()
    depth = max(DEPTH, limit)
    allowed = _filtered_ids(store, asked.filter_query())
    meaning = _semantic_ranking(store, asked.text, depth, emb, allowed)
    if mode == "semantic":
        ranked, lexical = meaning, {}
    else:
        lexical = _lexical_hits(store, asked.lexical_query(), depth)
        ranked = semantic.rrf_fuse([list(lexical), [d for d, _ in meaning]])
    page = ranked[offset : offset + limit]
    hits = _hits(store, page, lexical, asked.words)
    return SearchResult(
        query=question,
        hits=hits,
        total=len(ranked),
        offset=offset,
        limit=limit,
        truncated=len(ranked) > offset + len(page),
        sort="relevance",
        took_ms=(time.perf_counter() - started) * 1000,
    )


# -- the question ------------------------------------------------------------------------


def _filter(name: str, value: str) -> str | None:
    """The canonical text of one filter, or None when it is to be read as words."""
    field = FIELD_ALIASES.get(name.lower(), name.lower())
    if field not in FIELDS and field != "date":
        return None
    bare = value[1:-1] if value.startswith('"') else value
    try:
        parsed = parse(f'{field}:"{bare}"')
    except QuerySyntaxError:
        return None
    if not isinstance(parsed.root, Filter | DateRange) or parsed.sort is not None:
        return None  # pragma: no cover - one quoted field value parses to one filter
    canonical = render_node(parsed.root)
    return canonical if len(canonical) <= MAX_FILTER_CHARS else None


def _words(text: str) -> tuple[str, ...]:
    """The question's distinct words as the index analyses them, stop words left out."""
    out: dict[str, None] = {}
    for word in analyzer().analyze(text):
        if len(word) < MIN_WORD_CHARS or word in STOP_WORDS or not _is_plain(word):
            continue
        out.setdefault(word, None)
        if len(out) == MAX_WORDS:
            break
    return tuple(out)


def _is_plain(word: str) -> bool:
    """True when the query language reads `word` as one plain word, never as syntax.

    The analyser keeps runs of letters and digits only, so this always holds; checked all
    the same, since the lexical query is built from the words without quoting them.
    """
    return word not in ("OR", "AND", "NOT") and not any(
        c in _SYNTAX or c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in word
    )


def _join(filters: Sequence[str], words: Sequence[str]) -> str:
    ored = " OR ".join(words)
    if not filters:
        return ored
    return " ".join(filters) + (f" ({ored})" if len(words) > 1 else f" {ored}")


def _check(limit: int, offset: int, sort: str | None) -> None:
    service.check_page(limit, offset)
    if sort not in (None, "relevance"):
        raise QuerySyntaxError(
            f"a question is ranked by relevance; sort {sort!r} works in the lexical mode only"
        )


# -- the two rankings --------------------------------------------------------------------


def _lexical_hits(store: Store, query: str | None, depth: int) -> dict[str, Hit]:
    """The any-word ranking: hits by id, best first (empty without words)."""
    if query is None:
        return {}
    found = service.search(store, query, limit=min(depth, MAX_LIMIT), facets=False)
    return {h.id: h for h in found.hits}


def _filtered_ids(store: Store, query: str | None) -> set[str] | None:
    """Every document the question's filters match; None when it has no filters."""
    if query is None:
        return None
    ids: set[str] = set()
    offset = 0
    while True:
        page = service.search(
            store, query, limit=FILTER_PAGE, offset=offset, sort="date", facets=False
        )
        if page.total > FILTER_CAP:
            raise QuerySyntaxError(
                f"the filters {query!r} match {page.total:,} documents, more than a question "
                f"can be narrowed to ({FILTER_CAP:,}): narrow them (a shorter date range, a "
                "type) or search with the query language"
            )
        ids.update(h.id for h in page.hits)
        offset += FILTER_PAGE
        if offset >= page.total or not page.hits:
            return ids


def _semantic_ranking(
    store: Store,
    text: str,
    depth: int,
    embedder: semantic.Embedder,
    allowed: set[str] | None,
) -> list[tuple[str, float]]:
    """The `depth` documents nearest to `text`, among `allowed` when it is given."""
    if allowed is None:
        return semantic.semantic_search(store, text, depth, embedder)
    if not allowed:
        return []
    want = depth * SEMANTIC_GROWTH
    while True:
        found = semantic.semantic_search(store, text, want, embedder)
        kept = [(d, s) for d, s in found if d in allowed]
        if len(kept) >= depth or len(found) < want:
            return kept[:depth]
        want *= SEMANTIC_GROWTH


# -- hits --------------------------------------------------------------------------------


def _hits(
    store: Store,
    ranked: Sequence[tuple[str, float]],
    lexical: dict[str, Hit],
    words: tuple[str, ...],
) -> list[Hit]:
    """Hits in ranked order with the ranked scores: the lexical hit where there is one
    (its snippet and highlights), else one made from the record (see _plain_hit)."""
    others = [d for d, _ in ranked if d not in lexical]
    rows = _rows(store, others)
    pattern = word_pattern(tuple((w,) for w in words))
    out: list[Hit] = []
    for doc_id, score in ranked:
        hit = lexical.get(doc_id)
        if hit is not None:
            out.append(replace(hit, score=score))
        elif doc_id in rows:  # else deleted since it was ranked
            out.append(_plain_hit(rows[doc_id], score, pattern))
    return out


def _rows(store: Store, ids: list[str]) -> dict[str, Any]:
    """id -> (id, title, date, doc_type, summary, head of the text) from SQLite."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = store.conn.execute(
        "SELECT id, title, date, doc_type, summary, substr(text, 1, ?) AS head "
        f"FROM documents WHERE id IN ({marks})",
        (SCAN_CHARS, *ids),
    )
    return {r["id"]: r for r in rows}


def _plain_hit(row: Any, score: float, pattern: re.Pattern[str] | None) -> Hit:
    """A hit for a document only the semantic ranking found: its snippet is the summary,
    else the start of the text (or where the question's words cluster in it)."""
    source = row["summary"] or row["head"] or ""
    snippet = make_snippet(source, find_spans(source, pattern))
    return Hit(
        row["id"],
        score,
        row["title"] or "",
        row["date"],
        snippet.text,
        snippet.highlights,
        row["doc_type"],
    )
