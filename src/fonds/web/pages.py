"""Rendering HTML pages: the template environment, its filters, and pagination."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from fonds.counted import counted
from fonds.export.citations import human_date
from fonds.web.render import document_url, entity_url
from fonds.web.state import WebState, template_env

ENV = template_env()
ENV.filters["entity_url"] = entity_url
ENV.filters["document_url"] = document_url
ENV.filters["human_date"] = lambda v: human_date(v) or "undated"
ENV.filters["date_ends"] = lambda v: date_ends(v)
ENV.filters["pretty_json"] = lambda v: json.dumps(v, ensure_ascii=False, indent=2)
ENV.filters["thousands"] = lambda n: f"{int(n):,}"
ENV.filters["counted"] = lambda n, noun: counted(int(n), noun)
ENV.globals["NAV"] = (
    ("/search", "Search"),
    ("/entities", "Entities"),
    ("/timeline", "Timeline"),
    ("/network", "Network"),
    ("/map", "Map"),
)
SESSION_COOKIE = "fonds_write"


def state_of(request: Request) -> WebState:
    return request.app.state.fonds


def can_write(request: Request) -> bool:
    """Whether this browser signed in with the server's write token."""
    state = state_of(request)
    if not state.write_token:
        return False
    return state.session_ok(request.cookies.get(SESSION_COOKIE))


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("nav", request.url.path)
    context.setdefault("can_write", can_write(request))
    context.setdefault("writable", bool(state_of(request).write_token))
    html = ENV.get_template(template).render(request_path=request.url.path, **context)
    return HTMLResponse(html, status)


@dataclass
class Pager:
    """Links to the previous and next pages of a list of ``total`` items."""

    total: int
    offset: int
    limit: int
    base: str
    params: dict[str, Any]
    window: int | None = None  # how deep paging may go (offset + limit), if bounded

    def _link(self, offset: int) -> str:
        params = {k: v for k, v in self.params.items() if v not in (None, "")}
        if offset:
            params["offset"] = offset
        return self.base + ("?" + urlencode(params) if params else "")

    @property
    def previous(self) -> str | None:
        return self._link(max(0, self.offset - self.limit)) if self.offset > 0 else None

    @property
    def next(self) -> str | None:
        after = self.offset + self.limit
        if after >= self.total or (self.window is not None and after + self.limit > self.window):
            return None
        return self._link(after)

    @property
    def first_shown(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last_shown(self) -> int:
        return min(self.offset + self.limit, self.total)


MACHINE_DATE = re.compile(r"\d{4}(?:-\d\d(?:-\d\d)?)?")


def date_ends(value: str | None) -> list[tuple[str | None, str]]:
    """A record's date as the ``<time>`` elements that show it: (machine-readable value,
    or None when it is not one, and the words shown); a range gives its two ends."""
    if not value:
        return []
    ends = value.split("/", 1)
    return [(end if MACHINE_DATE.fullmatch(end) else None, human_date(end) or end) for end in ends]
