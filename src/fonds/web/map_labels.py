"""Where the map's place labels go, and from which zoom each one shows.

Markers and labels keep their size on screen while the map zooms (static/map.js), so
two places' boxes part at a zoom that can be computed exactly: here, on the server, for
every label at once; the script only applies it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# A place's label, in units of the label size (the map's font size at the first view).
# Glyphs of a sans-serif such as DejaVu Sans, measured in Chromium: from 0.93 em above
# the baseline to 0.22 em below it; widths per character are generous, so that a label
# is never wider than the box it is placed by.
LABEL_GAP = 0.4  # between a marker and its label
ASCENT, DESCENT = 0.93, 0.22
LABEL_MARGIN = 0.12  # the white halo around the letters and the marker's outline
GLYPH_WIDTHS = (
    ("MW", 1.0),
    ("ABCDGHKNOQRUVXYmw", 0.8),
    ("EFLPSTZ", 0.68),
    ("Iijlft.,:;'!|() -", 0.38),
)
OTHER_GLYPH = 0.64
# Where a label may go, in the order tried: right of its marker, left, above, below.
SIDES = ("right", "left", "above", "below")


def glyph_width(ch: str) -> float:
    for chars, width in GLYPH_WIDTHS:
        if ch in chars:
            return width
    return OTHER_GLYPH if ord(ch) < 0x2E80 else 1.0  # CJK and the like: a full em


@dataclass(frozen=True)
class Box:
    """A box around a point, in units that stay the same on screen at every zoom."""

    left: float
    right: float
    top: float
    bottom: float


@dataclass(frozen=True)
class LabelPlace:
    """Where a place's label goes: ``anchor`` (SVG text-anchor) at (dx, dy) from the
    marker's centre, in screen units at the first view; shown from ``zoom`` on."""

    zoom: float
    side: str
    anchor: str
    dx: float
    dy: float


def label_spot(side: str, marker_radius: float, size: float) -> tuple[str, float, float]:
    """The text anchor and the baseline's offset from the marker for a side."""
    gap = marker_radius + LABEL_GAP * size
    if side == "right":
        return "start", gap, (ASCENT - DESCENT) / 2 * size
    if side == "left":
        return "end", -gap, (ASCENT - DESCENT) / 2 * size
    if side == "above":
        return "middle", 0.0, -(marker_radius + DESCENT * size + 0.15 * size)
    return "middle", 0.0, marker_radius + ASCENT * size + 0.1 * size


def label_box(name: str, marker_radius: float, size: float, side: str = "right") -> Box:
    anchor, dx, dy = label_spot(side, marker_radius, size)
    width = size * sum(glyph_width(ch) for ch in name)
    start = {"start": dx, "end": dx - width, "middle": dx - width / 2}[anchor]
    pad = LABEL_MARGIN * size
    return Box(
        start - pad, start + width + pad, dy - ASCENT * size - pad, dy + DESCENT * size + pad
    )


def marker_box(radius: float) -> Box:
    return Box(-radius, radius, -radius, radius)


def _apart_from(a: Box, pa: tuple[float, float], b: Box, pb: tuple[float, float]) -> float:
    """The zoom from which two boxes, fixed on screen around two points of the map, stop
    overlapping (0: they never do). At zoom z a point sits at z times its map position."""

    def axis(lo_a: float, hi_a: float, lo_b: float, hi_b: float, d: float) -> float:
        # On one axis they overlap iff d*z + lo_a < hi_b and lo_b < d*z + hi_a (d: a's
        # position minus b's): for z under the bound returned (the upper end of that span).
        if d > 0:
            return max(0.0, (hi_b - lo_a) / d)
        if d < 0:
            return max(0.0, (hi_a - lo_b) / -d)
        return math.inf if lo_a < hi_b and lo_b < hi_a else 0.0

    zx = axis(a.left, a.right, b.left, b.right, pa[0] - pb[0])
    zy = axis(a.top, a.bottom, b.top, b.bottom, pa[1] - pb[1])
    return min(zx, zy)


def place_labels(
    points: list[tuple[float, float, float, str]], size: float, least_zoom: float = 1.0
) -> list[LabelPlace]:
    """For places (x, y, marker radius, name) in order of importance, where each one's
    label goes and the zoom from which it shows, relative to the first view (1.0): a
    label never overlaps another label shown at the same zoom, nor any place's marker.
    Markers and labels keep their size on screen while the map zooms, so two boxes part
    at a zoom that grows as their places get closer; each label takes the side (SIDES)
    that shows it soonest. ``least_zoom`` is the farthest the map zooms out (below 1
    when it may show more than the first view)."""
    markers = [marker_box(r) for _, _, r, _ in points]
    boxes = [{side: label_box(name, r, size, side) for side in SIDES} for _, _, r, name in points]
    reach = max(
        (max(b.right, -b.left, b.bottom, -b.top) for c in boxes for b in c.values()), default=0.0
    )
    reach += max((m.right for m in markers), default=0.0)
    # places farther apart than this never meet at a zoom of least_zoom or more
    cell = max(reach / max(least_zoom, 1e-3), 1e-6)
    grid: dict[tuple[int, int], list[int]] = {}
    for i, (x, y, _, _) in enumerate(points):
        grid.setdefault((int(x // cell), int(y // cell)), []).append(i)
    placed: list[LabelPlace] = []
    chosen: list[Box] = []
    for i, (x, y, r, _) in enumerate(points):
        gx, gy = int(x // cell), int(y // cell)
        near = [
            j
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
            for j in grid.get((gx + dx, gy + dy), [])
            if j != i
        ]
        best: tuple[float, str] | None = None
        for side in SIDES:
            box, shown_from = boxes[i][side], 0.0
            for j in near:
                at = (points[j][0], points[j][1])
                shown_from = max(shown_from, _apart_from(box, (x, y), markers[j], at))
                if j < i:
                    apart = _apart_from(box, (x, y), chosen[j], at)
                    if apart > placed[j].zoom:
                        shown_from = max(shown_from, apart)
            if best is None or shown_from < best[0]:
                best = (shown_from, side)
        assert best is not None
        anchor, dx, dy = label_spot(best[1], r, size)
        placed.append(LabelPlace(best[0], best[1], anchor, round(dx, 3), round(dy, 3)))
        chosen.append(boxes[i][best[1]])
    return placed
