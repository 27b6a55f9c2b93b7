"""What the search index is given for each record: names, parties, archives (tantivy_index)."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest

from fonds.search import engine, tantivy_index
from fonds.search.tantivy_index import WEIGHTS, DocumentBuilder, entity_word
from fonds.search.words import Analyzer, fold
from fonds.store.sqlite import Store

from .search_fixtures import seeds_copy, seeds_store  # noqa: F401


def _built(store: Store) -> dict[str, dict]:
    names, _ = engine.entities_for(store)
    builder = DocumentBuilder(names)
    return {row[0]: builder.document(row, store).to_dict() for row in builder.rows(store)}


def test_names_listed_canonical_first_then_by_use(seeds_store: Store) -> None:  # noqa: F811
    names, _ = engine.entities_for(seeds_store)
    docs = _built(seeds_store)
    checked = 0
    for doc_id, doc in docs.items():
        uses: dict[str, Counter[str]] = {}
        for entity_id, text in seeds_store.conn.execute(
            "SELECT entity_id, text FROM mentions WHERE document_id = ?", (doc_id,)
        ):
            uses.setdefault(names.canonical(entity_id), Counter())[fold(text)] += 1
        listed = doc.get("names", [])
        for entity_id, counts in uses.items():
            entity = names.entities.get(entity_id)
            if entity is None:
                continue
            start = listed.index(fold(entity.name))
            forms = listed[start + 1 : start + 1 + len(counts)]
            forms = [f for f in forms if f in counts]
            # every form the document uses, most used first (ties in any order)
            assert [counts[f] for f in forms] == sorted((counts[f] for f in forms), reverse=True)
            # the entity's word is weighted into the ranked text, once per document
            weighted = " ".join([entity_word(entity_id)] * WEIGHTS["names"])
            assert doc["all"].count(weighted) == 1
            checked += 1
    assert checked > 20


def test_parties_and_archives_follow_the_record(seeds_store: Store) -> None:  # noqa: F811
    names, _ = engine.entities_for(seeds_store)
    for doc_id, doc in _built(seeds_store).items():
        recipients = [
            names.canonical(r[0])
            for r in seeds_store.conn.execute(
                "SELECT entity_id FROM recipients WHERE document_id = ? ORDER BY n", (doc_id,)
            )
            if r[0]
        ]
        assert doc.get("recipient", []) == recipients
        archives = {
            r[0]
            for r in seeds_store.conn.execute(
                "SELECT archive FROM archival_refs WHERE document_id = ? AND archive IS NOT NULL",
                (doc_id,),
            )
        }
        assert sorted(doc.get("archive", [])) == sorted(archives)  # each archive once
        for field in ("sender_names", "recipient_names"):  # a name said twice in a row, once
            listed = doc.get(field, [])
            assert all(a != b for a, b in pairwise(listed)), listed


def test_recipients_keep_their_order_whatever_the_row_order(seeds_copy: Store) -> None:  # noqa: F811
    conn = seeds_copy.conn
    doc_id, n, entity_id, name = conn.execute("SELECT * FROM recipients LIMIT 1").fetchone()
    first = _built(seeds_copy)[doc_id]["recipient_names"]
    with conn:  # a second recipient, written before the first: row order is not n order
        conn.execute("DELETE FROM recipients WHERE document_id = ?", (doc_id,))
        conn.execute("INSERT INTO recipients VALUES (?,?,?,?)", (doc_id, n + 1, None, "Second"))
        conn.execute("INSERT INTO recipients VALUES (?,?,?,?)", (doc_id, n, entity_id, name))
    assert _built(seeds_copy)[doc_id]["recipient_names"] == [*first, "Second"]


def test_a_recipient_listed_twice_gives_its_name_once(seeds_copy: Store) -> None:  # noqa: F811
    conn = seeds_copy.conn
    doc_id, n, entity_id, name = conn.execute(
        "SELECT * FROM recipients WHERE entity_id IS NOT NULL LIMIT 1"
    ).fetchone()
    before = _built(seeds_copy)[doc_id]
    with conn:
        conn.execute("UPDATE recipients SET n = n + 1 WHERE document_id = ? AND n > ?", (doc_id, n))
        conn.execute("INSERT INTO recipients VALUES (?,?,?,?)", (doc_id, n + 1, entity_id, name))
    after = _built(seeds_copy)[doc_id]
    canonical = engine.entities_for(seeds_copy)[0].canonical(entity_id)
    assert after["recipient"].count(canonical) == before["recipient"].count(canonical) + 1
    assert after["recipient_names"] == before["recipient_names"]


def test_what_a_build_remembers_never_leaks_into_another_document(
    seeds_store: Store,  # noqa: F811
) -> None:
    names, _ = engine.entities_for(seeds_store)
    rows = list(DocumentBuilder(names).rows(seeds_store))
    alone = [DocumentBuilder(names).document(row, seeds_store).to_dict() for row in rows]
    shared = DocumentBuilder(names)  # one builder, every document twice, in two orders
    first = [shared.document(row, seeds_store).to_dict() for row in rows]
    again = [shared.document(row, seeds_store).to_dict() for row in reversed(rows)][::-1]
    assert first == alone
    assert again == alone


def test_an_entity_word_is_one_word_no_query_word_meets() -> None:
    word = entity_word("person-joseph-stalin")
    assert word != entity_word("person-joseph-stalin-2")
    assert Analyzer().analyze(f"{word} {word}") == [word, word]  # kept whole, as written
    typed = Analyzer().analyze("Joseph Stalin person joseph stalin " + word[1:])
    assert word not in typed and not any(w.startswith(word[:1]) for w in typed)


def test_a_big_body_indexed_a_piece_at_a_time_is_indexed_the_same(
    seeds_store: Store,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A body over ``BIG_TEXT`` is read from the database in pieces (here of 64 bytes:
    many per seed) and its mentions come grouped by form: the pieces join into the body,
    and every other field of the document is what the whole row gives."""
    whole = _built(seeds_store)
    monkeypatch.setattr(tantivy_index, "BIG_TEXT", 0)
    monkeypatch.setattr(tantivy_index, "TEXT_PIECE_BYTES", 64)
    pieces = _built(seeds_store)
    assert pieces.keys() == whole.keys() and len(whole) == 5
    for doc_id, doc in whole.items():
        body = seeds_store.conn.execute(
            "SELECT text FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()[0]
        piecewise, together = pieces[doc_id].pop("all"), doc.pop("all")
        together.remove(fold(body))  # the rest, in order, then the body's pieces
        assert piecewise[: len(together)] == together
        assert "".join(piecewise[len(together) :]) == fold(body)
        assert len(piecewise) - len(together) > 10
        assert pieces[doc_id] == doc, doc_id


@pytest.mark.sqlite_only
def test_a_record_with_its_mentions_as_rows_only_is_indexed_the_same(
    seeds_copy: Store,  # noqa: F811
) -> None:
    """A record that keeps its mentions as rows only (a volume's text) has them come
    grouped by form, counted in SQL: its document is the one its mentions, one by one,
    give. And a body is read the same from its blob, whatever its size."""
    whole = _built(seeds_copy)
    seeds_copy.conn.execute(
        "UPDATE documents SET record_json = json_set(record_json, '$.mentions_in_rows', 1)"
    )
    assert seeds_copy.conn.execute(
        f"SELECT count(*) FROM documents d WHERE {tantivy_index.ROWS_ONLY}"
    ).fetchone()[0] == len(whole)
    assert _built(seeds_copy) == whole
