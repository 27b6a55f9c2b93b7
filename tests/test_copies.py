"""Copies of one document across sources (fonds.copies): found at ingest from a second
form of a seed, told apart (the same document, a document quoting another whole), never
from boilerplate alone, the same whatever the order, and shown in the API, the export and
the reader."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from fonds.cli import main
from fonds.copies.links import copies_of, copy_group, evidence_of, relation
from fonds.copies.sketch import sketch_keys
from fonds.pipeline import ingest
from fonds.store import shown
from fonds.store.sqlite import Store
from fonds.web.app import create_app
from tests.conftest import archive_at, open_archive

ROOT = Path(__file__).parents[1]
SEEDS = ROOT / "corpus" / "seeds"
CORPUS_FRUS = ROOT / "corpus" / "frus"
SEED_001 = SEEDS / "001_fb4c437bd42e66bf.txt"  # a Digital Archive page, as saved
SEED_002 = SEEDS / "002_57dcb2219e70615d.txt"  # the same archive's PDF as markdown


def body_only(page: Path) -> str:
    """Seed 001 again as a reader copies it: title, date, the paragraphs; another line
    wrapping, and the OCR slip "Kim II Sung" here and there."""
    lines = page.read_text(encoding="utf-8").splitlines()
    paragraphs = [ln for ln in lines[4:15] if ln and ln != "[...]"]
    wrapped = [re.sub(r"(.{70,90}?) ", "\\1\n", p) for p in paragraphs]
    text = "\n\n".join([lines[1], lines[0], *wrapped]) + "\n"
    return text.replace("Kim Il Sung", "Kim II Sung", 3)


def markdown_body(markdown: Path) -> str:
    """Seed 002's markdown cut to the body: no citation, summary or credits."""
    text = markdown.read_text(encoding="utf-8")
    return (
        "Telegram on the Central Committee Meeting\n\n" + text.split("Translation - English", 1)[1]
    )


def ingest_all(db: Path, *paths: Path) -> Store:
    store = open_archive(db)
    summary = ingest(store, list(paths))
    assert summary.count("failed") == 0, summary.outcomes
    return store


def links(store: Store) -> set[tuple[str, str, str]]:
    rows = store.conn.execute("SELECT document_id, other_id, relation FROM copies")
    return {tuple(r) for r in rows}  # type: ignore[misc]


def ids_by_name(store: Store) -> dict[str, str]:
    rows = store.conn.execute("SELECT source_path, id FROM documents").fetchall()
    return {Path(path).name: doc_id for path, doc_id in rows}


@pytest.fixture
def served(tmp_path: Path, forms: Path) -> tuple[Store, dict[str, str], TestClient]:
    """The seeds and their other forms, ingested and served: the store, ids by file name,
    a client of the web app."""
    db = tmp_path / "f.db"
    ingest_all(db, SEEDS, forms).close()
    store = open_archive(db, readonly=True)
    return store, ids_by_name(store), TestClient(create_app(archive_at(db)))


@pytest.fixture
def forms(tmp_path: Path) -> Path:
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "seed-001-copied.txt").write_text(body_only(SEED_001), encoding="utf-8")
    (folder / "seed-002-body.md").write_text(markdown_body(SEED_002), encoding="utf-8")
    quoted = (  # a later report that quotes the telegram whole, with its own pages
        "Report on the situation in Korea, February 1950\n\nThe embassy reports as follows. "
        + " ".join(f"Point {n}: the situation on the parallel remains tense." for n in range(60))
        + "\n\nThe telegram of January 19 read in full:\n\n"
        + body_only(SEED_001).split("\n\n", 2)[2]
        + "\n\nEnd of quotation. "
        + " ".join(f"Further item {n} on supplies and training." for n in range(60))
    )
    (folder / "report-quoting.txt").write_text(quoted, encoding="utf-8")
    return folder


def test_a_second_form_of_a_seed_is_linked_to_it(tmp_path: Path, forms: Path) -> None:
    store = ingest_all(tmp_path / "f.db", SEEDS, forms)
    ids = ids_by_name(store)
    seed1, copy1 = ids[SEED_001.name], ids["seed-001-copied.txt"]
    seed2, copy2 = ids[SEED_002.name], ids["seed-002-body.md"]
    report = ids["report-quoting.txt"]
    assert {c["id"]: c["relation"] for c in copies_of(store, copy1)} == {
        seed1: "same",
        report: "contained_in",
    }
    assert [(c["id"], c["relation"]) for c in copies_of(store, seed2)] == [(copy2, "same")]
    assert {(c["id"], c["relation"]) for c in copies_of(store, report)} == {
        (seed1, "contains"),
        (copy1, "contains"),
    }
    assert copy_group(store, seed1) == sorted([seed1, copy1])  # the report is not one of them
    same = next(c for c in copies_of(store, seed1) if c["id"] == copy1)
    assert 0.8 <= same["overlap"] <= 1.0
    # the evidence: stretches of each text, which read the same once folded
    evidence = evidence_of(store, seed1, copy1)
    assert evidence is not None and evidence["shared"] > 500
    (a, b), (c, d) = evidence["spans"][seed1][0], evidence["spans"][copy1][0]
    seed_text, copy_text = store.get_record(seed1)["text"], store.get_record(copy1)["text"]
    fold = lambda s: re.sub(r"\W+", " ", s).lower().replace(" ii ", " il ").strip()  # noqa: E731
    assert fold(seed_text[a:b])[:300] == fold(copy_text[c:d])[:300]
    # the other seeds are nobody's copies
    others = [ids[p.name] for p in SEEDS.iterdir() if p.name[:3] in ("000", "003", "004")]
    assert all(copies_of(store, doc_id) == [] for doc_id in others)
    store.close()


def test_links_are_the_same_in_any_order(tmp_path: Path, forms: Path) -> None:
    first = ingest_all(tmp_path / "a.db", SEEDS, forms)
    second = ingest_all(tmp_path / "b.db", forms, SEEDS)
    assert links(first) == links(second) and len(links(first)) == 4


def test_boilerplate_alone_links_nothing(tmp_path: Path) -> None:
    """Telegrams with the same long distribution list and sign-off, different bodies: they
    meet as candidates (they share sketch keys), and the overlap of their bodies says no."""
    folder = tmp_path / "telegrams"
    folder.mkdir()
    boiler = (
        "Handling: this telegram must be closely paraphrased before being communicated to "
        "anyone outside the Department; no distribution outside the addressee offices "
        "without the approval of the Executive Secretariat. Distribution: the Secretary, "
        "the Under Secretary, the Deputy Under Secretary for Political Affairs, the "
        "Counselor, the Director of the Policy Planning Staff, the Assistant Secretary for "
        "Far Eastern Affairs, the Division of Northeast Asian Affairs, the Division of "
        "Chinese Affairs, the Division of Research for Far East, the Office of Intelligence "
        "Research, the Army Department liaison officer, the Navy Department liaison officer, "
        "the Air Force liaison officer, the Central Intelligence Agency representative, the "
        "Joint Chiefs of Staff secretariat, the National Security Council staff, the White "
        "House naval aide, the Economic Cooperation Administration Korea program, the "
        "Treasury Department monetary office, the Commerce Department export control "
        "division. Repeated to the Embassy in Tokyo for the Supreme Commander for the Allied "
        "Powers, to the Embassy in Moscow, to the Embassy in London and to the Embassy in "
        "Nanking; pass to the United States delegation at the General Assembly in New York "
        "and to the Mission in Seoul for the Commanding General, Korean Military Advisory "
        "Group. Signed for the Secretary by the Director of the Executive Secretariat."
    )
    bodies = [
        r["text"] for r in ingest_all(tmp_path / "src.db", ROOT / "corpus" / "frus").iter_records()
    ]
    short = [b for b in bodies if 600 < len(b) < 1500][:6]
    assert len(short) == 6
    for n, body in enumerate(short):
        (folder / f"telegram-{n}.txt").write_text(
            f"Telegram {n}\n\n{body}\n\n{boiler}\n", encoding="utf-8"
        )
    store = ingest_all(tmp_path / "f.db", folder)
    met = store.conn.execute(
        "SELECT count(*) FROM (SELECT key FROM copy_keys GROUP BY key HAVING count(*) > 1) AS shared"
    ).fetchone()[0]
    assert met > 0
    assert store.conn.execute("SELECT count(*) FROM copies").fetchone()[0] == 0
    store.close()


def test_relations_from_shingles() -> None:
    a = set(range(1000))
    assert relation(a, set(range(50, 1050))) == ("same", 0.95)
    assert relation(set(range(3000)), a) == ("contains", 1.0)
    assert relation(a, set(range(3000))) == ("contained_in", 1.0)
    assert relation(a, set(range(500, 1500))) is None  # half in common
    assert sketch_keys("too short to say anything") == []


def test_an_edited_file_loses_its_links(tmp_path: Path, forms: Path) -> None:
    store = ingest_all(tmp_path / "f.db", SEEDS, forms)
    copied = forms / "seed-001-copied.txt"
    old_id = ids_by_name(store)[copied.name]
    copied.write_text("A note of my own\n\nNothing to do with any telegram at all.\n", "utf-8")
    ingest(store, [copied])
    assert (
        store.conn.execute(
            "SELECT count(*) FROM copies WHERE document_id = ? OR other_id = ?", (old_id, old_id)
        ).fetchone()[0]
        == 0
    )
    assert copies_of(store, ids_by_name(store)[SEED_001.name]) == [
        {
            "id": ids_by_name(store)["report-quoting.txt"],
            "relation": "contained_in",
            "overlap": 1.0,
            "by_hand": False,
        }
    ]
    store.close()


def test_copies_in_the_api_the_export_and_the_reader(served: tuple) -> None:
    store, ids, client = served
    seed1, copy1 = ids[SEED_001.name], ids["seed-001-copied.txt"]
    record = client.get(f"/api/documents/{copy1}").json()
    assert {c["id"] for c in record["copies"]} == {seed1, ids["report-quoting.txt"]}
    exported = CliRunner().invoke(
        main, ["export", "--db", archive_at(store.path), "--format", "jsonl"]
    )
    lines = {r["id"]: r for r in map(json.loads, exported.stdout.splitlines())}
    assert lines[seed1]["copies"] == copies_of(store, seed1)
    page = client.get(f"/documents/{copy1}").text
    section = page.split("<h2>Other copies</h2>", 1)[1].split("</section>", 1)[0]
    assert f'href="/documents/{seed1}"' in section and "the same document" in section
    assert "adds" in section and "a summary" in section  # the page has what the copy lacks
    assert "quoted whole in" in section
    assert section.count("stands for this document in counts") == 1  # the seed, not the report


@pytest.mark.slow
def test_workers_link_the_same_copies(tmp_path: Path, forms: Path) -> None:
    """With two worker processes (the sketch made there, the links made by the writer)."""

    runner = CliRunner()
    for jobs, name in (("1", "one.db"), ("2", "two.db")):
        args = [
            "ingest",
            str(SEEDS),
            str(forms),
            "--db",
            archive_at(tmp_path / name),
            "--jobs",
            jobs,
        ]
        result = runner.invoke(main, [*args, "--no-entities", "-q"])
        assert result.exit_code == 0, result.output
    one, two = (open_archive(tmp_path / name, readonly=True) for name in ("one.db", "two.db"))
    assert links(one) == links(two)
    assert len(links(one)) == 4


def test_a_search_lists_a_document_once_with_where_else_it_is(served: tuple) -> None:
    _, ids, client = served
    seed1, copy1 = ids[SEED_001.name], ids["seed-001-copied.txt"]
    query = {"q": '"Telegram Shtykov to Vyshinsky on a Luncheon"'}
    grouped = client.get("/api/search", params=query).json()
    every = client.get("/api/search", params={**query, "copies": "all"}).json()
    assert {seed1, copy1} <= {h["id"] for h in every["hits"]}
    shown = [h for h in grouped["hits"] if h["id"] in (seed1, copy1)]
    assert len(shown) == 1  # one hit for the document: the fuller record, the seed
    assert shown[0]["id"] == seed1 and [c["id"] for c in shown[0]["also_in"]] == [copy1]
    assert grouped["total"] == every["total"] - 1  # counted once
    years = {f["value"]: f["count"] for f in grouped["facets"]["year"]}
    years_all = {f["value"]: f["count"] for f in every["facets"]["year"]}
    assert years["1950"] == years_all["1950"] - 1
    page = client.get("/search", params=query).text
    assert page.count("Also in:") == 1 and "copies=all" in page
    assert client.get("/api/search", params={**query, "copies": "some"}).status_code == 400


def test_a_huge_body_is_sketched_on_its_start_in_bounded_pieces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np

    from fonds.copies import sketch

    hashes = np.arange(1, 5000, dtype=np.uint64) * np.uint64(2654435761)
    whole = sketch.signature(hashes)
    monkeypatch.setattr(sketch, "SIGNATURE_ROWS", 7)  # many small pieces
    assert np.array_equal(sketch.signature(hashes), whole)
    body = SEED_001.read_text(encoding="utf-8")
    monkeypatch.setattr(sketch, "SKETCH_CHARS", 2000)
    assert sketch.sketch_keys(body) == sketch.sketch_keys(body[:2000] + " more words" * 999)


def test_a_document_quoted_inside_a_much_longer_one_is_found(tmp_path: Path) -> None:
    """A long compilation (three other seeds' bodies) quoting seed 001's body whole: the
    whole-body sketches are far apart; a window of the long one holds the quote."""
    bodies = [
        p.read_text(encoding="utf-8")
        for p in sorted(SEEDS.iterdir())
        if p.name[:3] in ("000", "003", "004")
    ]
    quote = body_only(SEED_001).split("\n\n", 2)[2]
    folder = tmp_path / "long"
    folder.mkdir()
    text = "A compilation of documents\n\n" + "\n\n".join([bodies[0], quote, *bodies[1:]])
    (folder / "compilation.txt").write_text(text, encoding="utf-8")
    store = ingest_all(tmp_path / "f.db", SEED_001, folder)
    ids = ids_by_name(store)
    from fonds.copies.sketch import shingles

    long_text = store.get_record(ids["compilation.txt"])["text"]
    seed_text = store.get_record(ids[SEED_001.name])["text"]
    assert len(shingles(long_text)) > 4 * len(shingles(seed_text))  # much longer
    assert copies_of(store, ids[SEED_001.name]) == [
        {
            "id": ids["compilation.txt"],
            "relation": "contained_in",
            "overlap": pytest.approx(1.0, abs=0.1),
            "by_hand": False,
        }
    ]
    store.close()


def test_short_telegrams_quoted_in_a_report_are_found(tmp_path: Path) -> None:
    """The FRUS excerpt's short documents (60 to 200 shingles) quoted whole in one long
    report are each linked as contained in it, though some share no band key with it: a
    window of the report holding a short one has twice its shingles or more, and bands of
    4 rows rarely match that; the loose keys do (``sketch``). The same links in either
    order, and again from ``fonds copies relink``."""
    from fonds.copies.sketch import is_loose, looked_up_as, shingles

    volume = CORPUS_FRUS / "frus1949v07p2-korea-dev.tei.xml"
    store = ingest_all(tmp_path / "volume.db", volume)
    short = [r["text"] for r in store.iter_records() if 60 <= len(shingles(r["text"])) <= 200]
    store.close()
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir())]
    report = "\n\n".join(
        ["A report with its telegrams", seeds[0], *short, "End of the telegrams.", seeds[3]]
    )
    folder = tmp_path / "report"
    folder.mkdir()
    (folder / "report.txt").write_text(report, encoding="utf-8")
    report_keys = set(sketch_keys(report))
    by_band_alone = [
        t for t in short if report_keys & {k for k in sketch_keys(t) if not is_loose(k)}
    ]
    assert len(short) >= 8 and len(by_band_alone) < len(short)  # some found loosely only
    assert all(
        report_keys & {looked_up_as(k) for k in sketch_keys(t) if is_loose(k)} for t in short
    )
    found = []
    for n, order in enumerate([(volume, folder), (folder, volume)]):
        store = ingest_all(tmp_path / f"{n}.db", *order)
        report_id = ids_by_name(store)["report.txt"]
        assert {
            (c["relation"], store.get_record(c["id"])["text"]) for c in copies_of(store, report_id)
        } == {("contains", t) for t in short}
        found.append(links(store))
        store.close()
    assert found[0] == found[1]
    result = CliRunner().invoke(main, ["copies", "relink", "--db", archive_at(tmp_path / "0.db")])
    assert result.exit_code == 0, result.output
    store = open_archive(tmp_path / "0.db")
    assert links(store) == found[0]
    store.close()


def test_relink_pairs_are_those_ingest_would_compare() -> None:
    """``relink``'s candidate pairs, counted in numpy over all keys at once, are those a
    plain count gives: pairs sharing a band key, and pairs of a quote and a holder sharing
    LOOSE_SHARED loose keys (never two quotes, never two holders), keys shared by more
    than MAX_SHARING documents left out."""
    import itertools

    import numpy as np

    from fonds.copies import relink
    from fonds.copies.sketch import HOLDER, LOOSE, LOOSE_SHARED

    rng = np.random.default_rng(1950)
    rows: set[tuple[int, int]] = set()
    for doc in range(1, 300):
        quote = doc % 3 == 0  # a short body: quote keys; the others hold
        for _ in range(12):
            rows.add((int(rng.integers(0, 40)), doc))  # band keys
            rows.add((LOOSE | int(rng.integers(0, 40)) << 1 | (0 if quote else HOLDER), doc))
    crowd = range(1, relink.MAX_SHARING + 2)  # boilerplate: a band key, a loose one
    rows |= {(7, doc) for doc in crowd} | {(LOOSE | 99 << 1 | doc % 2, doc) for doc in crowd}
    keys, docs = (np.array(column, dtype=np.int64) for column in zip(*sorted(rows), strict=True))
    got = {(a, b): n for a, b, n in relink._candidate_pairs(keys, docs).tolist()}
    by_key: dict[int, set[int]] = {}
    for key, doc in rows:
        by_key.setdefault(key, set()).add(doc)
    banded: dict[tuple[int, int], int] = {}
    loose: dict[tuple[int, int], int] = {}
    for key, members in by_key.items():
        if key & LOOSE or len(members) > relink.MAX_SHARING:
            continue
        for pair in itertools.combinations(sorted(members), 2):
            banded[pair] = banded.get(pair, 0) + 1
    for key, quotes in by_key.items():
        holders = by_key.get(key | HOLDER, set())
        if key & LOOSE and not key & HOLDER and len(quotes) + len(holders) <= relink.MAX_SHARING:
            for q, h in itertools.product(quotes, holders):
                pair = (min(q, h), max(q, h))
                loose[pair] = loose.get(pair, 0) + 1
    want = dict(banded)
    for pair, n in loose.items():
        if n >= LOOSE_SHARED:
            want[pair] = want.get(pair, 0) + n
    assert got == want and any(pair not in banded for pair in got)
    shared = list(got.values())
    assert shared == sorted(shared, reverse=True)  # the most shared first


@pytest.mark.parametrize("rows", [65_536, 70, 7])
def test_window_keys_are_the_keys_of_each_window(
    rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sketch_keys`` makes a long body's window keys (band and loose) from block
    minima, in pieces of SIGNATURE_ROWS shingles; they are what each window sketched alone
    gives."""
    from fonds.copies import sketch

    body = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir()))
    body += " the same words again" * 200  # a stretch too repetitive to be compared
    hashes = sketch._shingle_array(sketch.words(body))
    starts = sketch.window_starts(len(hashes))
    assert len(starts) > 20 and starts[-1] % 50  # the last window off the blocks
    expected = set(sketch.band_keys(hashes))
    for start in starts:
        window = hashes[start : start + sketch.WINDOW_SHINGLES]
        keys = sketch.band_keys(window, sketch.WINDOW_BANDS)
        expected.update(keys)
        if keys:  # a window compared holds quotes too: its loose keys as a holder's
            expected.update(sketch._loose_keys(sketch.signature(window), holder=True))
    monkeypatch.setattr(sketch, "SIGNATURE_ROWS", rows)
    assert sketch.sketch_keys(body) == sorted(expected)
    no_windows = {
        k for start in starts[-3:] for k in sketch.band_keys(hashes[start : start + 150], 4)
    }
    assert not no_windows, "the repetitive end has too few shingles for a key"


def test_a_documents_keys_go_with_it(tmp_path: Path, forms: Path) -> None:
    store = ingest_all(tmp_path / "f.db", SEEDS, forms)
    doc_id, rowid = store.conn.execute(
        "SELECT id, rowid FROM documents WHERE rowid IN (SELECT doc FROM copy_sketches) LIMIT 1"
    ).fetchone()
    keys = json.loads(
        store.conn.execute("SELECT keys FROM copy_sketches WHERE doc = ?", (rowid,)).fetchone()[0]
    )
    stored = [
        r[0]
        for r in store.conn.execute(
            "SELECT key FROM copy_keys WHERE doc = ? ORDER BY key", (rowid,)
        )
    ]
    assert keys == stored and len(keys) >= 8
    store.delete_documents({doc_id})
    orphans = store.conn.execute(
        "SELECT count(*) FROM copy_keys WHERE doc NOT IN (SELECT rowid FROM documents)"
    ).fetchone()[0]
    assert orphans == 0
    assert (
        store.conn.execute(
            "SELECT count(*) FROM copy_sketches WHERE doc NOT IN (SELECT rowid FROM documents)"
        ).fetchone()[0]
        == 0
    )
    store.close()


@pytest.mark.sqlite_only
def test_keys_of_an_older_archive_are_carried_over(tmp_path: Path, forms: Path) -> None:
    """An archive written before migration 7 (keys by document id, with a second index)
    keeps its keys, by row number, and finds copies against them."""
    from fonds.store.migrations import migrate

    store = ingest_all(tmp_path / "f.db", SEEDS)
    before = {
        tuple(r)
        for r in store.conn.execute(
            "SELECT k.key, d.id FROM copy_keys k JOIN documents d ON d.rowid = k.doc"
        )
    }
    with store.conn:  # back to schema 6
        store.conn.execute("DROP TRIGGER documents_copy_keys")
        store.conn.execute("DROP TABLE copy_keys")
        store.conn.execute("DROP TABLE copy_sketches")
        store.conn.execute(
            "CREATE TABLE copy_keys (key INTEGER NOT NULL, document_id TEXT NOT NULL"
            " REFERENCES documents(id) ON DELETE CASCADE, PRIMARY KEY (key, document_id))"
            " WITHOUT ROWID"
        )
        store.conn.execute("CREATE INDEX copy_keys_document ON copy_keys(document_id)")
        store.conn.executemany(
            "INSERT INTO copy_keys(key, document_id) VALUES (?, ?)", sorted(before)
        )
        store.conn.execute("DELETE FROM schema_migrations WHERE version = 7")
    migrate(store.conn)
    after = {
        tuple(r)
        for r in store.conn.execute(
            "SELECT k.key, d.id FROM copy_keys k JOIN documents d ON d.rowid = k.doc"
        )
    }
    assert after == before and len(before) > 40
    store.close()
    store = ingest_all(tmp_path / "f.db", forms)
    assert len(links(store)) >= 3
    store.close()


def _counts(store: Store) -> dict[str, object]:
    """What the archive's pages count: the timeline, documents per entity (entity pages,
    the map, the entity list), who wrote to and met whom, the summary by type and year."""
    from fonds.web import corpus, entities

    line = corpus.timeline(store, None, None, None)
    people = [
        r[0] for r in store.conn.execute("SELECT DISTINCT entity_id FROM mentions ORDER BY 1")
    ]
    by_entity = {
        e: (
            entities.entity_documents(store, e, 1000, 0)[1],
            entities.entity_years(store, e),
            {c["id"]: c["documents"] for c in entities.co_mentioned(store, e, limit=1000)},
        )
        for e in people
    }
    network = {  # weights (a copy may change which spelling names an unknown person)
        kind: sorted(e.weight for e in corpus.links(store, kind).edges) for kind in ("wrote", "met")
    }
    return {
        "timeline": (line.total, line.undated, line.buckets, line.spans),
        "entities": by_entity,
        "network": network,
        "types": store.counts_by("doc_type"),
        "archives": store.counts_by_archive(),
        "documents": store.count_documents(once=True),
    }


def test_copies_of_documents_change_no_count(tmp_path: Path) -> None:
    """The timeline, entity pages, the network and the archive's summary count a document
    kept in several copies once: adding two other forms of seeds changes none of them."""
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "seed-001-copied.txt").write_text(body_only(SEED_001), encoding="utf-8")
    (forms / "seed-002-body.md").write_text(markdown_body(SEED_002), encoding="utf-8")
    from fonds.entities.stage import EntityStage

    def with_entities(db: Path, *paths: Path) -> Store:
        store = open_archive(db)
        stage = EntityStage.for_store(store, ner="none")  # names from the authority file
        assert ingest(store, list(paths), stage.annotate, settle=stage.settle).count("failed") == 0
        return store

    alone = with_entities(tmp_path / "a.db", SEEDS)
    expected = _counts(alone)
    alone.close()
    both = with_entities(tmp_path / "b.db", SEEDS, forms)
    assert both.count_documents() == both.count_documents(once=True) + 2
    assert len(expected["entities"]) > 20 and expected["network"]["met"]  # type: ignore[arg-type]
    got = _counts(both)
    for entity, counted in expected["entities"].items():  # type: ignore[attr-defined]
        total, years, co = got["entities"][entity]  # type: ignore[index]
        # a copy may name others besides (its own spelling): each counted once
        assert (total, years) == counted[:2], entity
        assert {k: v for k, v in co.items() if k in counted[2]} == counted[2], entity
        assert all(v == 1 for k, v in co.items() if k not in counted[2]), entity
        got["entities"][entity] = counted  # type: ignore[index]
    for entity in set(got["entities"]) - set(expected["entities"]):  # type: ignore[arg-type]
        # named only in a copy (its own spelling): counted for its group, once
        assert got["entities"][entity][0] == 1, entity  # type: ignore[index]
        del got["entities"][entity]  # type: ignore[attr-defined]
    assert got == expected
    both.close()


def test_a_group_dissolves_when_a_copy_is_gone(tmp_path: Path, forms: Path) -> None:
    store = ingest_all(tmp_path / "f.db", SEEDS, forms)
    ids = ids_by_name(store)
    groups = dict(store.conn.execute("SELECT document_id, preferred_id FROM copy_duplicates"))
    assert groups == {
        ids["seed-001-copied.txt"]: ids[SEED_001.name],
        ids["seed-002-body.md"]: ids[SEED_002.name],
    }
    (forms / "seed-001-copied.txt").write_text("Now another text altogether.\n", encoding="utf-8")
    store.close()
    store = ingest_all(tmp_path / "f.db", SEEDS, forms)
    ids = ids_by_name(store)
    groups = dict(store.conn.execute("SELECT document_id, preferred_id FROM copy_duplicates"))
    assert groups == {ids["seed-002-body.md"]: ids[SEED_002.name]}
    store.close()


@pytest.mark.sqlite_only
def test_groups_of_an_older_archive_are_filled_in(tmp_path: Path, forms: Path) -> None:
    from fonds.store.migrations import migrate

    store = ingest_all(tmp_path / "f.db", SEEDS, forms)
    before = set(store.conn.execute("SELECT document_id, preferred_id FROM copy_duplicates"))
    assert len(before) == 2
    with store.conn:  # back to schema 7
        store.conn.execute("DROP TABLE copy_duplicates")
        store.conn.execute("DELETE FROM schema_migrations WHERE version = 8")
    migrate(store.conn)
    after = set(store.conn.execute("SELECT document_id, preferred_id FROM copy_duplicates"))
    assert {tuple(r) for r in after} == {tuple(r) for r in before}
    store.close()


def _group_rows(store: Store) -> set[tuple[str, str]]:
    return {
        tuple(r)
        for r in store.conn.execute("SELECT document_id, preferred_id FROM copy_duplicates")
    }  # type: ignore[misc]


def test_links_made_and_undone_by_hand(tmp_path: Path, forms: Path) -> None:
    """Unlink a wrong link, link what the sketch missed: each edit at once, logged, kept
    when the files are read again, and undone in reverse order."""
    from fonds.copies import edits

    db = tmp_path / "f.db"
    store = ingest_all(db, SEEDS, forms)
    ids = ids_by_name(store)
    seed1, copy1 = ids[SEED_001.name], ids["seed-001-copied.txt"]
    others = sorted(d for name, d in ids.items() if name.startswith(("000", "003", "004")))
    first, second = others[:2]
    auto = links(store)
    groups = _group_rows(store)

    unlinked = edits.unlink(store, seed1, copy1)
    assert not any({seed1, copy1} == {a, b} for a, b, _ in links(store))
    assert (copy1, seed1) not in _group_rows(store)  # counted on its own again
    linked = edits.link(store, first, second)
    assert copies_of(store, first)[0]["id"] == second and copies_of(store, first)[0]["by_hand"]
    assert linked == unlinked + 1
    store.close()

    store = ingest_all(db, SEEDS, forms)  # read again: the user's verdicts hold
    assert not any({seed1, copy1} == {a, b} for a, b, _ in links(store))
    assert copies_of(store, first)[0]["id"] == second

    assert [e["action"] for e in edits.history(store)] == ["unlink", "link"]
    assert edits.undo(store)["edit"] == linked
    assert not copies_of(store, first) or copies_of(store, first)[0]["id"] != second
    assert edits.undo(store)["edit"] == unlinked
    assert links(store) == auto
    assert _group_rows(store) == groups
    assert edits.undo(store) is None
    assert all(e["undone_at"] for e in edits.history(store))
    store.close()


def test_hand_edits_refuse_what_cannot_be(tmp_path: Path) -> None:
    from fonds.copies import edits
    from fonds.errors import FondsError, NotFound

    store = ingest_all(tmp_path / "f.db", SEEDS)
    doc = next(iter(ids_by_name(store).values()))
    with pytest.raises(FondsError, match="itself"):
        edits.link(store, doc, doc)
    with pytest.raises(NotFound):
        edits.unlink(store, doc, "no-such-document")
    with pytest.raises(FondsError, match="same, contains or translation"):
        edits.link(store, doc, "x", "cousin")
    assert store.conn.execute("SELECT count(*) FROM copy_edits").fetchone()[0] == 0
    store.close()


def test_copies_commands_and_api(tmp_path: Path, forms: Path) -> None:
    db = tmp_path / "f.db"
    ingest_all(db, SEEDS, forms).close()
    store = open_archive(db)
    ids = ids_by_name(store)
    store.close()
    seed1, copy1 = ids[SEED_001.name], ids["seed-001-copied.txt"]
    run = CliRunner()
    shown = run.invoke(main, ["copies", "show", seed1, "--db", archive_at(db), "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["preferred"] == seed1 and copy1 in data["group"]
    out = run.invoke(main, ["copies", "unlink", seed1, copy1, "--db", archive_at(db)])
    assert out.exit_code == 0 and "are not copies" in out.output
    out = run.invoke(main, ["copies", "show", copy1, "--db", archive_at(db)])
    assert out.exit_code == 0 and seed1 not in out.output
    out = run.invoke(main, ["copies", "history", "--db", archive_at(db)])
    assert "unlink" in out.output and "in force" in out.output
    out = run.invoke(main, ["copies", "undo", "--db", archive_at(db)])
    assert out.exit_code == 0 and "undone: edit 1" in out.output
    out = run.invoke(main, ["copies", "show", "nope", "--db", archive_at(db)])
    assert out.exit_code == 2 and "no document" in out.output

    from fonds.web.app import create_app

    client = TestClient(create_app(archive_at(db), write_token="secret-token-for-tests"))
    body = {"document": seed1, "other": copy1}
    assert client.post("/api/copies/unlink", json=body).status_code == 401
    auth = {"Authorization": "Bearer secret-token-for-tests"}
    answer = client.post("/api/copies/unlink", json=body, headers=auth)
    assert answer.status_code == 200 and answer.json()["edit"] == 2
    assert copy1 not in {c["id"] for c in client.get(f"/api/documents/{seed1}").json()["copies"]}
    bad = client.post("/api/copies/link", json={**body, "relation": "cousin"}, headers=auth)
    assert bad.status_code == 400
    missing = client.post("/api/copies/link", json={**body, "other": "nope"}, headers=auth)
    assert missing.status_code == 404
    assert client.post("/api/copies/undo", headers=auth).json()["undone"]["edit"] == 2
    assert copy1 in {c["id"] for c in client.get(f"/api/documents/{seed1}").json()["copies"]}


RUSSIAN_BODY = (  # written for this test: a Russian record of the seed's kind, not its text
    "Докладываю о переговорах представителей китайского и корейского руководства о военном "
    "сотрудничестве. Корейская сторона просила передать ей дивизии, составленные из корейцев, "
    "служивших в Народно-освободительной армии Китая. Китайские товарищи согласились передать "
    "две дивизии после окончания боевых действий и обещали помощь оружием и снаряжением. "
    "Обе стороны договорились о постоянной связи и обмене сведениями о положении в Корее. "
)


OTHER_RUSSIAN_BODY = (
    "Сообщаю о положении с поставками зерна и угля в Маньчжурию в текущем месяце. Железная "
    "дорога работает с перебоями из-за нехватки паровозов, и часть грузов задерживается на "
    "станциях. Местные власти просят ускорить отправку запасных частей и специалистов. "
)


def _russian(title: str, pages: str, body: str = RUSSIAN_BODY) -> str:
    return (
        f"Title: {title}\nDate: 1949-05-18\nSource: АП РФ. Ф. 4. Оп. 1. Д. 331. Л. {pages}.\n\n"
        + body * 3
    )


def test_a_translation_is_linked_by_the_leaves_it_cites(tmp_path: Path) -> None:
    """Seed 003 (an English translation citing AP RF f. 4, op. 1, d. 331, ll. 59-61) and a
    Russian text citing the same leaves: translations of each other. The Russian text of
    other leaves of the same file, and a second English text of the same leaves, are not."""
    from fonds.copies.translations import body_language

    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "ru-same-leaves.txt").write_text(
        _russian("Телеграмма о переговорах", "59–61"), encoding="utf-8"
    )
    (folder / "ru-other-leaves.txt").write_text(
        _russian("Другая телеграмма из того же дела", "62–64", OTHER_RUSSIAN_BODY),
        encoding="utf-8",
    )
    seed3 = SEEDS / "003_f0d78e7d9cb9610e.txt"
    english = (  # another English rendering of the same leaves: not a translation of it
        "Title: Telegram on the talks about military cooperation\nDate: 1949-05-18\n"
        "Source: AP RF, f. 4, op. 1, d. 331, ll. 60-61.\n\n"
        + "The Korean side asked that the divisions of Koreans who served in the Chinese army"
        " be handed over to it, and the Chinese comrades agreed to it. " * 4
    )
    (folder / "en-other-translation.txt").write_text(english, encoding="utf-8")
    store = ingest_all(tmp_path / "f.db", seed3, folder)
    ids = ids_by_name(store)
    assert body_language(store.get_record(ids["ru-same-leaves.txt"])["text"]) == "ru"
    assert body_language(store.get_record(ids[seed3.name])["text"]) == "en"
    assert links(store) == {
        (*sorted((ids[seed3.name], ids["ru-same-leaves.txt"])), "translation"),
        (*sorted((ids["en-other-translation.txt"], ids["ru-same-leaves.txt"])), "translation"),
    }
    found = copies_of(store, ids[seed3.name])
    assert found == [
        {
            "id": ids["ru-same-leaves.txt"],
            "relation": "translation",
            "overlap": 0.0,
            "by_hand": False,
        }
    ]
    evidence = evidence_of(store, ids[seed3.name], ids["ru-same-leaves.txt"])
    assert evidence is not None
    assert evidence["spans"]["languages"] == {
        ids[seed3.name]: "en",
        ids["ru-same-leaves.txt"]: "ru",
    }
    assert "Д. 331" in evidence["spans"]["references"][ids["ru-same-leaves.txt"]]
    assert store.count_documents(once=True) == 4  # a translation is not a copy: counted
    page = TestClient(create_app(archive_at(store.path))).get(f"/documents/{ids[seed3.name]}").text
    assert "the same document in another language" in page
    store.close()


def test_body_languages() -> None:
    from fonds.copies.translations import body_language, same_leaves
    from fonds.model import ArchivalRef

    assert body_language("Der Botschafter sagte, dass die Lage nicht gut ist und die " * 10) == "de"
    assert body_language("L'ambassadeur a dit que la situation est grave et que les " * 10) == "fr"
    assert body_language("金日成同志说，朝鲜人民军已经准备好了。" * 20) == "zh"
    assert body_language("김일성 동지는 조선인민군이 준비되었다고 말하였다. " * 20) == "ko"
    assert body_language("Too short.") is None
    a = ArchivalRef("APRF", "45", "1", "348", "71-82")
    assert same_leaves(a, ArchivalRef("APRF", "45", "1", "348", "80–90"))
    assert not same_leaves(a, ArchivalRef("APRF", "45", "1", "348", "83-90"))
    assert not same_leaves(a, ArchivalRef("APRF", "45", "1", "347", "71-82"))
    assert not same_leaves(a, ArchivalRef("RGASPI", "45", "1", "348", "71-82"))
    assert not same_leaves(
        ArchivalRef("APRF", "45", "1", "348"), ArchivalRef("APRF", "45", "1", "348")
    )


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_relinking_finds_what_ingest_found(tmp_path: Path, forms: Path, jobs: str) -> None:
    """An archive ingested before copies were linked (no keys, no links) gets by one
    `fonds copies relink` the links and groups that ingest makes; a hand verdict holds."""
    from fonds.copies import edits

    folder = tmp_path / "ru"
    folder.mkdir()
    (folder / "ru-same-leaves.txt").write_text(
        _russian("Телеграмма о переговорах", "59–61"), encoding="utf-8"
    )
    db = tmp_path / "f.db"
    store = ingest_all(db, SEEDS, forms, folder)
    ids = ids_by_name(store)
    edits.unlink(store, ids["report-quoting.txt"], ids["seed-001-copied.txt"])
    expected = (links(store), _group_rows(store))
    assert ("translation" in {r for _, _, r in expected[0]}) and len(expected[1]) == 2
    with store.conn:  # as before copies: nothing sketched, nothing linked
        for table in ("copy_keys", "copy_sketches", "copy_duplicates"):
            store.conn.execute(f"DELETE FROM {table}")
        store.conn.execute("DELETE FROM copies WHERE by_hand = 0")
    keys = store.conn.execute("SELECT count(*) FROM copy_keys").fetchone()[0]
    store.close()
    result = CliRunner().invoke(main, ["copies", "relink", "--db", archive_at(db), "--jobs", jobs])
    assert result.exit_code == 0, result.output
    assert "2 copies counted with another record" in result.output
    store = open_archive(db)
    assert (links(store), _group_rows(store)) == expected
    assert keys == 0 < store.conn.execute("SELECT count(*) FROM copy_keys").fetchone()[0]
    new = tmp_path / "later"  # keys written by the pass find copies at ingest
    new.mkdir()
    (new / "seed-001-again.txt").write_text(body_only(SEED_001) + "\nSaved again.\n")
    store.close()
    store = ingest_all(db, new)
    again = ids_by_name(store)["seed-001-again.txt"]
    assert {c["id"] for c in copies_of(store, again)} >= {ids[SEED_001.name]}
    store.close()


def test_the_overview_counts_a_document_once(tmp_path: Path, forms: Path) -> None:
    db = tmp_path / "f.db"
    ingest_all(db, SEEDS, forms).close()
    out = CliRunner().invoke(main, ["overview", "--db", archive_at(db)])
    assert out.exit_code == 0, out.output
    # 5 seeds + a report quoting one; the copy of seed 001 and the body of seed 002 fold in
    assert (
        out.output.splitlines()[0]
        == f"6 documents in {shown(archive_at(db))}, and 2 copies of them"
    )


def test_a_one_word_search_counts_a_document_once(served: tuple) -> None:
    """A one-word query takes its total from the word's frequency (no counting pass):
    grouped, the copies that hold the word are taken off it and off the page."""
    _, ids, client = served
    seed1, copy1 = ids[SEED_001.name], ids["seed-001-copied.txt"]
    grouped = client.get("/api/search", params={"q": "luncheon"}).json()
    every = client.get("/api/search", params={"q": "luncheon", "copies": "all"}).json()
    assert {seed1, copy1} <= {h["id"] for h in every["hits"]}
    assert copy1 not in {h["id"] for h in grouped["hits"]} and seed1 in {
        h["id"] for h in grouped["hits"]
    }
    assert grouped["total"] == every["total"] - 1 == len(grouped["hits"])
    second = client.get("/api/search", params={"q": "luncheon", "limit": 1, "offset": 1}).json()
    assert [h["id"] for h in second["hits"]] == [grouped["hits"][1]["id"]]
