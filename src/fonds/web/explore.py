"""HTML pages for exploring the corpus: the timeline, the network, the map."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fonds.errors import QuerySyntaxError
from fonds.web import corpus, entities, stats
from fonds.web.layout import (
    MAP_WIDTH,
    bands,
    bands_height,
    bars,
    map_view,
    network_layout,
    project,
    world_paths,
)
from fonds.web.map_labels import place_labels
from fonds.web.pages import Pager, render, state_of
from fonds.web.state import MAX_OFFSET, WebState

router = APIRouter(include_in_schema=False)
NETWORK_KINDS = ("both", "wrote", "met")
NET_WIDTH = 1000.0
MAX_EDGES_DRAWN = 400  # the busiest links; the JSON API has them all
MAX_EDGES_LISTED = 150


def cached_network(state: WebState, kind: str, person: str | None) -> corpus.Network:
    if kind not in NETWORK_KINDS:
        raise QuerySyntaxError(f"kind must be one of {', '.join(NETWORK_KINDS)}")
    kinds = ("wrote", "met") if kind == "both" else (kind,)

    def compute() -> corpus.Network:
        found = [
            state.cached(f"links:{k}", lambda k=k: corpus.links(state.reader(), k)) for k in kinds
        ]
        return corpus.network(state.reader(), found, person, state.limits.network_nodes)

    return state.cached(f"network:{kind}:{person}", compute)


def _layout(
    state: WebState, net: corpus.Network, kind: str, person: str | None
) -> tuple[dict[str, tuple[float, float]], float]:
    def compute() -> tuple[dict[str, tuple[float, float]], float]:
        weights: dict[tuple[str, str], int] = {}
        for e in net.edges:
            pair = (e.source, e.target)
            weights[pair] = weights.get(pair, 0) + e.weight
        return network_layout(
            list(net.nodes), [(a, b, w) for (a, b), w in weights.items()], NET_WIDTH
        )

    return state.cached(f"layout:{kind}:{person}", compute)


def _person_choices(state: WebState) -> list[dict[str, Any]]:
    return stats.top_entities(state, "person", 40)


@router.get("/timeline", response_class=HTMLResponse)
def timeline_page(
    request: Request,
    date_from: str = Query("", alias="from"),
    date_to: str = Query("", alias="to"),
    person: str = "",
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> HTMLResponse:
    state = state_of(request)
    store = state.reader()
    line = corpus.timeline(store, date_from or None, date_to or None, person or None)
    limit = state.limits.timeline_documents
    docs = corpus.timeline_documents(
        store,
        date_from or None,
        date_to or None,
        person or None,
        limit,
        min(offset, state.limits.max_offset),
    )
    person_name = None
    if person:
        person_name = entities.load_entity(store, person).name

    chart = bars(line.buckets, 960, 220)
    spans = bands(line.spans, chart, 220)

    def zoom(key: str) -> str:
        return "/timeline?" + urlencode(
            {k: v for k, v in {"from": key, "to": key, "person": person}.items() if v}
        )

    return render(
        request,
        "timeline.html",
        line=line,
        zoom=zoom,
        chart=chart,
        spans=spans,
        spans_height=bands_height(spans, 220),
        docs=corpus.with_subtitles(store, docs),
        person=person,
        person_name=person_name,
        people=_person_choices(state),
        date_from=date_from,
        date_to=date_to,
        zoom_out=_zoom_out(date_from, date_to),
        pager=Pager(
            line.total,
            offset,
            limit,
            "/timeline",
            {"from": date_from, "to": date_to, "person": person},
        ),
    )


def _zoom_out(date_from: str, date_to: str) -> dict[str, str] | None:
    """The range one level wider than the current one, or None at the top."""
    if not date_from and not date_to:
        return None
    shortest = min((v for v in (date_from, date_to) if v), key=len)
    if len(shortest) >= 7:
        return {"from": shortest[:4], "to": shortest[:4]}
    return {}


@router.get("/network", response_class=HTMLResponse)
def network_page(request: Request, kind: str = "both", person: str = "") -> HTMLResponse:
    state = state_of(request)
    net = cached_network(state, kind, person or None)
    positions, height = _layout(state, net, kind, person or None)
    top = max((n["weight"] for n in net.nodes.values()), default=1) or 1
    radius = {n["id"]: round(5 + 13 * math.sqrt(n["weight"] / top), 1) for n in net.nodes.values()}
    nodes = [
        {**n, "x": positions[n["id"]][0], "y": positions[n["id"]][1], "r": radius[n["id"]]}
        for n in net.nodes.values()
    ]
    edges = []
    drawn = sorted(net.edges, key=lambda e: -e.weight)[:MAX_EDGES_DRAWN]
    for i, e in enumerate(drawn):
        (x1, y1), (x2, y2) = positions[e.source], positions[e.target]
        if e.kind == "wrote":  # stop at the recipient's rim, so the arrowhead shows
            length = math.hypot(x2 - x1, y2 - y1) or 1.0
            cut = min(radius[e.target] + 2, length / 2)
            x2, y2 = (
                round(x2 - (x2 - x1) * cut / length, 1),
                round(y2 - (y2 - y1) * cut / length, 1),
            )
        edges.append(
            {
                "kind": e.kind,
                "source": e.source,
                "target": e.target,
                "x1": x1,
                "y1": y1,
                "x2": x2,
                "y2": y2,
                "width": round(min(1 + math.log(e.weight) * 1.5, 6), 2),
                "documents": e.documents,
                "weight": e.weight,
                "anchor": f"edge-{i}",
            }
        )
    names = {n["id"]: n["name"] for n in nodes}
    person_name = names.get(person) if person else None
    return render(
        request,
        "network.html",
        nodes=nodes,
        edges=edges,
        names=names,
        kind=kind,
        person=person,
        person_name=person_name,
        people=_person_choices(state),
        total_nodes=net.total_nodes,
        width=NET_WIDTH,
        height=height,
    )


def label_places(points: list[dict[str, Any]], size: float, least_zoom: float) -> None:
    """Give each place where its label goes (``label``: side, anchor, offsets) and the
    zoom from which it shows (``zoom``; ``major`` when it shows at the first view): the
    most documented first, no label over another label or a marker at any zoom."""
    spots = place_labels(
        [(p["x"], p["y"], p["r"] * size / 6, p["name"]) for p in points], size, least_zoom
    )
    for p, spot in zip(points, spots, strict=True):  # points are ordered by documents
        p["label"] = spot
        p["zoom"] = round(spot.zoom, 3) if math.isfinite(spot.zoom) else None
        p["major"] = spot.zoom <= 1.0


def cached_places(state: WebState) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    counts = {k: v.documents for k, v in stats.entity_counts(state).items()}
    return state.cached("places", lambda: corpus.places(state.reader(), counts))


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, view: str = "") -> HTMLResponse:
    state = state_of(request)
    world = view == "world"
    _, unlocated = cached_places(state)
    # the labels' placement is computed once per version of the archive and view
    points, box, widest = state.cached(f"map:{world}", lambda: _map_layout(state, world))
    return render(
        request,
        "map.html",
        countries=world_paths(),
        points=points,
        unlocated=unlocated,
        viewbox=" ".join(f"{v:g}" for v in box),
        world=world,
        label_size=round(box[2] / 80, 2),
        widest=widest,
    )


def _map_layout(
    state: WebState, world: bool
) -> tuple[list[dict[str, Any]], tuple[float, float, float, float], float]:
    """The places drawn (position, marker, label), the first view, and the widest view."""
    located, _ = cached_places(state)
    top = max((p["documents"] for p in located), default=1) or 1
    points = []
    for p in located:
        x, y = project(p["lon"], p["lat"])
        points.append(
            {**p, "x": x, "y": y, "r": round(2.5 + 7 * math.sqrt(p["documents"] / top), 1)}
        )
    box = map_view(
        [(p["x"], p["y"]) for p in points],
        world=world,
        weights=[p["documents"] for p in points],
    )
    widest = max(box[2], MAP_WIDTH)  # the farthest out the map zooms: the whole world
    label_places(points, box[2] / 80, box[2] / widest)
    return points, box, widest
