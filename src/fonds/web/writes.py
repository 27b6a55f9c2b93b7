"""Everything that changes the archive: upload-to-ingest and entity merge, split and undo.

Only a server started with a write token accepts these. The API takes the token in an
``Authorization: Bearer`` header; a browser signs in once with it and gets a cookie
(SameSite=Strict, and forms are checked for a same-origin Origin header).
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, is_dataclass
from typing import Any, Literal
from urllib.parse import parse_qs

import anyio.to_thread
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from fonds.errors import FondsError, NotFound, ReadError, StoreError
from fonds.web.pages import SESSION_COOKIE, can_write, render, state_of
from fonds.web.render import entity_url
from fonds.web.state import WebState
from fonds.web.uploads import file_from_body, store_upload

router = APIRouter()
COPY_EDITS = "fonds.copies.edits"


class MergeRequest(BaseModel):
    source: str = Field(..., min_length=1, max_length=300, description="the entity merged away")
    target: str = Field(..., min_length=1, max_length=300, description="the entity kept")


class SplitRequest(BaseModel):
    entity: str = Field(..., min_length=1, max_length=300)
    names: list[str] = Field(
        ..., min_length=1, max_length=100, description="the names that become a new entity"
    )
    new_name: str | None = Field(
        None, max_length=300, description="the new entity's name (default: the first name)"
    )


def require_token(request: Request) -> None:
    """401 without a token, 403 with a wrong one or on a read-only server."""
    state = state_of(request)
    if not state.write_token:
        raise HTTPException(
            403,
            "this server is read-only: start it with --write-token "
            "(or FONDS_WRITE_TOKEN) to allow writes",
        )
    header = request.headers.get("authorization", "")
    given = header[7:].strip() if header.lower().startswith("bearer ") else None
    given = given or request.headers.get("x-fonds-token")
    if not given:
        raise HTTPException(
            401,
            "a write needs the server's token in an 'Authorization: Bearer TOKEN' header",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not state.token_ok(given):
        raise HTTPException(403, "the token given is not this server's write token")


class CopyLinkRequest(BaseModel):
    document: str = Field(..., min_length=1, max_length=300, description="a document's id")
    other: str = Field(..., min_length=1, max_length=300, description="another document's id")
    relation: Literal["same", "contains", "translation"] = Field(
        "same",
        description="the same document, `document` holding `other` whole, or the same"
        " document in another language",
    )


class CopyUnlinkRequest(BaseModel):
    document: str = Field(..., min_length=1, max_length=300, description="a document's id")
    other: str = Field(..., min_length=1, max_length=300, description="another document's id")


def _edits(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _run_edit(request: Request, name: str, *args: Any, module: str = "fonds.entities.edits") -> Any:
    found = _edits(module)
    fn = getattr(found, name, None) if found else None
    if fn is None:
        raise HTTPException(501, f"{name} is not available in this version of fonds")
    try:
        with state_of(request).writer() as store:
            result = fn(store, *args)
    except (NotFound, StoreError):
        raise
    except FondsError as err:  # the edit asked for cannot be made: the caller's mistake
        raise HTTPException(400, str(err)) from err
    return _plain(result)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


@router.post(
    "/api/ingest",
    tags=["write"],
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
async def api_ingest(request: Request, filename: str = Query("", max_length=200)) -> dict[str, Any]:
    """Upload one file (multipart field `file`, or the raw body with `?filename=`) and run
    the ingest pipeline on it. Needs the write token."""
    require_token(request)
    body = await request.body()
    if not body:
        raise HTTPException(400, "the upload is empty")
    state = state_of(request)
    content_type = request.headers.get("content-type", "")
    # Everything from here runs on a worker thread, the ingest itself in a child process:
    # the event loop (and every other request) never waits for an upload.
    return await anyio.to_thread.run_sync(_ingest_upload, state, content_type, body, filename)


def _ingest_upload(
    state: WebState, content_type: str, body: bytes, filename: str
) -> dict[str, Any]:
    name, data = file_from_body(content_type, body, filename)
    path, created = store_upload(state.db_path, name, data, state.limits.uploads_quota_bytes)
    try:
        with state.write_lock:  # one writer: entity edits wait for the upload
            try:
                outcome = state.upload_worker().ingest(state.db_path, path)
            finally:
                state.cache.clear()
    except ReadError:
        if created:
            path.unlink(missing_ok=True)  # a refused upload leaves nothing behind
        raise
    message = outcome["message"]
    result = {
        "file": name,
        "status": outcome["status"],
        "documents": outcome["documents"],
        "reader": outcome["reader"],
        "ids": outcome["ids"],
        "message": message.replace(str(path), name) if message else None,
    }
    if outcome["status"] == "failed":
        if created:
            path.unlink(missing_ok=True)
        raise HTTPException(422, result["message"] or "the file could not be ingested")
    return result


@router.post("/api/entities/merge", tags=["write"], dependencies=[Depends(require_token)])
def api_merge(request: Request, body: MergeRequest) -> dict[str, Any]:
    """Merge entity `source` into `target`. Needs the write token."""
    return {
        "merged": body.source,
        "into": body.target,
        "result": _run_edit(request, "merge", body.source, body.target),
    }


@router.post("/api/entities/split", tags=["write"], dependencies=[Depends(require_token)])
def api_split(request: Request, body: SplitRequest) -> dict[str, Any]:
    """Split the given names off `entity` into a new entity. Needs the write token."""
    return {
        "split": body.entity,
        "names": body.names,
        "result": _run_edit(request, "split", body.entity, body.names, body.new_name),
    }


@router.post("/api/entities/undo", tags=["write"], dependencies=[Depends(require_token)])
def api_undo(request: Request) -> dict[str, Any]:
    """Undo the last entity edit. Needs the write token."""
    return {"undone": _run_edit(request, "undo")}


@router.post("/api/copies/link", tags=["write"], dependencies=[Depends(require_token)])
def api_copies_link(request: Request, body: CopyLinkRequest) -> dict[str, Any]:
    """Link two documents by hand: the same document, or `document` holding `other`
    whole. Kept when the files are read again; undoable. Needs the write token."""
    edit = _run_edit(request, "link", body.document, body.other, body.relation, module=COPY_EDITS)
    return {"edit": edit, "linked": [body.document, body.other], "relation": body.relation}


@router.post("/api/copies/unlink", tags=["write"], dependencies=[Depends(require_token)])
def api_copies_unlink(request: Request, body: CopyUnlinkRequest) -> dict[str, Any]:
    """Say two documents are not copies: their link goes, and stays gone when the files
    are read again; undoable. Needs the write token."""
    edit = _run_edit(request, "unlink", body.document, body.other, module=COPY_EDITS)
    return {"edit": edit, "unlinked": [body.document, body.other]}


@router.post("/api/copies/undo", tags=["write"], dependencies=[Depends(require_token)])
def api_copies_undo(request: Request) -> dict[str, Any]:
    """Undo the last copy link or unlink made by hand. Needs the write token."""
    return {"undone": _run_edit(request, "undo", module=COPY_EDITS)}


# -- the browser side ------------------------------------------------------------------


async def _form(request: Request) -> dict[str, str]:
    """A urlencoded form, from a page of this site only."""
    origin = request.headers.get("origin")
    if origin and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise HTTPException(403, "a form from another site cannot write here")
    body = (await request.body()).decode("utf-8", "replace")
    try:
        fields = parse_qs(body, max_num_fields=20)
    except ValueError as err:  # "Max number of fields exceeded"
        raise HTTPException(400, "the form has too many fields") from err
    return {k: v[0] for k, v in fields.items()}


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", error=None)


@router.post("/login", include_in_schema=False)
async def login(request: Request) -> Any:
    form = await _form(request)
    state = state_of(request)
    if not state.write_token:
        return render(request, "login.html", status=403, error="This server is read-only.")
    if not state.token_ok(form.get("token")):
        return render(request, "login.html", status=403, error="That is not the write token.")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        state.session_value(),
        max_age=state.limits.session_seconds,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> RedirectResponse:
    await _form(request)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/entities/{entity_id}/merge", include_in_schema=False)
async def merge_form(request: Request, entity_id: str) -> Any:
    form = await _form(request)
    if not can_write(request):
        raise HTTPException(403, "sign in with the write token to merge entities")
    target = form.get("target", "").strip()
    if not target:
        raise HTTPException(400, "name the entity to merge into")
    _run_edit(request, "merge", entity_id, target)
    return RedirectResponse(entity_url(target), status_code=303)


@router.post("/entities/{entity_id}/split", include_in_schema=False)
async def split_form(request: Request, entity_id: str) -> Any:
    form = await _form(request)
    if not can_write(request):
        raise HTTPException(403, "sign in with the write token to split entities")
    names = [n.strip() for n in form.get("names", "").splitlines() if n.strip()]
    if not names:
        raise HTTPException(400, "give the names to split off, one a line")
    _run_edit(request, "split", entity_id, names)
    return RedirectResponse(entity_url(entity_id), status_code=303)
