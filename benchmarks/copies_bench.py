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
  and date lines, different bodies);
* **the same FRUS document in three forms** (same document): the development set's
  history.state.gov page texts, each also as the volume's TEI and as the printed
  volume's text;
* **quotes of every length** (contains): passages of 40 to 400 words of a FRUS volume's
  text (``../shared/corpus/frus-plaintext``, left out when it is not there), each as a
  telegram of its own and quoted whole in a report made of another volume's text; the
  share found is given by the quote's length.

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
        # the FRUS web pages are the documents of the three-form set (frus_forms)
        ingest(store, sorted(d for d in DEVSET.glob("*/docs") if d.parent.name != "frus-web"))
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
    labels["same"] |= frus_forms(folder)
    return labels


FRUS_WEB = DEVSET / "frus-web" / "docs"  # history.state.gov page texts (see its MANIFEST)
TEI_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0" xmlns:frus="http://history.state.gov/frus/ns/1.0">
  <teiHeader><fileDesc><titleStmt><title type="complete">{volume}</title></titleStmt>
    <publicationStmt><publisher>United States Government Printing Office</publisher>
    <availability><p>Public domain (U.S. Government work).</p></availability></publicationStmt>
    <sourceDesc><p>Excerpt: 1 document of the volume.</p></sourceDesc></fileDesc></teiHeader>
  <text><body><div type="chapter" xml:id="ch1"><head>{volume}</head>
"""


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def as_tei(record: dict[str, Any], n: int) -> str:
    """A FRUS document as the volume's TEI holds it: the heading, the dateline, a
    paragraph a paragraph, the footnotes as notes."""
    paragraphs = [" ".join(p.split()) for p in record["text"].split("\n\n") if p.strip()]
    notes = [" ".join(p.split()) for p in (record.get("notes") or "").split("\n") if p.strip()]
    date = record.get("date") or ""
    opener = f'      <opener><dateline><date when="{date}">{date}</date></dateline></opener>\n'
    body = "".join(f"      <p>{_xml(p)}</p>\n" for p in paragraphs)
    body += "".join(
        f'      <note n="{i}" xml:id="d{n}fn{i}">{_xml(note)}</note>\n'
        for i, note in enumerate(notes, 1)
    )
    return (
        TEI_HEAD.format(volume="Foreign Relations of the United States")
        + f'    <div type="document" xml:id="d{n}" n="{n}" subtype="historical-document">\n'
        + f"      <head>{_xml(record['title'])}</head>\n"
        + (opener if date else "")
        + body
        + "    </div>\n  </div></body></text>\n</TEI>\n"
    )


def as_print(record: dict[str, Any], page: int, rng: random.Random) -> str:
    """A FRUS document as text extracted from the printed volume: its source note and
    heading, then lines of about 70 characters with a word hyphenated at some line ends,
    a running head and a page number every 45 lines with a form feed, the footnotes
    ("1 Not printed.") at the foot of the last page."""
    refs = record.get("archival_refs") or []
    lines: list[str] = [refs[0]["raw"]] if refs and refs[0].get("raw") else []
    notes = [" ".join(n.split()) for n in (record.get("notes") or "").split("\n") if n.strip()]
    notes = [re.sub(r"^(\d+)\.\s", r"\1 ", n) for n in notes]
    marked = re.search(r"[a-z.,;:’”)\]]1\b", record["text"]) is not None
    # the heading carries the mark of note 1 when the text does not (a source note)
    lines += _wrapped(record["title"] + ("1" if notes and not marked else ""), rng)
    for paragraph in record["text"].split("\n\n"):
        lines += _wrapped(paragraph, rng)
    pages = [lines[start : start + 45] for start in range(0, len(lines), 45)]
    pages[-1] += ["", "_" * 12] + [w for n in notes for w in _wrapped(n, rng)]
    out = []
    for n, text in enumerate(pages):
        even = f"{page + n}                 FOREIGN RELATIONS, 1949, VOLUME II"
        head = even if (page + n) % 2 == 0 else f"THE WESTERN HEMISPHERE              {page + n}"
        out.append(head + "\n\n" + "\n".join(text))
    return "\n\f".join(out) + "\n"


def _wrapped(paragraph: str, rng: random.Random) -> list[str]:
    """A paragraph as print sets it: lines of about 70 characters, some words hyphenated."""
    lines: list[str] = []
    line = ""
    for word in paragraph.split():
        if len(line) + 1 + len(word) <= 70:
            line = f"{line} {word}".strip()
            continue
        cut = len(word) // 2
        if len(word) >= 8 and word.isalpha() and len(line) + cut + 2 <= 70 and rng.random() < 0.5:
            lines.append(f"{line} {word[:cut]}-")
            line = word[cut:]
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def frus_forms(folder: Path) -> set[tuple[str, str]]:
    """The FRUS documents of the development set's web page texts, each also as the
    volume's TEI and as the printed volume's text: three forms of one document, read by
    three different readers. The pairs of forms, to be linked as the same document."""
    rng = random.Random(SEED)
    pairs: set[tuple[str, str]] = set()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "web.db")
        ingest(store, sorted(FRUS_WEB.glob("*.txt")))
        records = sorted(store.iter_records(), key=lambda r: r["source"]["path"])
        store.close()
    for n, record in enumerate(records):
        if len(record["text"].split()) < 80:
            continue
        web, tei, printed = (
            f"form-{n:02d}-web.txt",
            f"form-{n:02d}.tei.xml",
            f"form-{n:02d}-print.txt",
        )
        (folder / web).write_bytes(Path(record["source"]["path"]).read_bytes())
        (folder / tei).write_text(as_tei(record, 100 + n), "utf-8")
        (folder / printed).write_text(as_print(record, 200 + 2 * n, rng), "utf-8")
        pairs |= {(web, tei), (web, printed), (tei, printed)}
    return pairs


FRUS_PLAINTEXT = ROOT.parent / "shared" / "corpus" / "frus-plaintext"
QUOTE_WORDS = [40, 60, 80, 100, 130, 160, 200, 250, 300, 400]  # six quotes of each length


def short_quotes(folder: Path) -> dict[tuple[str, str], int]:
    """Quotes of every length inside reports: passages of 40 to 400 words cut at sentence
    ends from one FRUS volume's text (``../shared/corpus/frus-plaintext``), each written
    as a telegram of its own and quoted whole, wrapped anew, between two passages of
    about 300 words of another volume. The (report, telegram) pairs, to be linked as
    *contains*, with the quote's length in words; none when that corpus is not here."""
    volumes = sorted(FRUS_PLAINTEXT.glob("*.txt.gz"))
    if len(volumes) < 2:
        return {}
    from gen_corpus import load_volume  # the sentences, as the benchmark corpus cuts them

    rng = random.Random(SEED)
    quoting, around = load_volume(volumes[0]), load_volume(volumes[-1])

    def passage(volume: Any, words: int, start: int) -> tuple[str, int]:
        out, total, i = [], 0, start
        while total < words and i < len(volume.sentences):
            out.append(volume.sentences[i])
            total += volume.words[i]
            i += 1
        return " ".join(out), i

    labels: dict[tuple[str, str], int] = {}
    quote_at, around_at = 0, 0
    for n, words in enumerate(w for w in QUOTE_WORDS for _ in range(6)):
        quote_at += rng.randint(50, 200)  # passages apart, none overlapping another
        quote, quote_at = passage(quoting, words, quote_at)
        around_at += rng.randint(50, 200)
        before, around_at = passage(around, 300, around_at)
        after, around_at = passage(around, 300, around_at)
        telegram, report = f"telegram-{n:02d}.txt", f"quoting-{n:02d}.txt"
        (folder / telegram).write_text(f"Telegram {n}\n\n{quote}\n", "utf-8")
        (folder / report).write_text(
            f"Report on telegram {n}\n\n{before}\n\nThe telegram read in full:\n\n"
            f"{rewrap(quote, rng)}\n\nEnd of quotation.\n\n{after}\n",
            "utf-8",
        )
        labels[(report, telegram)] = len(quote.split())
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
        quotes = short_quotes(folder)
        labels["contains"] |= set(quotes)
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
    by_length: dict[int, list[int]] = {}
    for pair, words in quotes.items():
        hit = frozenset(pair) in found["contains"]
        by_length.setdefault(words // 20 * 20, []).append(int(hit))
    report["quotes_found_by_words"] = {
        f"{low}-{low + 19}": f"{sum(v)}/{len(v)}" for low, v in sorted(by_length.items())
    }
    report["near_miss_links"] = boiler_links
    report["ingest_s"] = {"with_links": round(times[True], 2), "without": round(times[False], 2)}
    report["linking_ms_per_file"] = round((times[True] - times[False]) / len(files) * 1e3, 2)
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
