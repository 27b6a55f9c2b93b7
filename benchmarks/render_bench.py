"""Time to render a document's body in the reader, against the document's size.

    .venv/bin/python benchmarks/render_bench.py [--sizes 50 200 1000 5000] [--max-seconds 60]

Builds bodies of N kilobytes from paragraphs that each name two people (two entity marks)
and carry an OCR repair in every tenth, as ``fonds.web.documents.sections`` gets them from
a record, and prints the CPU seconds of ``render_passage`` over the whole body (best of 3)
for each size. A size whose previous size took more than ``--max-seconds`` is skipped.
"""

from __future__ import annotations

import argparse
import time

from fonds.web.render import EntityMark, RepairMark, render_passage

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


def body(kilobytes: int) -> tuple[str, list[EntityMark], list[RepairMark]]:
    """A document of about ``kilobytes`` thousand characters."""
    paragraphs, pos = 0, 0
    while pos < kilobytes * 1000:
        pos += len(PARAGRAPH.format(i=paragraphs)) + 2
        paragraphs += 1
    return document(paragraphs)


def cpu_seconds(kilobytes: int, repeat: int = 3) -> float:
    text, entities, repairs = body(kilobytes)
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        render_passage(text, 0, len(text), entities, repairs)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000, 5000])
    ap.add_argument("--max-seconds", type=float, default=60.0)
    a = ap.parse_args()
    print("| body | marks | CPU seconds |\n|---:|---:|---:|")
    last = 0.0
    for kb in a.sizes:
        if last > a.max_seconds:
            print(f"| {kb} KB | – | skipped (the previous size took {last:.1f} s) |")
            continue
        _, entities, _ = body(kb)
        repeat = 1 if last > 5 else 3
        last = cpu_seconds(kb, repeat)
        print(f"| {kb} KB | {len(entities):,} | {last:.3f} |")


if __name__ == "__main__":
    main()
