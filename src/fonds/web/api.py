"""The JSON API (read side): search, documents, entities, timeline, network, places."""

from __future__ import annotations

import os
from pathlib import PurePath
from typing import Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from fonds.copies.links import copies_of
from fonds.errors import FondsError
from fonds.export.citations import cite
from fonds.web import corpus, documents, entities, searching
from fonds.web.corpus import DATE_PATTERN
from fonds.web.explore import cached_network, cached_places
from fonds.web.pages import state_of
from fonds.web.state import MAX_OFFSET

router = APIRouter(prefix="/api", tags=["read"])

# What the search accepts, as the OpenAPI schema says it (enums: a client, or a fuzzer,
# knows every value before it asks).
Sort = Literal["relevance", "date", "-date"]
Mode = Literal["lexical", "hybrid", "semantic"]
SortParam = Query("relevance", description="relevance, date (oldest first) or -date")
ModeParam = Query(
    "lexical",
    description="lexical (the query language), or semantic or hybrid: `q` is a question "
    "in plain language (needs the semantic extra; facets are empty)",
)
Copies = Literal["grouped", "all"]
CopiesParam = Query(
    "grouped",
    description="grouped: one hit per document, its other copies in also_in; all: every copy",
)
Limit = Query(20, ge=1, le=100, description="page size (at most 100)")
Offset = Query(0, ge=0, le=MAX_OFFSET, description=f"items to skip (at most {MAX_OFFSET})")


@router.get("/search", response_class=JSONResponse)
def api_search(
    request: Request,
    q: str = Query(..., description="a query in the search language (as `fonds search`)"),
    limit: int = Limit,
    offset: int = Offset,
    sort: Sort = SortParam,
    type: str = Query("", description="document type filter, added to the query as type:"),
    date_from: str = Query(
        "",
        alias="from",
        json_schema_extra={"pattern": DATE_PATTERN},
        description="earliest date, YYYY[-MM[-DD]]",
    ),
    date_to: str = Query(
        "",
        alias="to",
        json_schema_extra={"pattern": DATE_PATTERN},
        description="latest date, YYYY[-MM[-DD]]",
    ),
    mode: Mode = ModeParam,
    copies: Copies = CopiesParam,
) -> JSONResponse:
    """Ranked hits with snippets, highlight offsets and facet counts. Copies of one
    document (fonds.copies) are one hit, with the others in its ``also_in``, unless
    ``copies=all``; ``total`` and the facets count every copy."""
    state = state_of(request)
    form = searching.SearchForm(q, type, date_from, date_to, sort)
    if mode != "lexical":  # a missing semantic extra answers 501, naming it (app.py)
        question = searching.ask(
            state.reader(),
            form.query(),
            mode=mode,
            limit=limit,
            offset=offset,
            max_chars=state.limits.max_query_chars,
            sort=searching.SORTS[sort],
            copies=copies,
        )
        return JSONResponse(question.as_json())
    page = searching.run(
        state.reader(),
        form.query(),
        limit=limit,
        offset=offset,
        sort=searching.SORTS[sort],
        max_chars=state.limits.max_query_chars,
        copies=copies,
    )
    # a Response is sent as it is: FastAPI's generic encoder would first walk every value
    # of the page (about 2 ms for 20 hits with facets); these are plain values already
    return JSONResponse(page.as_json())


@router.get("/status")
async def api_status(request: Request) -> dict[str, Any]:
    """Whether this server process is ready (its shared counts and search index loaded),
    for health checks and load balancers; ``process`` tells worker processes apart.

    Answered on the event loop, not in a request thread: it must answer while every
    thread renders pages; only a count not yet cached is taken on a thread."""
    state = state_of(request)
    documents = state.cached_now("documents")
    if documents is None:
        documents = await anyio.to_thread.run_sync(
            state.cached, "documents", lambda: state.reader().count_documents()
        )
    return {
        "ready": state.ready.is_set(),
        "semantic": state.semantic,
        "documents": documents,
        "writable": bool(state.write_token),
        "process": os.getpid(),
    }


@router.get("/documents/{doc_id}")
def api_document(request: Request, doc_id: str) -> dict[str, Any]:
    """One record, as `fonds export --format jsonl` writes it (evidence and repairs too),
    but for its source, named by its file name: the server's folders are nobody's business."""
    store = state_of(request).reader()
    record = store.get_record(doc_id)
    source = record.get("source") or {}
    record["source"] = {**source, "path": PurePath(str(source.get("path", ""))).name}
    record["copies"] = copies_of(store, doc_id)
    return record


@router.get("/documents/{doc_id}/similar")
def api_similar(
    request: Request, doc_id: str, limit: int = Query(10, ge=1, le=50)
) -> dict[str, Any]:
    """Documents like this one: the search service's "more like this" when it has one,
    else the documents that name the most of the same entities."""
    store = state_of(request).reader()
    store.get_record(doc_id)  # 404 for an unknown id
    try:
        hits = searching.similar(store, doc_id, limit)
    except FondsError:
        hits = None
    method = "text"
    if hits is None:
        hits, method = documents.sharing_entities(store, doc_id, limit), "shared-entities"
    hits = [{k: v for k, v in h.items() if k != "snippet_html"} for h in hits if h["id"] != doc_id]
    return {"id": doc_id, "method": method, "hits": hits}


@router.get("/documents/{doc_id}/citations")
def api_citations(request: Request, doc_id: str) -> dict[str, Any]:
    """The record cited in Chicago (note and bibliography), BibTeX and CSL-JSON."""
    return cite(state_of(request).reader().get_record(doc_id)).as_json()


@router.get("/entities")
def api_entities(
    request: Request,
    q: str = Query("", max_length=300, description="part of a name or variant"),
    type: str = Query("", pattern="^(|person|place|organization)$"),
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Entities whose name or a variant contains `q`, the most documented first."""
    rows, total = entities.find_entities(state_of(request), q, type or None, limit, offset)
    return {"total": total, "offset": offset, "limit": limit, "entities": rows}


@router.get("/entities/{entity_id}")
def api_entity(
    request: Request, entity_id: str, limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    """An entity: names and variants, facts and offices, documents by year, its company."""
    store = state_of(request).reader()
    target = entities.merged_into(store, entity_id)
    view = entities.load_entity(store, target or entity_id)
    docs, total = entities.entity_documents(store, view.id, limit, offset)
    out = view.as_json()
    out.update(
        {
            "merged_from": entity_id if target else None,
            "years": [
                {"year": y, "documents": n} for y, n in entities.entity_years(store, view.id)
            ],
            "co_mentioned": entities.co_mentioned(store, view.id),
            "documents": {"total": total, "offset": offset, "limit": limit, "items": docs},
        }
    )
    return out


@router.get("/timeline")
def api_timeline(
    request: Request,
    date_from: str = Query(
        "", alias="from", json_schema_extra={"pattern": DATE_PATTERN}, description="YYYY[-MM[-DD]]"
    ),
    date_to: str = Query(
        "", alias="to", json_schema_extra={"pattern": DATE_PATTERN}, description="YYYY[-MM[-DD]]"
    ),
    person: str = Query("", description="an entity id: only documents naming it"),
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Documents counted by year, month or day (by the span asked for), and a page of them."""
    store = state_of(request).reader()
    line = corpus.timeline(store, date_from or None, date_to or None, person or None)
    out = line.as_json()
    out["documents"] = {
        "offset": offset,
        "limit": limit,
        "items": corpus.timeline_documents(
            store, date_from or None, date_to or None, person or None, limit, offset
        ),
    }
    return out


@router.get("/network")
def api_network(
    request: Request,
    kind: str = Query(
        "both",
        pattern="^(both|wrote|met)$",
        description="wrote: sender → recipients; met: in one conversation",
    ),
    person: str = Query("", description="an entity id: only its own links"),
) -> dict[str, Any]:
    """Who wrote to whom and who met whom, each link with its documents."""
    return cached_network(state_of(request), kind, person or None).as_json()


@router.get("/places")
def api_places(request: Request) -> dict[str, Any]:
    """Places with coordinates (for a map) and places named without any."""
    located, unlocated = cached_places(state_of(request))
    return {"places": located, "without_coordinates": unlocated}
