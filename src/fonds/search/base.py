"""The contract between the search service and an index engine.

The query language (``query.py``) and name resolution (``plan.py``) know nothing of
engines; the service (``service.py``) turns backend results into hits with snippets.
A backend only answers: which documents match a :class:`~fonds.search.plan.Plan`, in
what order, how many, with which facet counts. The embedded default is Tantivy
(``tantivy_index.py``); a PostgreSQL or server backend implements the same protocol.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from fonds.search.plan import Plan

FACETS = ("type", "year", "archive", "language", "classification", "people", "places")


@dataclass
class BackendHit:
    id: str
    score: float


@dataclass
class FacetCount:
    value: str
    count: int


@dataclass
class BackendResult:
    """One page of matches, best first, with the total and (optionally) facet counts."""

    hits: list[BackendHit] = field(default_factory=list)
    total: int = 0
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)
    facets_truncated: list[str] = field(default_factory=list)  # facets with more values
    facets_approximate: bool = False  # counts estimated from a sample of a large match
    timed_out: list[str] = field(default_factory=list)
    expansions: dict[str, list[str]] = field(default_factory=dict)  # prefix → words used
    # facet counts a backend is still making beside the page (see ``settle``)
    counting: Future[Facets] | None = field(default=None, repr=False, compare=False)

    def settle(self) -> None:
        """Wait for the facet counts, when the backend counts them in another thread while
        the caller makes its snippets; raises what counting raised."""
        if self.counting is not None:
            counting, self.counting = self.counting, None
            self.facets, self.facets_truncated, self.facets_approximate = counting.result()


Facets = tuple[dict[str, list[FacetCount]], list[str], bool]  # counts, truncated, sampled


class SearchBackend(Protocol):
    """An index of the store's records that can be searched and kept in step."""

    name: str

    def search(self, plan: Plan, *, limit: int, offset: int, facets: bool) -> BackendResult:
        """Documents matching the plan, ordered by ``plan.sort``."""
        ...

    def hit_source(self) -> Any:
        """A connection to read what hits show from, when the backend keeps its own copy
        (else None: read the archive)."""
        ...

    def more_like_this(self, doc_id: str, *, limit: int) -> BackendResult:
        """Documents whose words and entities resemble one document's."""
        ...

    def index_pending(self) -> int:
        """Apply the store's queue of changed documents; return how many were applied."""
        ...

    def rebuild(self) -> int:
        """Rebuild the whole index from the store; return the number of documents."""
        ...

    def close(self) -> None:
        """Release files and locks."""
        ...
