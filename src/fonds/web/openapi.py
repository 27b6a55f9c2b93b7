"""The OpenAPI schema, made to say exactly what the server answers.

FastAPI's generated schema promises a 422 for a request that does not validate; fonds
answers 400 (app.py), with its one error body, and 404 for an id it does not hold. Here
each operation's error answers are the ones its route can give, the error body has a
schema, and the path parameters carry example ids taken from the archive served.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from fonds.web.state import WebState

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
        }
    },
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
# answers every route may give, and those only some routes give (by what they do)
ERRORS_ANY = {
    "400": "the request is not valid: which parameter, and why",
    "503": "the archive cannot be read (missing, or being replaced)",
}
ERRORS_WITH_ID = {"404": "no document or entity has this id"}
ERRORS_OF = {
    "/api/search": {"501": "a question (mode hybrid or semantic) needs the semantic extra"},
    "/api/documents/{doc_id}/similar": {"501": "more like this needs the semantic extra"},
    "/api/ingest": {
        "413": "the file is larger than the server takes, or the uploads folder is full",
        "422": "the file could not be read as a document: why",
    },
    "/api/copies/link": {"404": "no document has one of these ids"},
    "/api/copies/unlink": {"404": "no document has one of these ids"},
}
ERRORS_OF_WRITES = {
    "401": "no write token was given",
    "403": "the token is wrong, or the server is read-only",
}


def _examples(state: WebState) -> dict[str, str]:
    """Real ids of the archive served, for the path parameters' examples."""
    try:
        store = state.reader()
        doc = store.conn.execute("SELECT id FROM documents ORDER BY id LIMIT 1").fetchone()
        entity = store.conn.execute(  # any one: no count over every mention of an archive
            "SELECT entity_id FROM mentions WHERE entity_id IS NOT NULL LIMIT 1"
        ).fetchone()
    except Exception:  # no archive yet: a schema without examples
        return {}
    found = {"doc_id": doc[0] if doc else None, "entity_id": entity[0] if entity else None}
    return {k: v for k, v in found.items() if v}


def _errors(answers: dict[str, str]) -> dict[str, Any]:
    return {
        code: {"description": text, "content": {"application/json": {"schema": ERROR_REF}}}
        for code, text in answers.items()
    }


def build_schema(app: FastAPI, state: WebState) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    examples = _examples(state)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            answers = dict(ERRORS_ANY)
            if "{" in path:
                answers |= ERRORS_WITH_ID
            answers |= ERRORS_OF.get(path, {})
            if method != "get":
                answers |= ERRORS_OF_WRITES
            for code, answer in _errors(answers).items():
                responses.setdefault(code, answer)
            for param in operation.get("parameters", []):
                if param.get("in") == "path" and param.get("name") in examples:
                    param["example"] = examples[param["name"]]
    for name in ("HTTPValidationError", "ValidationError"):  # never answered
        schema["components"]["schemas"].pop(name, None)
    return schema


def install(app: FastAPI, state: WebState) -> None:
    """Serve this schema at the app's openapi_url (built once, on first ask)."""
    built: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not built:
            built.update(build_schema(app, state))
        return built

    app.openapi = openapi  # type: ignore[method-assign]
