"""The web's view of the search service: one call, pagination, facets as filters.

The service (``fonds.search.service``) is the one search module behind the CLI, the API
and these pages; this module only adapts its result for display and reads every
attribute with a default, so a page renders whatever version of the service is installed.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fonds.copies.links import copy_group
from fonds.errors import QuerySyntaxError
from fonds.search import service
from fonds.store.sqlite import Store
from fonds.web.render import highlight_snippet

SORTS = {"relevance": None, "date": "date", "-date": "-date"}
# Facet name (as the service names it) → the query-language field a click adds.
FACET_FILTERS = {
    "type": "type",
    "doc_type": "type",
    "year": "date",
    "archive": "archive",
    "language": "lang",
    "original_language": "lang",
    "lang": "lang",
    "classification": "classification",
    "people": "person",
    "person": "person",
    "places": "place",
    "place": "place",
    "organizations": "org",
    "org": "org",
    "sender": "sender",
    "recipient": "recipient",
    "recipients": "recipient",
}
FACET_LABELS = {
    "type": "Type",
    "doc_type": "Type",
    "year": "Year",
    "archive": "Archive",
    "language": "Language",
    "lang": "Language",
    "people": "People",
    "places": "Places",
    "classification": "Classification",
}


@dataclass
class SearchForm:
    """What the user asked: free text plus the filters of the form."""

    q: str = ""
    doc_type: str = ""
    date_from: str = ""
    date_to: str = ""
    sort: str = "relevance"
    mode: str = "lexical"  # or "hybrid" / "semantic": a question in plain language
    copies: str = "grouped"  # or "all": every copy of a document as a hit of its own

    def query(self) -> str:
        """The query in the search language: the text and each filter as a field."""
        parts = [self.q.strip()]
        if self.doc_type:
            parts.append(f"type:{quote(self.doc_type)}")
        if self.date_from or self.date_to:
            parts.append(f"date:{self.date_from}..{self.date_to}")
        return " ".join(p for p in parts if p)

    def values(self) -> dict[str, str]:
        """The form as URL parameters, defaults left out."""
        values = {
            "q": self.q,
            "type": self.doc_type,
            "from": self.date_from,
            "to": self.date_to,
            "sort": "" if self.sort == "relevance" else self.sort,
            "mode": "" if self.mode == "lexical" else self.mode,
            "copies": "" if self.copies == "grouped" else self.copies,
        }
        return {k: v for k, v in values.items() if v}

    def params(self, **changes: Any) -> str:
        values: dict[str, Any] = {**self.values(), **changes}
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


@dataclass
class FacetChoice:
    value: str
    label: str
    count: int
    token: str
    active: bool


@dataclass
class Page:
    """One page of results, ready for a template or the JSON API."""

    query: str
    hits: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    offset: int = 0
    limit: int = 20
    truncated: bool = False
    timed_out: list[str] = field(default_factory=list)
    facets: dict[str, list[FacetChoice]] = field(default_factory=dict)
    facets_approximate: bool = False  # counts estimated from a sample of a large match

    def as_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "truncated": self.truncated,
            "timed_out": self.timed_out,
            "hits": [{k: v for k, v in h.items() if k != "snippet_html"} for h in self.hits],
            "facets": {
                name: [{"value": c.value, "label": c.label, "count": c.count} for c in values]
                for name, values in self.facets.items()
            },
            "facets_approximate": self.facets_approximate,
        }


def quote(value: str) -> str:
    value = value.replace('"', " ").strip()
    return f'"{value}"' if re.search(r"[\s:()]", value) or not value else value


def _check_text(text: str, noun: str, when_empty: str, max_chars: int) -> None:
    """QuerySyntaxError for an empty or too long query or question."""
    if not text.strip():
        raise QuerySyntaxError(when_empty)
    if len(text) > max_chars:
        raise QuerySyntaxError(
            f"the {noun} is {len(text)} characters long; the limit is {max_chars}"
        )


COPIES = ("grouped", "all")


def group_copies(store: Store, hits: list[dict[str, Any]], grouped: bool = True) -> None:
    """One hit per copy group (fonds.copies): the best ranked copy stays, and says where
    else the document is (``also_in``: its other copies, {id, title}); the other copies'
    hits leave the page. With ``grouped`` False every hit stays, each with its copies."""
    seen: dict[tuple[str, ...], dict[str, Any]] = {}
    keep: list[dict[str, Any]] = []
    ids = [h["id"] for h in hits]
    marks = ",".join("?" * len(ids))
    linked = (
        {  # one query for the page; a group is walked only for hits that have one
            row[0]
            for row in store.conn.execute(
                f"SELECT document_id FROM copies WHERE relation = 'same' AND document_id IN ({marks})"
                f" UNION SELECT other_id FROM copies WHERE relation = 'same' AND other_id IN ({marks})",
                [*ids, *ids],
            )
        }
        if ids
        else set()
    )
    groups = {i: tuple(copy_group(store, i)) if i in linked else (i,) for i in ids}
    others = sorted({d for g in groups.values() for d in g} - {h["id"] for h in hits})
    titles = {h["id"]: h["title"] for h in hits}
    for start in range(0, len(others), 500):
        chunk = others[start : start + 500]
        marks = ",".join("?" * len(chunk))
        titles.update(
            store.conn.execute(f"SELECT id, title FROM documents WHERE id IN ({marks})", chunk)
        )
    for hit in hits:
        group = groups[hit["id"]]
        hit["also_in"] = [{"id": d, "title": titles.get(d, "")} for d in group if d != hit["id"]]
        if grouped and len(group) > 1 and group in seen:
            continue
        seen[group] = hit
        keep.append(hit)
    hits[:] = keep


def run(
    store: Store,
    query: str,
    *,
    limit: int,
    offset: int,
    sort: str | None,
    max_chars: int,
    copies: str = "grouped",
) -> Page:
    """Search through the one search service; raise QuerySyntaxError for bad input.
    Copies of one document are one hit unless ``copies`` is "all" (``group_copies``)."""
    _check_text(query, "query", "type a word or a name to search for", max_chars)
    try:
        result = service.search(
            store,
            query,
            limit=limit,
            offset=offset,
            sort=sort,
            facets=True,
            once=copies != "all",
        )
    except ValueError as err:  # a bad sort or option named by the service
        raise QuerySyntaxError(str(err)) from err
    hits = [_hit(h) for h in result.hits]
    group_copies(store, hits, grouped=copies != "all")
    return Page(
        query=query,
        hits=hits,
        total=result.total,
        offset=result.offset,
        limit=limit,
        truncated=result.truncated,
        timed_out=list(result.timed_out),
        facets=_facets(result.facets, query),
        facets_approximate=result.facets_approximate,
    )


MODES = {"lexical": "the query language", "hybrid": "a question in plain language"}


def questions_available() -> bool:
    """True when the optional semantic extra (an embedding model) is installed."""
    return any(importlib.util.find_spec(m) for m in ("model2vec", "sentence_transformers"))


def ask(
    store: Store,
    question: str,
    *,
    mode: str,
    limit: int,
    offset: int,
    max_chars: int,
    sort: str | None = None,
    copies: str = "grouped",
) -> Page:
    """A question in plain language (fonds.search.hybrid), as a page without facets.

    Raises:
        QuerySyntaxError: an empty, too long or wordless question, a bad page, or a sort
            other than relevance.
        DependencyError: the semantic extra is not installed.
    """
    from fonds.search.hybrid import ask as ask_hybrid

    _check_text(question, "question", "type a question to search for", max_chars)
    result = ask_hybrid(store, question, mode=mode, limit=limit, offset=offset, sort=sort)
    hits = [_hit(h) for h in result.hits]
    group_copies(store, hits, grouped=copies != "all")
    return Page(
        query=question,
        hits=hits,
        total=result.total,
        offset=result.offset,
        limit=limit,
        truncated=result.truncated,
    )


def similar(store: Store, doc_id: str, limit: int) -> list[dict[str, Any]] | None:
    """The service's "more like this", or None when the installed service has none."""
    fn = getattr(service, "more_like_this", None)
    if fn is None:
        return None
    result = fn(store, doc_id, limit=limit)
    return [_hit(h) for h in getattr(result, "hits", [])]


def _hit(hit: Any) -> dict[str, Any]:
    snippet = str(getattr(hit, "snippet", "") or "")
    spans = [tuple(s) for s in (getattr(hit, "highlights", None) or [])]
    if not hasattr(hit, "highlights"):
        snippet, spans = bracket_highlights(snippet)
    matched = getattr(hit, "matched", None)
    return {
        "id": hit.id,
        "score": round(float(getattr(hit, "score", 0.0) or 0.0), 4),
        "title": getattr(hit, "title", "") or "",
        "date": getattr(hit, "date", None),
        "doc_type": getattr(hit, "doc_type", None),
        "snippet": snippet,
        "highlights": [list(s) for s in spans],
        "matched": _plain(matched),
        "snippet_html": highlight_snippet(snippet, spans),
    }


def bracket_highlights(snippet: str) -> tuple[str, list[tuple[int, int]]]:
    """A snippet marked up as "[word]" (the first search service) as text and offsets."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = size = 0
    for m in re.finditer(r"\[([^\[\]]+)\]", snippet):
        out.append(snippet[pos : m.start()])
        size += m.start() - pos
        spans.append((size, size + len(m.group(1))))
        out.append(m.group(1))
        size += len(m.group(1))
        pos = m.end()
    out.append(snippet[pos:])
    return "".join(out), spans


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return str(value)


def _facets(raw: dict[str, Any], query: str) -> dict[str, list[FacetChoice]]:
    out: dict[str, list[FacetChoice]] = {}
    for name, values in raw.items():
        field_name = FACET_FILTERS.get(name)
        choices = []
        for v in values or []:
            value = str(getattr(v, "value", "") or "")
            label = str(getattr(v, "label", None) or value)
            if not value:
                continue
            if field_name == "date":
                token = f"date:{value}"
            elif field_name:
                token = f"{field_name}:{quote(value)}"  # values are query-language ready
            else:
                token = ""
            choices.append(
                FacetChoice(
                    value,
                    label,
                    int(getattr(v, "count", 0) or 0),
                    token,
                    bool(token) and token in query,
                )
            )
        if choices:
            out[name] = choices
    return out


def facet_label(name: str) -> str:
    return FACET_LABELS.get(name, name.replace("_", " ").capitalize())


def toggle(q: str, token: str) -> str:
    """The query with a facet's token added, or removed when it is there already."""
    if token and token in q:
        return " ".join(q.replace(token, " ").split())
    return f"{q} {token}".strip()


__all__ = ["Page", "SearchForm", "facet_label", "run", "similar", "toggle"]
