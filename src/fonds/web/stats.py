"""Counts over the whole archive that several pages share, computed once per version.

Counting documents per entity scans every mention (seconds at 100k documents), so it
is done once, cached until the archive changes, and warmed when the server starts.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from fonds.store.sqlite import GROUP_ID, GROUPED
from fonds.web.state import WebState

log = logging.getLogger("fonds.web")


@dataclass(frozen=True)
class EntityCount:
    id: str
    name: str
    type: str
    documents: int


def entity_counts(state: WebState) -> dict[str, EntityCount]:
    """Every entity named in a document, with how many documents name it."""

    def compute() -> dict[str, EntityCount]:
        conn = state.reader().conn
        known = {
            r[0]: (r[1], r[2])
            for r in conn.execute("SELECT id, name, type FROM entities WHERE merged_into IS NULL")
        }
        out = {}
        for entity_id, n in conn.execute(
            f"SELECT m.entity_id, count(DISTINCT {GROUP_ID}) FROM mentions m {GROUPED}"
            " GROUP BY m.entity_id"
        ):
            if entity_id in known:
                name, etype = known[entity_id]
                out[entity_id] = EntityCount(entity_id, name, etype, n)
        return out

    return state.cached("entity_counts", compute)


def top_entities(state: WebState, etype: str, limit: int) -> list[dict[str, Any]]:
    """The entities of one type named in the most documents."""
    ranked = sorted(
        (c for c in entity_counts(state).values() if c.type == etype),
        key=lambda c: (-c.documents, c.id),
    )
    return [
        {"id": c.id, "name": c.name, "type": c.type, "documents": c.documents}
        for c in ranked[:limit]
    ]


def counts_by_type(state: WebState) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in entity_counts(state).values():
        out[c.type] = out.get(c.type, 0) + 1
    return out


def warm(state: WebState, *jobs: Any) -> threading.Thread:
    """Compute the shared counts (and any other jobs) in the background."""

    def run() -> None:
        try:
            entity_counts(state)
            for job in jobs:
                job(state)
        except Exception:  # a cold cache is slower, never wrong: note it and go on
            log.exception("warming the caches failed")
        finally:
            state.ready.set()

    thread = threading.Thread(target=run, name="fonds-warm", daemon=True)
    thread.start()
    return thread
