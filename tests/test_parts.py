"""A big body's entities found part by part (``fonds.entities.parts``): where it is cut,
how the parts are joined, and the record stored as one, in one transaction."""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from fonds.entities import parts as parts_module
from fonds.entities.parts import JoinedParts, annotated_parts, part_bounds, part_record
from fonds.entities.stage import EntityStage
from fonds.model import Record
from fonds.pipeline import ingest, store_in_parts
from tests.conftest import open_archive
from tests.serve_support import ROOT

SEEDS = sorted((ROOT / "corpus" / "seeds").glob("*.txt"))


def _covers(text: str, bounds: list[tuple[int, int]]) -> None:
    assert bounds[0][0] == 0 and bounds[-1][1] == len(text)
    for (_, end), (start, _) in pairwise(bounds):
        assert end == start


def test_a_body_is_cut_at_paragraphs_then_sentences_then_spaces() -> None:
    paragraphs = "One paragraph ends here.\n" * 40
    bounds = part_bounds(paragraphs, 100)
    _covers(paragraphs, bounds)
    assert all(paragraphs[end - 1] == "\n" for _, end in bounds[:-1])
    assert all(end - start <= 100 for start, end in bounds)

    sentences = "Mr. Kim met the envoy in Seoul. " * 40  # no line: "Mr." is not an end
    bounds = part_bounds(sentences, 100)
    _covers(sentences, bounds)
    assert all(sentences[:end].endswith("Seoul. ") for _, end in bounds[:-1])

    words = " ".join(["Pyongyang"] * 200)
    bounds = part_bounds(words, 100)
    _covers(words, bounds)
    assert all(words[end - 1] == " " for _, end in bounds[:-1])

    solid = "x" * 250  # no space at all: cut where it must be
    assert part_bounds(solid, 100) == [(0, 100), (100, 200), (200, 250)]
    assert part_bounds("short", 100) == [(0, 5)]


def test_random_texts_are_cut_whole_and_within_the_size() -> None:
    rng = random.Random(7)
    for _ in range(200):
        text = "".join(rng.choice("ab .\n") for _ in range(rng.randrange(0, 2000)))
        size = rng.randrange(4, 300)
        bounds = part_bounds(text, size)
        _covers(text, bounds)
        assert all(0 < end - start <= size for start, end in bounds if text)


def _record(text: str) -> Record:
    return Record(
        id="doc-big",
        source={"path": "big.txt", "sha256": "0" * 64, "format": "text"},
        title="Kim Il Sung to Stalin",
        text=text,
        summary="Kim Il Sung writes to Stalin.",
    )


def test_parts_joined_give_every_mention_at_its_place_in_the_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seeds' bodies one after another, cut in small parts: every mention stored
    is the body's text at its offsets, the title's mentions are found once, each
    entity is one hit, and the record keeps its mentions as rows."""
    monkeypatch.setattr(parts_module, "PART_CHARS", 3000)
    body = "\n\n".join(p.read_text("utf-8") for p in SEEDS)
    record = _record(body)
    store = open_archive(tmp_path / "a.db")
    stage = EntityStage.for_store(store, ner="none")
    assert len(part_bounds(body, 3000)) > 5
    store_in_parts(store, record, annotated_parts(record, stage.annotate))
    stored = store.get_record("doc-big")
    assert store.record_head("doc-big")["mentions_in_rows"] is True
    ids = [e["id"] for e in stored["entities"]]
    assert len(ids) == len(set(ids)) and "person-kim-il-sung" in ids
    mentions = 0
    for entity in stored["entities"]:
        for m in entity["mentions"]:
            field = m.get("field", "text")
            text = {"text": body, "title": record.title, "summary": record.summary}[field]
            assert text[m["start"] : m["end"]] == m["text"], (entity["id"], m)
            mentions += 1
    titled = [m for e in stored["entities"] for m in e["mentions"] if m.get("field") == "title"]
    assert len(titled) == 2  # Kim Il Sung and Stalin, once each though every part is read
    rows = store.conn.execute(
        "SELECT count(*) FROM mentions WHERE document_id = 'doc-big'"
    ).fetchone()[0]
    assert rows == mentions > 100
    firsts = [
        min((m["start"] for m in e["mentions"] if m.get("field", "text") == "text"), default=None)
        for e in stored["entities"]
    ]
    in_text = [f for f in firsts if f is not None]
    assert in_text == sorted(in_text)  # in the order of their first mention, as one record
    store.close()


def test_the_first_part_alone_carries_the_record_s_own_fields() -> None:
    record = _record("a b c " * 10)
    first, later = part_record(record, 0, 12), part_record(record, 12, 60)
    assert first.title == record.title and first.summary == record.summary
    assert later.title == "" and later.summary is None and later.sender is None
    assert later.text == record.text[12:60] and later.date == record.date
    joined = JoinedParts()
    assert joined.add(later, 12) == []


def test_a_part_that_fails_keeps_nothing_of_its_record(tmp_path: Path) -> None:
    record = _record("Kim Il Sung met Stalin. " * 10)
    store = open_archive(tmp_path / "a.db")
    stage = EntityStage.for_store(store, ner="none")

    def parts() -> Iterator[tuple[int, Record]]:  # the first part joined, then a failure
        yield from annotated_parts(record, stage.annotate)
        raise RuntimeError("a worker's bug")

    with pytest.raises(RuntimeError), store.batch():
        store_in_parts(store, record, parts())
    assert store.conn.execute("SELECT count(*) FROM mentions").fetchone()[0] == 0
    assert not store.has_document("doc-big")
    store.close()


def test_a_big_text_ingested_in_one_process_is_annotated_in_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipeline in one process: a body over ``IN_PARTS_OVER`` goes in parts, a small
    document beside it as before, and a re-ingest of the same file changes nothing."""
    monkeypatch.setattr(parts_module, "PART_CHARS", 5000)
    monkeypatch.setattr(parts_module, "IN_PARTS_OVER", 10000)
    body = "\n\n".join(p.read_text("utf-8") for p in SEEDS)
    big = tmp_path / "big.txt"
    big.write_text(body, "utf-8")
    store = open_archive(tmp_path / "a.db")
    stage = EntityStage.for_store(store, ner="none")
    summary = ingest(store, [big, SEEDS[0]], stage.annotate, settle=stage.settle)
    assert summary.count("failed") == 0 and summary.documents == 2, summary.line()
    heads = [store.record_head(i) for i in store.document_ids_for_path(str(big))]
    assert [h.get("mentions_in_rows") for h in heads] == [True]
    small = store.record_head(next(iter(store.document_ids_for_path(str(SEEDS[0])))))
    assert "mentions_in_rows" not in small and small["entities"][0]["mentions"]
    again = ingest(store, [big], stage.annotate, settle=stage.settle)
    assert again.outcomes[0].status == "unchanged"
    store.close()


@pytest.mark.sqlite_only
def test_a_big_body_written_in_pieces_reads_and_searches_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A body over ``BODY_IN_PIECES_OVER`` is written through its blob, in pieces that
    end anywhere (here in 7 characters, among Cyrillic and Korean ones): it reads back
    the same, the full-text index finds its words and agrees with the table, and it is
    replaced and deleted cleanly."""
    from fonds.store import sqlite as store_module

    monkeypatch.setattr(store_module, "BODY_IN_PIECES_OVER", 10)
    monkeypatch.setattr(store_module, "BODY_PIECE_CHARS", 7)
    body = "Штыков met Kim Il Sung in 평양 — a telegram.\n" * 30 + "Zhou Enlai ended"
    store = open_archive(tmp_path / "a.db")
    record = _record(body)

    def check(words: str, found: int) -> None:
        store.conn.execute("INSERT INTO documents_fts(documents_fts) VALUES ('integrity-check')")
        hits = store.conn.execute(
            "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?", (words,)
        ).fetchone()[0]
        assert hits == found, words

    store.write_record(record)
    assert store.get_record("doc-big")["text"] == body
    check("enlai", 1)
    check("Штыков", 1)
    record.text = body.replace("Zhou Enlai", "Mao Zedong")
    store.write_record(record)  # the same id again: the old row and its words go
    check("enlai", 0)
    check("zedong", 1)
    store.delete_documents({"doc-big"})
    check("zedong", 0)
    store.close()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("pieces_over", [10, 10**9])
def test_new_entity_names_are_given_to_the_full_text_index_by_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pieces_over: int
) -> None:
    """A record's entity names, renamed after it was written, are what its full-text
    entry holds (migration 11: the store replaces the entry, no trigger), for a body
    written whole and one written through its blob; the index agrees with the table."""
    from fonds.store import sqlite as store_module

    monkeypatch.setattr(store_module, "BODY_IN_PIECES_OVER", pieces_over)
    store = open_archive(tmp_path / "a.db")
    stage = EntityStage.for_store(store, ner="none")
    record = _record("Kim Il Sung met Stalin in Moscow. " * 20)
    stage.annotate([record])
    store.write_record(record)

    def found(words: str) -> int:
        store.conn.execute("INSERT INTO documents_fts(documents_fts) VALUES ('integrity-check')")
        return store.conn.execute(
            "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?", (words,)
        ).fetchone()[0]

    assert found('entity_names: "Kim Il Sung"') == 1
    data = store.record_head("doc-big")
    kim = next(e for e in data["entities"] if e["id"] == "person-kim-il-sung")
    kim["name"], kim["aliases"] = "Kim Song-ju", []
    with store.transaction():
        store_module.update_record_json(store, "doc-big", data, sender=False)
    assert found('entity_names: "Kim Song ju"') == 1
    assert found('entity_names: "Kim Il Sung"') == 0
    assert found("moscow") == 1  # the body's words are still there, once
    store.close()
