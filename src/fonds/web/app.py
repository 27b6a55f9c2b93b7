"""The web app: HTML pages for reading, a JSON API for scripts, and their safety rails.

``create_app(db_path, write_token)`` serves one archive. It only reads (through a
read-only SQLite connection) unless it was given a write token; then the write routes
accept requests that carry it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from fonds.errors import (
    DependencyError,
    FondsError,
    NotFound,
    QuerySyntaxError,
    ReadError,
    StoreError,
)
from fonds.search import semantic, service
from fonds.store import store_exists
from fonds.web import api, explore, openapi, stats, views, writes
from fonds.web.guard import Guard, json_error, wants_json
from fonds.web.pages import ENV
from fonds.web.state import STATIC_DIR, WebLimits, WebState, check_token
from fonds.web.uploads import UploadQuotaFull

log = logging.getLogger("fonds.web")
GENERIC_MESSAGES = {
    500: "internal error: the server could not answer this request",
    503: "the archive cannot be read right now; see the server's log",
}
ERROR_TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Request too large",
    422: "Cannot process",
    500: "Server error",
    501: "Not available",
    503: "Archive unavailable",
}


def create_app(
    db_path: str,
    write_token: str | None = None,
    limits: WebLimits | None = None,
    allowed_hosts: list[str] | None = None,
) -> FastAPI:
    """The FastAPI app for the archive at ``db_path``; writable only with ``write_token``
    (of at least ``MIN_TOKEN_CHARS``); answering only requests whose Host header is one of
    ``allowed_hosts`` when they are given (``fonds serve`` always gives them)."""
    token = write_token if write_token is not None else os.environ.get("FONDS_WRITE_TOKEN")
    check_token(token)
    state = WebState(db_path, token or None, limits or WebLimits())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = state.limits.request_threads
        # Threads rendering pages hand the interpreter lock on every 1 ms instead of 5, so
        # the event loop (status checks, the start of every request) gets a turn sooner.
        sys.setswitchinterval(state.limits.switch_interval)
        if store_exists(state.db_path):  # first visitors should not pay for the counts
            jobs = [
                # the count /api/status gives: then a health check never waits for a thread
                lambda s: s.cached("documents", lambda: s.reader().count_documents()),
                lambda s: service.warm(s.reader()),
                lambda s: explore.cached_network(s, "both", None),
                explore.cached_places,
            ]
            if state.limits.warm_semantic:
                jobs.append(_warm_semantic)
            if state.limits.settle_after_warm:
                jobs.append(lambda _: service.settle_for_serving())
            stats.warm(state, *jobs)
        else:
            state.ready.set()  # nothing to warm
        yield
        state.close()

    app = FastAPI(
        lifespan=lifespan,
        title="fonds",
        summary="Declassified documents, their people, places and conversations.",
        version="1",
        docs_url=None,  # the interactive docs load scripts from a CDN; the schema stays
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.fonds = state
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api.router)
    app.include_router(writes.router)
    app.include_router(views.router)
    app.include_router(views.citations_router)
    app.include_router(explore.router)
    _error_handlers(app)
    openapi.install(app, state)
    if allowed_hosts is not None:
        # A page on another site that points its own name at this server (DNS
        # rebinding) sends its own name as Host: refused here, before any route.
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.add_middleware(  # the outermost layer: every answer gets its headers
        Guard,
        body_limit=state.limits.max_body_bytes,
        upload_limit=state.limits.max_upload_bytes,
        upload_paths=("/api/ingest",),
        render_error=_render_error_page,
    )
    return app


def _warm_semantic(state: WebState) -> None:
    state.semantic = "loading"
    try:
        loaded = semantic.warm(state.reader())
    except Exception:
        state.semantic = "failed (see the server's log)"
        raise
    state.semantic = "ready" if loaded else "not installed"


def app_from_environment() -> FastAPI:
    """The app for ``$FONDS_SERVE_DB``: what each worker process of ``fonds serve
    --workers N`` builds (uvicorn starts workers from an import string, not an object)."""
    db_path = os.environ.get("FONDS_SERVE_DB")
    if not db_path:
        raise StoreError("FONDS_SERVE_DB is not set: start the server with `fonds serve`")
    hosts = os.environ.get("FONDS_ALLOWED_HOSTS")
    limits = WebLimits(
        warm_semantic=os.environ.get("FONDS_WARM_SEMANTIC") == "1", settle_after_warm=True
    )
    return create_app(db_path, limits=limits, allowed_hosts=hosts.split(",") if hosts else None)


def _render_error_page(scope: Scope, status: int, message: str) -> tuple[bytes, str]:
    html = ENV.get_template("error.html").render(
        status=status,
        title=ERROR_TITLES.get(status, "Error"),
        message=message,
        nav=None,
        can_write=False,
    )
    return html.encode(), "text/html; charset=utf-8"


def error_response(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    if wants_json(request.scope):
        return Response(
            json_error(status, message), status, headers=headers, media_type="application/json"
        )
    body, _ = _render_error_page(request.scope, status, message)
    return HTMLResponse(body, status, headers=headers)


def _error_handlers(app: FastAPI) -> None:
    statuses: list[tuple[type[Exception], int]] = [
        (NotFound, 404),
        (UploadQuotaFull, 413),
        (QuerySyntaxError, 400),
        (ReadError, 422),
        (StoreError, 503),
        (DependencyError, 501),  # an optional extra is not installed: say which
        (FondsError, 500),
    ]
    for exc_type, status in statuses:
        app.add_exception_handler(exc_type, _handler(status))

    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = (
            exc.detail
            if isinstance(exc.detail, str)
            else ERROR_TITLES.get(exc.status_code, "Error")
        )
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        return error_response(
            request, exc.status_code, message, dict(exc.headers) if exc.headers else None
        )

    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for err in exc.errors():
            where = ".".join(
                str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body")
            )
            problems.append(f"{where or 'request'}: {err.get('msg', 'invalid')}")
        return error_response(request, 400, "invalid request: " + "; ".join(problems))

    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, invalid)  # type: ignore[arg-type]


def _handler(status: int) -> Any:
    async def handle(request: Request, exc: Exception) -> Response:
        if status >= 500 and status != 501:  # details (paths, SQL) are for the log
            log.error("%s on %s: %s", type(exc).__name__, request.url.path, exc)
            return error_response(request, status, GENERIC_MESSAGES.get(status, "server error"))
        return error_response(request, status, str(exc) or ERROR_TITLES.get(status, "Error"))

    return handle


__all__ = ["JSONResponse", "app_from_environment", "create_app"]
