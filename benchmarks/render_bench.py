"""Time to render a document's body in the reader, against the document's size.

    .venv/bin/python benchmarks/render_bench.py [--sizes 50 200 1000 5000] [--max-seconds 60]

Builds bodies of N kilobytes from paragraphs that each name two people (two entity marks)
and carry an OCR repair in every tenth, as ``fonds.web.documents.sections`` gets them from
a record, and prints the CPU seconds of ``render_passage`` over the whole body (best of 3)
for each size, and of what the reader's page does with it as a record: cut it into parts
and render the first. A size whose previous size took more than ``--max-seconds`` is skipped.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from fonds.web.documents import body_parts, sections
from fonds.web.render import EntityMark, RepairMark, render_passage
from fonds.web.state import WebLimits

PARAGRAPH = "Kim Il Sung met Pak Hon Yong on day {i} and they spoke at length of the war."


def document(paragraphs: int) -> tuple[str, list[EntityMark], list[RepairMark]]:
    """A body of many paragraphs, each naming two people, with a repair in every tenth."""
    parts: list[str] = []
    entities: list[EntityMark] = []
    repairs: list[RepairMark] = []
    pos = 0
    for i in range(paragraphs):
        para = PARAGRAPH.format(i=i)
        entities.append(EntityMark(pos, pos + 11, "person-kim-il-sung", "person", "Kim Il Sung"))
        entities.append(EntityMark(pos + 16, pos + 27, "person-pak-hon-yong", "person", "Pak"))
        if i % 10 == 0:
            repairs.append(RepairMark(pos + 4, pos + 6, "II", "ocr-il"))
        parts.append(para)
        pos += len(para) + 2
    return "\n\n".join(parts), entities, repairs


def record(paragraphs: int) -> dict[str, Any]:
    """The same document as a record, as the store gives it to the reader's page."""
    text, entities, repairs = document(paragraphs)
    by_entity: dict[str, dict[str, Any]] = {}
    for m in entities:
        entry = by_entity.setdefault(
            m.entity_id, {"id": m.entity_id, "type": "person", "name": m.name, "mentions": []}
        )
        entry["mentions"].append({"field": "text", "start": m.start, "end": m.end})
    return {
        "text": text,
        "entities": list(by_entity.values()),
        "repairs": [
            {
                "field": "text",
                "start": r.start,
                "end": r.end,
                "original": r.original,
                "rule": r.rule,
            }
            for r in repairs
        ],
    }


def paragraphs_in(kilobytes: int) -> int:
    paragraphs, pos = 0, 0
    while pos < kilobytes * 1000:
        pos += len(PARAGRAPH.format(i=paragraphs)) + 2
        paragraphs += 1
    return paragraphs


def body(kilobytes: int) -> tuple[str, list[EntityMark], list[RepairMark]]:
    """A document of about ``kilobytes`` thousand characters."""
    return document(paragraphs_in(kilobytes))


def cpu_seconds(kilobytes: int, repeat: int = 3) -> float:
    text, entities, repairs = body(kilobytes)
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        render_passage(text, 0, len(text), entities, repairs)
        best = min(best, time.process_time() - start)
    return best


def page_cpu_seconds(kilobytes: int, repeat: int = 3) -> float:
    """What the reader's page does: cut the body into parts, render the first."""
    rec = record(paragraphs_in(kilobytes))
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        lo, hi = body_parts(rec, WebLimits().reader_part_chars)[0]
        sections(rec, lo, hi)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000, 5000])
    ap.add_argument("--max-seconds", type=float, default=60.0)
    a = ap.parse_args()
    print(
        "| body | marks | whole body, CPU s | reader page (part 1), CPU s |\n|---:|---:|---:|---:|"
    )
    last = 0.0
    for kb in a.sizes:
        if last > a.max_seconds:
            print(f"| {kb} KB | – | skipped (the previous size took {last:.1f} s) | – |")
            continue
        _, entities, _ = body(kb)
        repeat = 1 if last > 5 else 3
        last = cpu_seconds(kb, repeat)
        print(f"| {kb} KB | {len(entities):,} | {last:.3f} | {page_cpu_seconds(kb):.3f} |")


if __name__ == "__main__":
    main()
