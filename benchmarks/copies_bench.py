"""Copies found at ingest (fonds.copies): precision and recall on a labelled set, and the
time linking takes.

    python benchmarks/copies_bench.py [--json out.json]

The labelled set is made here, from real text: the bodies of the development set's
documents (``tests/devset/*/docs``, 66 documents from the Digital Archive and FRUS, none
of them copies of another), each read by fonds first. From them:

* **same document** (positives): every body again as another capture would give it:
  title and date lines, the paragraphs wrapped at other widths, two OCR slips ("Il" read
  "II", "l" read "1"), a line of site furniture before and after;
* **contains** (positives): a report made of two other bodies with one body quoted whole
  between them;
* **near misses** (negatives, must not be linked): short bodies given the same 170-word
  handling and distribution paragraph; records of "the same meeting day" (same title
  and date lines, different bodies).

Everything is ingested into one archive (entity stage off) and the links fonds made are
compared with the labels. This is a generated set over real prose, not a set of copies
found in the wild: its numbers say how the method holds up against the changes it was
built for, not how often such copies occur.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fonds.pipeline import ingest  # noqa: E402
from fonds.store.sqlite import Store  # noqa: E402

DEVSET = ROOT / "tests" / "devset"
SEED = 1950
FURNITURE = [
    ("Home | Collections | Search | About", "Back to top | Print this page"),
    ("history.state.gov 3.0 shell", "Office of the Historian, Foreign Service Institute"),
    ("Saved page", "Related documents: see the collection"),
]
BOILERPLATE = (
    "Handling: this telegram must be closely paraphrased before being communicated to "
    "anyone outside the Department; no distribution outside the addressee offices without "
    "the approval of the Executive Secretariat. Distribution: the Secretary, the Under "
    "Secretary, the Deputy Under Secretary for Political Affairs, the Counselor, the "
    "Director of the Policy Planning Staff, the Assistant Secretary for Far Eastern "
    "Affairs, the Division of Northeast Asian Affairs, the Division of Chinese Affairs, "
    "the Division of Research for Far East, the Office of Intelligence Research, the Army "
    "Department liaison officer, the Navy Department liaison officer, the Air Force "
    "liaison officer, the Central Intelligence Agency representative, the Joint Chiefs "
    "of Staff secretariat, the National Security Council staff, the White House naval "
    "aide, the Economic Cooperation Administration Korea program, the Treasury Department "
    "monetary office, the Commerce Department export control division. Repeated to the "
    "Embassy in Tokyo for the Supreme Commander for the Allied Powers, to the Embassy in "
    "Moscow, to the Embassy in London and to the Embassy in Nanking; pass to the United "
    "States delegation at the General Assembly and to the Mission in Seoul. Signed for "
    "the Secretary by the Director of the Executive Secretariat."
)


def bodies() -> list[dict[str, Any]]:
    """Every development-set document as fonds reads it: id, title, date, body."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "dev.db")
        ingest(store, sorted(DEVSET.glob("*/docs")))
        out = [
            {"title": r["title"], "date": r["date"] or "", "text": r["text"]}
            for r in store.iter_records()
            if len(r["text"].split()) >= 80
        ]
        store.close()
    return out


def rewrap(text: str, rng: random.Random) -> str:
    width = rng.choice([60, 72, 90])
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    return "\n\n".join(re.sub(rf"(.{{{width - 12},{width}}}) ", "\\1\n", p) for p in paragraphs)


def ocr_slips(text: str) -> str:
    text = re.sub(r"\bIl\b", "II", text, count=1)
    return re.sub(r"(?<=\d)l|l(?=\d)", "1", text, count=1)


def another_capture(doc: dict[str, Any], rng: random.Random) -> str:
    before, after = rng.choice(FURNITURE)
    body = ocr_slips(rewrap(doc["text"], rng))
    return f"{doc['title']}\n\n{doc['date']}\n\n{before}\n\n{body}\n\n{after}\n"


def build(folder: Path, docs: list[dict[str, Any]]) -> dict[str, set[tuple[str, str]]]:
    """Write the labelled files; the labels as pairs of file names per relation."""
    rng = random.Random(SEED)
    labels: dict[str, set[tuple[str, str]]] = {"same": set(), "contains": set(), "none": set()}
    # the near misses are made of bodies that are in no other file of the set
    spare = docs[len(docs) * 2 // 3 :]
    docs = docs[: len(docs) * 2 // 3]
    for n, doc in enumerate(docs):
        (folder / f"doc-{n:03d}.txt").write_text(f"{doc['title']}\n\n{doc['text']}\n", "utf-8")
        (folder / f"doc-{n:03d}-again.txt").write_text(another_capture(doc, rng), "utf-8")
        labels["same"].add((f"doc-{n:03d}.txt", f"doc-{n:03d}-again.txt"))
    for n in range(0, len(docs) - 2, 3):
        quoted, a, b = docs[n], docs[n + 1], docs[n + 2]
        report = (
            f"Report {n}\n\n{a['text']}\n\nThe telegram read in full:\n\n{quoted['text']}\n\n"
            f"End of quotation.\n\n{b['text']}\n"
        )
        (folder / f"report-{n:03d}.txt").write_text(report, "utf-8")
        for inner in (n, n + 1, n + 2):  # it quotes all three whole, in fact
            labels["contains"].add((f"report-{n:03d}.txt", f"doc-{inner:03d}.txt"))
            labels["contains"].add((f"report-{n:03d}.txt", f"doc-{inner:03d}-again.txt"))
    short = [d for d in spare if len(d["text"].split()) < 400][:12]
    for n, doc in enumerate(short):
        text = f"Telegram {n}\n\n{doc['text']}\n\n{BOILERPLATE}\n"
        (folder / f"boiler-{n:02d}.txt").write_text(text, "utf-8")
    meetings = [d for d in spare if not any(d is s for s in short)]
    for n in range(0, len(meetings) - 1, 2):
        first, second = meetings[n], meetings[n + 1]
        head = "Memorandum of Conversation\n\nJune 25, 1950\n\nParticipants: the Secretary\n\n"
        (folder / f"meeting-{n:02d}-a.txt").write_text(head + first["text"][:1500], "utf-8")
        (folder / f"meeting-{n:02d}-b.txt").write_text(head + second["text"][:1500], "utf-8")
    return labels


def expected_pairs(labels: dict[str, set[tuple[str, str]]]) -> dict[str, set[frozenset[str]]]:
    same = {frozenset(p) for p in labels["same"]}
    contains = {frozenset(p) for p in labels["contains"]}
    return {"same": same, "contains": contains}


def found_pairs(store: Store) -> dict[str, set[frozenset[str]]]:
    names = {
        doc_id: Path(path).name
        for doc_id, path in store.conn.execute("SELECT id, source_path FROM documents")
    }
    out: dict[str, set[frozenset[str]]] = {"same": set(), "contains": set()}
    for a, b, relation in store.conn.execute("SELECT document_id, other_id, relation FROM copies"):
        out[relation].add(frozenset((names[a], names[b])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    docs = bodies()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "set"
        folder.mkdir()
        labels = build(folder, docs)
        files = sorted(folder.iterdir())
        times = {}
        for link in (True, False):
            store = Store(Path(tmp) / f"copies-{link}.db")
            import fonds.pipeline as pipeline

            real = pipeline.link_copies
            if not link:
                pipeline.link_copies = lambda store, record: 0  # type: ignore[assignment]
            started = time.perf_counter()
            ingest(store, files)
            times[link] = time.perf_counter() - started
            pipeline.link_copies = real
            if link:
                found = found_pairs(store)
                boiler_links = store.conn.execute(
                    "SELECT count(*) FROM copies c JOIN documents a ON a.id = c.document_id"
                    " JOIN documents b ON b.id = c.other_id WHERE (a.source_path LIKE"
                    " '%boiler-%' AND b.source_path LIKE '%boiler-%') OR (a.source_path"
                    " LIKE '%meeting-%' AND b.source_path LIKE '%meeting-%')"
                ).fetchone()[0]
            store.close()
    want = expected_pairs(labels)
    report: dict[str, Any] = {"documents": len(docs), "files": len(files)}
    for relation in ("same", "contains"):
        right = found[relation] & want[relation]
        precision = len(right) / len(found[relation]) if found[relation] else 1.0
        recall = len(right) / len(want[relation]) if want[relation] else 1.0
        report[relation] = {
            "labelled": len(want[relation]),
            "found": len(found[relation]),
            "right": len(right),
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "wrong": sorted(sorted(p) for p in found[relation] - want[relation])[:10],
            "missed": sorted(sorted(p) for p in want[relation] - found[relation])[:12],
        }
    report["near_miss_links"] = boiler_links
    report["ingest_s"] = {"with_links": round(times[True], 2), "without": round(times[False], 2)}
    report["linking_ms_per_file"] = round((times[True] - times[False]) / len(files) * 1e3, 2)
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
