"""Geometry drawn on the server: bar charts, the network layout, the world map.

Pictures are SVG written by templates from these numbers, so every page shows its
picture without JavaScript; the small scripts in static/ only add zoom and panning.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fonds.web.state import STATIC_DIR

WORLD_FILE = STATIC_DIR / "world" / "countries-110m.json"
MAP_WIDTH, MAP_HEIGHT = 1000.0, 500.0


@dataclass
class Bar:
    key: str
    count: int
    x: float
    y: float
    width: float
    height: float


def bars(buckets: list[tuple[str, int]], width: float = 900, height: float = 180) -> list[Bar]:
    """A bar per bucket across ``width``; heights scaled to the largest count."""
    if not buckets:
        return []
    top = max(n for _, n in buckets) or 1
    step = width / len(buckets)
    gap = min(2.0, step * 0.15)
    out = []
    for i, (key, n) in enumerate(buckets):
        h = 0.0 if n == 0 else max(2.0, height * n / top)
        out.append(
            Bar(
                key,
                n,
                round(i * step + gap / 2, 2),
                round(height - h, 2),
                round(max(step - gap, 0.5), 2),
                round(h, 2),
            )
        )
    return out


@dataclass
class Band:
    """Documents dated by a span of buckets, drawn as a band under the bars it covers."""

    first: str
    last: str
    count: int
    x: float
    y: float
    width: float


BAND_HEIGHT = 5.0
BAND_GAP = 3.0
BAND_TOP = 24.0  # below the axis and its labels
MAX_BAND_ROWS = 6  # more overlapping spans share the last row


def bands(spans: list[tuple[str, str, int]], chart: list[Bar], height: float) -> list[Band]:
    """A band per span, under the bars from its first bucket to its last; bands that
    would overlap go on rows of their own."""
    at = {b.key: b for b in chart}
    ends: list[float] = []  # the right end of the last band on each row
    out = []
    for first, last, n in spans:
        a, b = at.get(first), at.get(last)
        if a is None or b is None:
            continue
        left, right = a.x, b.x + b.width
        row = next((i for i, end in enumerate(ends) if end < left), None)
        if row is None:
            if len(ends) < MAX_BAND_ROWS:
                ends.append(right)
            row = len(ends) - 1
        ends[row] = max(ends[row], right)
        y = height + BAND_TOP + row * (BAND_HEIGHT + BAND_GAP)
        out.append(Band(first, last, n, left, round(y, 2), round(right - left, 2)))
    return out


def bands_height(drawn: list[Band], height: float) -> float:
    """How far below the bars' baseline the lowest band ends (0 without bands)."""
    if not drawn:
        return 0.0
    return max(b.y for b in drawn) + BAND_HEIGHT - height


# -- network ---------------------------------------------------------------------------


def network_layout(
    nodes: list[str], edges: list[tuple[str, str, int]], width: float
) -> tuple[dict[str, tuple[float, float]], float]:
    """Positions for a graph and the height it needs: each connected part is laid out on
    its own, then the parts are packed in rows, largest first."""
    parent = {n: n for n in nodes}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b, _ in edges:
        parent[root(a)] = root(b)
    parts: dict[str, list[str]] = {}
    for n in nodes:
        parts.setdefault(root(n), []).append(n)
    ordered = sorted(parts.values(), key=lambda p: (-len(p), p[0]))
    positions: dict[str, tuple[float, float]] = {}
    x = y = row = 0.0
    gap = 30.0
    for part in ordered:
        size = min(width, 200.0 + 170.0 * math.sqrt(len(part) - 1)) if len(part) > 1 else 150.0
        members = set(part)
        local = force_layout(
            part,
            [e for e in edges if e[0] in members],
            size,
            size * 0.75,
            iterations=200 if len(part) <= 30 else 120,
        )
        # keep only the room the drawing uses, with space for names around it
        left = min(p[0] for p in local.values()) - 70.0
        top = min(p[1] for p in local.values()) - 30.0
        used_w = max(p[0] for p in local.values()) - left + 70.0
        used_h = max(p[1] for p in local.values()) - top + 40.0
        if x > 0 and x + used_w > width:
            x, y, row = 0.0, y + row + gap, 0.0
        for n, (px, py) in local.items():
            positions[n] = (round(px - left + x, 1), round(py - top + y, 1))
        x += used_w + gap
        row = max(row, used_h)
    height = y + row
    used = max((p[0] for p in positions.values()), default=0.0) + 80.0
    shift = max(0.0, (width - used) / 2)  # centre a narrow drawing
    return {n: (round(p[0] + shift, 1), p[1]) for n, p in positions.items()}, max(height, 200.0)


def force_layout(
    nodes: list[str],
    edges: list[tuple[str, str, int]],
    width: float,
    height: float,
    iterations: int = 200,
    seed: int = 7,
) -> dict[str, tuple[float, float]]:
    """Fruchterman–Reingold positions in a width × height box, deterministic for a graph."""
    if len(nodes) == 1:
        return {nodes[0]: (width / 2, height / 2)}
    if not nodes:
        return {}
    rng = random.Random(seed)
    n = len(nodes)
    k = math.sqrt(width * height / n) * 0.8
    pos = {}
    for i, node in enumerate(nodes):  # start on a circle: stable and untangled
        angle = 2 * math.pi * i / n
        pos[node] = [
            width / 2 + width / 3 * math.cos(angle) + rng.uniform(-5, 5),
            height / 2 + height / 3 * math.sin(angle) + rng.uniform(-5, 5),
        ]
    heat = width / 8
    for _ in range(iterations):
        disp = {node: [0.0, 0.0] for node in nodes}
        for i, a in enumerate(nodes):
            pa = pos[a]
            for b in nodes[i + 1 :]:
                pb = pos[b]
                dx, dy = pa[0] - pb[0], pa[1] - pb[1]
                dist = max(math.hypot(dx, dy), 0.01)
                force = k * k / dist
                fx, fy = dx / dist * force, dy / dist * force
                disp[a][0] += fx
                disp[a][1] += fy
                disp[b][0] -= fx
                disp[b][1] -= fy
        for a, b, w in edges:
            pa, pb = pos[a], pos[b]
            dx, dy = pa[0] - pb[0], pa[1] - pb[1]
            dist = max(math.hypot(dx, dy), 0.01)
            force = dist * dist / k * (1 + math.log(w) / 4)
            fx, fy = dx / dist * force, dy / dist * force
            disp[a][0] -= fx
            disp[a][1] -= fy
            disp[b][0] += fx
            disp[b][1] += fy
        for node in nodes:
            dx, dy = disp[node]
            d = max(math.hypot(dx, dy), 0.01)
            step = min(d, heat)
            pos[node][0] += dx / d * step
            pos[node][1] += dy / d * step
        heat = max(heat * 0.97, 1.0)
    return _fit(pos, width, height, margin=min(60.0, width / 6))


def _fit(
    pos: dict[str, list[float]], width: float, height: float, margin: float
) -> dict[str, tuple[float, float]]:
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    w, h = max(max(xs) - min(xs), 1.0), max(max(ys) - min(ys), 1.0)
    scale = min((width - 2 * margin) / w, (height - 2 * margin) / h)
    ox = (width - w * scale) / 2 - min(xs) * scale
    oy = (height - h * scale) / 2 - min(ys) * scale
    return {n: (round(p[0] * scale + ox, 1), round(p[1] * scale + oy, 1)) for n, p in pos.items()}


# -- world map -------------------------------------------------------------------------


def project(lon: float, lat: float) -> tuple[float, float]:
    """Equirectangular projection onto a MAP_WIDTH × MAP_HEIGHT canvas."""
    return (
        round((lon + 180.0) / 360.0 * MAP_WIDTH, 2),
        round((90.0 - lat) / 180.0 * MAP_HEIGHT, 2),
    )


@lru_cache(maxsize=1)
def world_paths() -> tuple[tuple[str, str], ...]:
    """(country name, SVG path data) for each country of the bundled TopoJSON."""
    topo = json.loads(WORLD_FILE.read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs: list[list[tuple[float, float]]] = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append(project(x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indexes: list[int]) -> str:
        points: list[tuple[float, float]] = []
        for i in indexes:
            part = arcs[i] if i >= 0 else arcs[~i][::-1]
            points.extend(part if not points else part[1:])
        out, previous = [], None
        for x, y in points:  # a jump across the antimeridian starts a new piece
            jump = previous is None or abs(x - previous[0]) > MAP_WIDTH / 2
            out.append(("M" if jump else "L") + f"{x:g},{y:g}")
            previous = (x, y)
        return "".join(out) + "Z"

    out = []
    for geom in topo["objects"]["countries"]["geometries"]:
        polygons: list[Any] = []
        if geom.get("type") == "Polygon":
            polygons = [geom["arcs"]]
        elif geom.get("type") == "MultiPolygon":
            polygons = geom["arcs"]
        d = "".join(ring(r) for poly in polygons for r in poly)
        if d:
            out.append((str(geom.get("properties", {}).get("name", "")), d))
    return tuple(out)


EXTENT_TRIM = 0.03  # of the documents' weight, left out of the first view at each side


def _weighted_bounds(values: list[tuple[float, int]]) -> tuple[float, float]:
    """The span of values once EXTENT_TRIM of the weight is left out at each end."""
    ordered = sorted(values)
    total = sum(w for _, w in ordered) or 1
    low = high = None
    seen = 0
    for v, w in ordered:
        seen += w
        if low is None and seen > total * EXTENT_TRIM:
            low = v
        if high is None and seen >= total * (1 - EXTENT_TRIM):
            high = v
    return (low if low is not None else ordered[0][0], high if high is not None else ordered[-1][0])


def map_view(
    points: list[tuple[float, float]], world: bool, weights: list[int] | None = None
) -> tuple[float, float, float, float]:
    """The viewBox of the places with a margin (or the world). With ``weights`` (each
    place's documents), a few lightly documented places far from the rest are left for
    zooming out to: the view holds all but EXTENT_TRIM of the weight at each side."""
    if world or not points:
        return 0.0, 20.0, MAP_WIDTH, MAP_HEIGHT - 90.0
    w8 = weights or [1] * len(points)
    x_lo, x_hi = _weighted_bounds([(p[0], w) for p, w in zip(points, w8, strict=True)])
    y_lo, y_hi = _weighted_bounds([(p[1], w) for p, w in zip(points, w8, strict=True)])
    inside = [p for p in points if x_lo <= p[0] <= x_hi and y_lo <= p[1] <= y_hi] or points
    xs, ys = [p[0] for p in inside], [p[1] for p in inside]
    w = max(max(xs) - min(xs), 80.0) * 1.5
    h = max(max(ys) - min(ys), 50.0) * 1.5
    w, h = max(w, h * 2), max(h, w / 2)  # keep the canvas's 2:1 shape
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return round(cx - w / 2, 1), round(cy - h / 2, 1), round(w, 1), round(h, 1)
