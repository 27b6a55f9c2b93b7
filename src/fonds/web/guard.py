"""The outermost layer of the web app: security headers, body size limits, and a
last-resort handler so that no traceback ever reaches a user."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("fonds.web")

# No inline script or style anywhere: every script and stylesheet is a static file.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)

ErrorRenderer = Callable[[Scope, int, str], tuple[bytes, str]]


class BodyTooLarge(Exception):
    """The request body went past its limit while it was being read."""


def wants_json(scope: Scope) -> bool:
    """API paths answer errors in JSON; so does any client that asks for JSON first."""
    if scope.get("path", "").startswith("/api/") or scope.get("path") == "/openapi.json":
        return True
    for key, value in scope.get("headers", []):
        if key == b"accept":
            accept = value.decode("latin-1")
            return accept.startswith("application/json")
    return False


def json_error(status: int, message: str) -> bytes:
    return json.dumps({"error": {"status": status, "message": message}}).encode()


class Guard:
    """Pure ASGI middleware around the whole app (inside it, every response is ours)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        body_limit: int,
        upload_limit: int,
        upload_paths: tuple[str, ...],
        render_error: ErrorRenderer,
    ) -> None:
        self.app = app
        self.body_limit = body_limit
        self.upload_limit = upload_limit
        self.upload_paths = upload_paths
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"] in self.upload_paths else self.body_limit
        started = False
        head = scope["method"] == "HEAD"
        if head:  # answer HEAD as GET would, without the body
            scope = {**scope, "method": "GET"}

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [h for h in SECURITY_HEADERS if h[0] not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._error(
                scope,
                send_with_headers,
                413,
                f"request body of {declared} bytes is over the limit of {limit}",
            )
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send_with_headers)
        except BodyTooLarge:
            if not started:
                await self._error(
                    scope,
                    send_with_headers,
                    413,
                    f"request body is over the limit of {limit} bytes",
                )
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await self._error(
                    scope,
                    send_with_headers,
                    500,
                    "internal error: the server could not answer this request",
                )

    async def _error(self, scope: Scope, send: Send, status: int, message: str) -> None:
        if wants_json(scope):
            body, ctype = json_error(status, message), "application/json"
        else:
            try:
                body, ctype = self.render_error(scope, status, message)
            except Exception:
                body, ctype = message.encode(), "text/plain; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", ctype.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
