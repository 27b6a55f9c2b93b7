"""HTML pages for reading: home, search, the document reader, entity pages."""

from __future__ import annotations

import io
import logging
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fonds.errors import DependencyError, FondsError, NotFound, QuerySyntaxError
from fonds.export.citations import cite
from fonds.export.meta_tags import meta_tags
from fonds.export.ris import ris_entry, write_ris
from fonds.search.service import MAX_WINDOW
from fonds.web import corpus, documents, entities, searching, stats
from fonds.web.layout import bars
from fonds.web.pages import Pager, render, state_of
from fonds.web.render import entity_url
from fonds.web.state import MAX_OFFSET, WebState

router = APIRouter(include_in_schema=False)
# The citation files are for programs too (Zotero, citeproc, reference managers): in the
# OpenAPI schema, with their formats and media types.
citations_router = APIRouter(tags=["citations"])
CITATION_MEDIA = {
    "bib": "application/x-bibtex",
    "json": "application/vnd.citationstyles.csl+json",
    "ris": "application/x-research-info-systems",
    "txt": "text/plain",
}
log = logging.getLogger("fonds.web")
SOURCES = documents.SourceTexts()
SIMILAR_LIMIT = 6


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    state = state_of(request)
    return render(request, "home.html", **state.cached("home", lambda: _home(state)))


def _home(state: WebState) -> dict[str, Any]:
    store = state.reader()
    recent = store.conn.execute(
        "SELECT id, title, date, doc_type FROM documents ORDER BY rowid DESC LIMIT 8"
    ).fetchall()
    years = [(k, n) for k, n in store.counts_by("substr(date_start, 1, 4)") if k]
    return {
        "documents": store.count_documents(),
        "counts": stats.counts_by_type(state),
        "recent": corpus.with_subtitles(store, [dict(r) for r in recent]),
        "years": years,
        "year_bars": bars(years, 600, 90),
        "types": [(k, n) for k, n in store.counts_by("doc_type") if k],
        "archives": [(k, n) for k, n in store.counts_by_archive() if k],
        "people": stats.top_entities(state, "person", 12),
        "places": stats.top_entities(state, "place", 8),
        "orgs": stats.top_entities(state, "organization", 8),
    }


def search_form(
    q: str = "",
    type: str = "",
    date_from: str = Query("", alias="from"),
    date_to: str = Query("", alias="to"),
    sort: str = "relevance",
    mode: str = "lexical",
    copies: str = "grouped",
) -> searching.SearchForm:
    """The search page's form from its URL (an unknown sort or mode is the default),
    for the page and for its results saved as RIS."""
    return searching.SearchForm(
        q,
        type,
        date_from,
        date_to,
        sort if sort in searching.SORTS else "relevance",
        mode if mode in searching.MODES else "lexical",
        copies if copies in searching.COPIES else "grouped",
    )


SearchFormParam = Depends(search_form)


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    form: searching.SearchForm = SearchFormParam,
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> HTMLResponse:
    state = state_of(request)
    store = state.reader()
    types = state.cached("types", lambda: [k for k, _ in store.counts_by("doc_type") if k])
    context: dict[str, Any] = {
        "form": form,
        "types": types,
        "page": None,
        "error": None,
        "facet_label": searching.facet_label,
        "toggle": searching.toggle,
        "questions": searching.questions_available(),
        "ris_limit": RIS_LIMIT,
    }
    status = 200
    if form.query():
        limit, start = state.limits.page_size, min(offset, state.limits.max_offset)
        try:
            if form.mode != "lexical":  # a question in plain language
                page = searching.ask(
                    store,
                    form.query(),
                    mode=form.mode,
                    limit=limit,
                    offset=start,
                    max_chars=state.limits.max_query_chars,
                    copies=form.copies,
                )
            else:
                page = searching.run(
                    store,
                    form.query(),
                    limit=limit,
                    offset=start,
                    sort=searching.SORTS[form.sort],
                    max_chars=state.limits.max_query_chars,
                    copies=form.copies,
                )
            context["page"] = page
            context["pager"] = Pager(
                page.total,
                page.offset,
                page.limit,
                "/search",
                form.values(),
                window=MAX_WINDOW,
            )
        except QuerySyntaxError as err:
            context["error"] = str(err)
            status = 400
        except DependencyError as err:  # the semantic extra is not installed: say which
            context["error"] = str(err)
            status = 501
        except FondsError as err:  # an index, not the query: say so, keep the page
            log.error("search failed for %r: %s", form.query(), err)
            context["error"] = (
                "search is unavailable right now: the search index cannot be "
                "read (the server's log says why)"
            )
            status = 503
    return render(request, "search.html", status=status, **context)


# Results of one search saved as RIS: the first this many, in the page's order.
RIS_LIMIT = 500


@router.get("/search/results.ris")
def search_results_ris(request: Request, form: searching.SearchForm = SearchFormParam) -> Response:
    """The results of a search (its first RIS_LIMIT, read as the query language) as one
    RIS file, for Zotero."""
    state = state_of(request)
    if not form.query():
        raise QuerySyntaxError("give a search (q, or a filter) to save its results")
    store = state.reader()
    page = searching.run(
        store,
        form.query(),
        limit=RIS_LIMIT,
        offset=0,
        sort=searching.SORTS[form.sort],
        max_chars=state.limits.max_query_chars,
    )
    out = io.StringIO()
    base = str(request.url_for("home")).rstrip("/")
    write_ris((store.get_record(h["id"]) for h in page.hits), out, base_url=base)
    return Response(
        out.getvalue(),
        media_type="application/x-research-info-systems; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="fonds-search.ris"'},
    )


@router.get("/documents/{doc_id}", response_class=HTMLResponse)
def document_page(
    request: Request, doc_id: str, part: int = Query(1, ge=1, le=MAX_OFFSET)
) -> HTMLResponse:
    """A document in the reader; a long body is shown one part at a time (``?part=N``)."""
    state = state_of(request)
    store = state.reader()
    record = store.get_record(doc_id)
    parts = documents.body_parts(record, state.limits.reader_part_chars)
    if part > len(parts):
        raise NotFound(f"this document's text has {len(parts)} part(s), not {part}")
    lo, hi = parts[part - 1]
    try:
        similar = searching.similar(store, doc_id, SIMILAR_LIMIT)
    except FondsError:
        similar = None
    related_by = "text"
    if similar is None:
        similar, related_by = documents.sharing_entities(store, doc_id, SIMILAR_LIMIT), "entities"
    citations = cite(record)
    return render(
        request,
        "document.html",
        record=record,
        copies=documents.copy_rows(store, record),
        sections=documents.sections(record, lo, hi),
        part=part,
        parts=len(parts),
        panel=documents.panel(record, SOURCES.text(record.get("source") or {})),
        groups=documents.entity_groups(record),
        citations=citations,
        meta=meta_tags(record, str(request.url_for("document_page", doc_id=doc_id))),
        similar=corpus.with_subtitles(store, [s for s in similar if s.get("id") != doc_id]),
        related_by=related_by,
    )


@citations_router.get(
    "/documents/{doc_id}/cite.{fmt}",
    summary="A citation file of one document",
    response_class=Response,
    responses={
        200: {
            "description": "the file, to download (Content-Disposition: attachment)",
            "content": {
                media: {"schema": {"type": "array", "items": {"type": "object"}}}
                if fmt == "json"
                else {"schema": {"type": "string"}}
                for fmt, media in CITATION_MEDIA.items()
            },
        },
        404: {
            "description": "no document has this id, or no citation format has this name",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}},
                "text/html": {"schema": {"type": "string"}},
            },
        },
    },
)
def document_citation(
    request: Request,
    doc_id: str,
    fmt: str = FastPath(
        description="bib (BibTeX), json (CSL-JSON), ris (RIS) or txt (Chicago)",
        json_schema_extra={"enum": list(CITATION_MEDIA)},
    ),
) -> Response:
    """A citation file to download: .bib (BibTeX), .json (CSL-JSON), .ris (RIS, for
    Zotero, EndNote, Mendeley) or .txt (Chicago)."""
    import json

    record = state_of(request).reader().get_record(doc_id)
    c = cite(record)
    safe_id = "".join(ch for ch in doc_id if ch.isalnum() or ch in "-_")[:64] or "document"
    if fmt not in CITATION_MEDIA:
        raise NotFound(f"no citation format {fmt!r}: use bib, json, ris or txt")
    if fmt == "ris":
        body = ris_entry(record, str(request.url_for("document_page", doc_id=doc_id)))
    elif fmt == "bib":
        body = c.bibtex + "\n"
    elif fmt == "json":
        body = json.dumps([c.csl_json], ensure_ascii=False, indent=2)
    else:
        body = c.chicago_bibliography + "\n"
    media = CITATION_MEDIA[fmt]
    return Response(
        body,
        media_type=media + "; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{safe_id}.{fmt}"'},
    )


@router.get("/entities", response_class=HTMLResponse)
def entities_page(
    request: Request, q: str = "", type: str = "", offset: int = Query(0, ge=0, le=MAX_OFFSET)
) -> HTMLResponse:
    state = state_of(request)
    if type not in ("", "person", "place", "organization"):
        raise QuerySyntaxError("type must be person, place or organization")
    limit = 50
    rows, total = entities.find_entities(
        state,
        q[: state.limits.max_query_chars],
        type or None,
        limit,
        min(offset, state.limits.max_offset),
    )
    return render(
        request,
        "entities.html",
        q=q,
        etype=type,
        rows=rows,
        total=total,
        pager=Pager(total, offset, limit, "/entities", {"q": q, "type": type}),
    )


@router.get("/entities/{entity_id}", response_class=HTMLResponse)
def entity_page(
    request: Request, entity_id: str, offset: int = Query(0, ge=0, le=MAX_OFFSET)
) -> Response:
    store = state_of(request).reader()
    target = entities.merged_into(store, entity_id)
    if target:
        return RedirectResponse(entity_url(target), status_code=301)
    view = entities.load_entity(store, entity_id)
    limit = 50
    docs, total = entities.entity_documents(store, entity_id, limit, offset)
    years = entities.entity_years(store, entity_id)
    company = entities.co_mentioned(store, entity_id)
    return render(
        request,
        "entity.html",
        entity=view,
        docs=corpus.with_subtitles(store, docs),
        total=total,
        pager=Pager(total, offset, limit, entity_url(entity_id), {}),
        years=years,
        year_bars=bars(years, 600, 80),
        people=[c for c in company if c["type"] == "person"][:12],
        others=[c for c in company if c["type"] != "person"][:12],
    )
