"""Search over a real archive of the seeds: names in any spelling, filters, facets,
snippets, the CLI contract, and the index kept in step with the records."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fonds.cli import main
from fonds.errors import NotFound, QuerySyntaxError
from fonds.pipeline import ingest
from fonds.search import engine
from fonds.search.service import (
    index_pending,
    index_status,
    more_like_this,
    rebuild_index,
    search,
)
from fonds.search.tantivy_index import STATE_FILE, IndexState, index_path
from fonds.store.sqlite import Store
from tests.conftest import archive_at, open_archive

pytest_plugins = ["tests.search_fixtures"]  # seeds_store, seeds_copy, seed_prefix


def found(store: Store, prefixes: dict[str, str], query: str, **kw) -> set[str]:
    result = search(store, query, limit=50, **kw)
    assert result.total == len(result.hits)
    return {prefixes.get(h.id, h.id) for h in result.hits}


# -- issue 8: names in any spelling ------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Pak Hon Yong", {"000", "001", "002", "004"}),
        ("Pak Heon-yeong", {"000", "001", "002", "004"}),
        ("Chou En-lai", {"002", "003", "004"}),
        ('person:"Kim Il"', {"001", "003"}),
        ("Ongjin", {"000", "001"}),
    ],
)
def test_acceptance_names_find_every_spelling(
    seeds_store: Store, seed_prefix: dict[str, str], query: str, expected: set[str]
) -> None:
    assert found(seeds_store, seed_prefix, query) == expected


def test_ocr_form_finds_what_the_right_form_finds(
    seeds_store: Store, seed_prefix: dict[str, str]
) -> None:
    right = search(seeds_store, "Kim Il Sung", limit=50)
    ocr = search(seeds_store, "Kim II Sung", limit=50)
    assert [h.id for h in ocr.hits] == [h.id for h in right.hits]
    assert {seed_prefix[h.id] for h in right.hits} == {"000", "001", "002", "003", "004"}


def test_cover_name_finds_the_person(seeds_store: Store, seed_prefix: dict[str, str]) -> None:
    assert found(seeds_store, seed_prefix, "Filippov") == found(seeds_store, seed_prefix, "Stalin")


def test_hit_says_which_mention_matched(seeds_store: Store, seed_prefix: dict[str, str]) -> None:
    hits = {seed_prefix[h.id]: h for h in search(seeds_store, "Pak Hon Yong").hits}
    assert "Pak Hon Yong → Pak Heon-yeong" in hits["001"].matched
    assert hits["000"].matched == ["Pak Hon-yong"]  # the same name up to punctuation
    zhou = search(seeds_store, "Chou En-lai").hits[0]
    assert zhou.matched == ["Chou En-lai → Zhou Enlai"]


def test_snippet_highlights_the_matched_names(seeds_store: Store) -> None:
    for hit in search(seeds_store, "Pak Hon Yong").hits:
        marked = {hit.snippet[a:b] for a, b in hit.highlights}
        assert marked, hit.snippet
        assert marked <= {"Pak Heon-yeong", "Pak Hon Yong", "Pak Hon-yong", "Pak Hun Yong"}


# -- the query language against the archive ----------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Ongjin OR Molotov", {"000", "001", "004"}),
        ("Ongjin | Molotov", {"000", "001", "004"}),
        ("Stalin -Molotov", {"000", "001", "002"}),
        ("Stalin NOT Molotov", {"000", "001", "002"}),
        ("Ongj*", {"000", "001"}),
        ('"Ongjin peninsula"', {"000", "001"}),
        ('"peninsula Ongjin"', set()),
        ("(Ongjin OR Molotov) -Malenkov", {"000", "001"}),
        ("Stalin date:1950", {"000", "001", "002"}),
        ("Stalin date:1950-04..1950-06", {"000"}),
        ("Stalin date:..1950-01", {"001"}),
        ("Stalin date:1952..", {"004"}),
        ("type:telegram Stalin", {"001", "002"}),
        ('type:"Record of Conversation"', {"000", "004"}),
        ("type:conversation", {"000", "004"}),
        ("archive:tsamo", {"002"}),
        ("lang:russian", {"002"}),
        ('classification:"strictly secret"', {"001"}),
        ("person:person-kim-il", {"001", "003"}),
        ("sender:Shtykov", {"001", "002"}),
        ("person:Nobody", set()),
        ("type:nonsense Stalin", set()),
    ],
)
def test_query_language(
    seeds_store: Store, seed_prefix: dict[str, str], query: str, expected: set[str]
) -> None:
    assert found(seeds_store, seed_prefix, query) == expected


def test_sort_by_date_both_ways(seeds_store: Store, seed_prefix: dict[str, str]) -> None:
    oldest = search(seeds_store, "Stalin sort:date")
    assert [seed_prefix[h.id] for h in oldest.hits] == ["001", "000", "002", "004"]
    newest = search(seeds_store, "Stalin", sort="-date")
    assert [seed_prefix[h.id] for h in newest.hits] == ["004", "002", "000", "001"]
    assert oldest.sort == "date" and newest.sort == "-date"


def test_filters_alone_sort_by_date(seeds_store: Store) -> None:
    result = search(seeds_store, 'person:"Kim Il"')
    assert result.sort == "date"
    assert [h.date for h in result.hits] == sorted(h.date for h in result.hits)


def test_pages(seeds_store: Store) -> None:
    whole = search(seeds_store, "Stalin", limit=10)
    page = search(seeds_store, "Stalin", limit=2, offset=2)
    assert [h.id for h in page.hits] == [h.id for h in whole.hits[2:4]]
    assert page.total == whole.total == 4
    assert not page.truncated and search(seeds_store, "Stalin", limit=1).truncated


def test_facets_count_the_match(seeds_store: Store) -> None:
    result = search(seeds_store, "Pak Hon Yong")
    assert result.total == 4 and not result.truncated and result.timed_out == []
    assert sum(v.count for v in result.facets["type"]) == 4
    assert {(v.value, v.count) for v in result.facets["year"]} == {
        ("1950", 3),
        ("1952", 1),
    }
    people = {v.value: (v.label, v.count) for v in result.facets["people"]}
    assert people["person-pak-hon-yong"] == ("Pak Hon-yong", 4)
    assert set(result.facets) == {
        "type",
        "year",
        "archive",
        "language",
        "classification",
        "people",
        "places",
    }
    assert search(seeds_store, "Pak Hon Yong", facets=False).facets == {}


def test_result_as_json(seeds_store: Store) -> None:
    data = search(seeds_store, "Ongjin").as_json()
    assert {
        "query",
        "hits",
        "total",
        "offset",
        "limit",
        "facets",
        "truncated",
        "timed_out",
        "sort",
    } <= set(data)
    hit = data["hits"][0]
    assert {"id", "score", "title", "date", "snippet", "highlights", "doc_type", "matched"} <= set(
        hit
    )
    json.dumps(data)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"unclosed', "unclosed quote at column 1"),
        ("NEAR(", "unclosed '(' at column 5"),
        ("AND", "AND at column 1 needs something to search for"),
        ("*", "a prefix needs at least 3 letters"),
        (")", "unmatched ')' at column 1"),
        ("person:", "person: at column 1 needs a value"),
        ("x" * 10240, "the query is 10,240 characters long; the limit is 2,000"),
        ("a\x00b", None),  # a control character is no syntax: searched, found nowhere
        ("date:1950-13", "is not a date"),
        ("(((", "unclosed '(' at column 3"),
        ("OR OR", "OR at column 1 needs something to search for"),
        ("-", "empty query"),
        ('""', "empty quotes at column 1"),
        ("sort:sideways", "sort by relevance, date or -date"),
    ],
)
def test_malformed_queries_give_a_clear_error(
    seeds_store: Store, query: str, message: str | None
) -> None:
    """Each malformed query gets the error that names its fault and where; the one that
    is no syntax at all is searched."""
    if message is None:
        assert search(seeds_store, query).total == 0
        return
    with pytest.raises(QuerySyntaxError, match=re.escape(message)):
        search(seeds_store, query)


def test_punctuation_only_is_a_clear_error(seeds_store: Store) -> None:
    with pytest.raises(QuerySyntaxError, match="nothing to search for"):
        search(seeds_store, ",,, ;")


def test_bad_paging_is_a_clear_error(seeds_store: Store) -> None:
    with pytest.raises(QuerySyntaxError, match="limit"):
        search(seeds_store, "Stalin", limit=0)
    with pytest.raises(QuerySyntaxError, match="offset"):
        search(seeds_store, "Stalin", offset=20_000)
    with pytest.raises(QuerySyntaxError, match="sort"):
        search(seeds_store, "Stalin", sort="title")


def test_more_like_this(seeds_store: Store, seed_prefix: dict[str, str]) -> None:
    first = next(i for i, p in seed_prefix.items() if p == "000")
    result = more_like_this(seeds_store, first, limit=3)
    assert result.hits and first not in {h.id for h in result.hits}
    assert seed_prefix[result.hits[0].id] in {"001", "004"}  # Stalin, Kim Il Sung, Pak
    with pytest.raises(NotFound):
        more_like_this(seeds_store, "no-such-id")


# -- the command line ----------------------------------------------------------------------


def test_cli_json_contract(seeds_db: Path) -> None:
    out = CliRunner().invoke(
        main, ["search", "Pak Hon Yong", "--db", archive_at(seeds_db), "--json"]
    )
    assert out.exit_code == 0, out.output
    hits = json.loads(out.output)
    assert len(hits) == 4
    assert all({"id", "score", "title", "date", "snippet"} <= set(h) for h in hits)
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_cli_table_with_facets_and_options(seeds_db: Path) -> None:
    out = CliRunner().invoke(
        main,
        ["search", "Stalin", "--db", archive_at(seeds_db), "--type", "telegram", "--from", "1950"],
    )
    assert out.exit_code == 0, out.output
    assert "2 documents match" in out.output
    assert "facets" in out.output and "telegram 2" in out.output


@pytest.mark.parametrize("query", ['"unclosed', "NEAR(", "AND", "*", ")", "person:", "x" * 10240])
def test_cli_malformed_query_is_one_line(seeds_db: Path, query: str) -> None:
    out = CliRunner().invoke(main, ["search", query, "--db", archive_at(seeds_db)])
    assert out.exit_code == 2, out.output
    assert out.output.startswith("error: ") and out.output.count("\n") == 1


def test_cli_help_documents_the_language() -> None:
    out = CliRunner().invoke(main, ["search", "--help"])
    for example in ('person:"Kim Il"', "date:1950-04..1950-06", "negotiat*", "sort:-date"):
        assert example in out.output


# -- keeping the index in step -------------------------------------------------------------


@pytest.mark.sqlite_only
def test_index_sits_beside_the_database(seeds_store: Store) -> None:
    search(seeds_store, "Stalin")
    folder = index_path(seeds_store)
    assert folder is not None and folder.name == Path(seeds_store.path).name + ".index"
    assert (folder / STATE_FILE).exists()
    tables = {r[0] for r in seeds_store.conn.execute("SELECT name FROM sqlite_master")}
    assert {"documents_fts", "search_queue"} <= tables  # FTS5 stays for Datasette users


def test_an_index_of_an_older_format_is_rebuilt(seeds_copy: Store) -> None:
    """A new fonds that cuts words differently rebuilds the index it finds, unasked."""
    expected = [h.id for h in search(seeds_copy, "Pak Hon Yong").hits]
    folder = index_path(seeds_copy)
    state = IndexState.read(folder)
    assert state is not None
    state.format -= 1
    state.write(folder)
    engine.forget(seeds_copy)  # as the next process opens it
    assert [h.id for h in search(seeds_copy, "Pak Hon Yong").hits] == expected
    assert IndexState.read(folder).format == state.format + 1


def test_delete_and_reingest_update_hits(seeds_copy: Store, tmp_path: Path) -> None:
    assert search(seeds_copy, "Ongjin").total == 2
    note = tmp_path / "note.txt"
    note.write_text("A note on Ongjin and the Haeju front, written by hand.\n", encoding="utf-8")
    ingest(seeds_copy, [note])
    assert search(seeds_copy, "Ongjin").total == 3
    assert search(seeds_copy, "Haeju").total == 1
    note.write_text("A note on the Haeju front only, corrected.\n", encoding="utf-8")
    ingest(seeds_copy, [note])
    assert search(seeds_copy, "Ongjin").total == 2
    assert search(seeds_copy, "Haeju corrected").total == 1
    doc_id = search(seeds_copy, "Haeju").hits[0].id
    seeds_copy.delete_documents({doc_id})  # searchable state follows without a drain call
    assert search(seeds_copy, "Haeju").total == 0


def test_a_reader_sees_what_another_connection_wrote(seeds_copy: Store, tmp_path: Path) -> None:
    reader = open_archive(seeds_copy.path, readonly=True)  # as a web server reads
    try:
        assert search(reader, "Haeju").total == 0  # checked once, then remembered
        assert search(reader, "Haeju").total == 0
        note = tmp_path / "note.txt"
        note.write_text("A note on the Haeju front, written by hand.\n", encoding="utf-8")
        ingest(seeds_copy, [note])  # another connection commits (and drains the queue)
        assert search(reader, "Haeju").total == 1
        doc_id = search(reader, "Haeju").hits[0].id
        seeds_copy.delete_documents({doc_id})  # queued, not drained: the reader drains it
        assert search(reader, "Haeju").total == 0
    finally:
        reader.close()


@pytest.mark.sqlite_only
def test_queue_is_written_with_the_record(seeds_copy: Store) -> None:
    index_pending(seeds_copy)
    record = seeds_copy.get_record(search(seeds_copy, "Ongjin").hits[0].id)
    before = seeds_copy.conn.execute("SELECT count(*) FROM search_queue").fetchone()[0]
    seeds_copy.delete_documents({record["id"]})
    queued = seeds_copy.conn.execute("SELECT document_id FROM search_queue").fetchall()
    assert [r[0] for r in queued][before:] == [record["id"]]
    assert index_pending(seeds_copy) == 1
    assert seeds_copy.conn.execute("SELECT count(*) FROM search_queue").fetchone()[0] == 0


def test_a_crash_before_the_state_is_written_is_repaired(seeds_copy: Store) -> None:
    """Tantivy committed but the applied mark was not saved: redoing the queue is harmless."""
    total = search(seeds_copy, "Stalin").total
    ids = [r[0] for r in seeds_copy.conn.execute("SELECT id FROM documents")]
    with seeds_copy.conn:
        seeds_copy.conn.executemany(
            "INSERT INTO search_queue(document_id) VALUES (?)", [(i,) for i in ids]
        )
    folder = index_path(seeds_copy)
    state = IndexState.read(folder)
    assert state is not None
    engine.forget(seeds_copy)  # a new process
    assert index_pending(seeds_copy) == len(ids)
    assert search(seeds_copy, "Stalin").total == total  # no document twice
    assert rebuild_index(seeds_copy) == len(ids)
    assert search(seeds_copy, "Stalin").total == total


def test_missing_or_foreign_index_is_rebuilt(seeds_copy: Store, tmp_path: Path) -> None:
    total = search(seeds_copy, "Stalin").total
    folder = index_path(seeds_copy)
    assert folder is not None
    engine.forget(seeds_copy)
    shutil.rmtree(folder)
    assert search(seeds_copy, "Stalin").total == total
    # an index made for another database is not trusted
    other = open_archive(tmp_path / "other.db")
    ingest(other, [tmp_path])  # nothing to read: an empty archive with its own index
    engine.forget(other)
    shutil.rmtree(folder)
    shutil.copytree(index_path(other), folder)
    engine.forget(seeds_copy)
    assert search(seeds_copy, "Stalin").total == total
    other.close()


def test_cli_index_rebuild_and_status(seeds_copy: Store) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["index", "rebuild", "--db", seeds_copy.path])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("5 documents indexed")
    out = runner.invoke(main, ["index", "status", "--db", seeds_copy.path, "--json"])
    facts = json.loads(out.output)
    assert facts["documents"] == facts["records"] == 5 and facts["pending"] == 0
    assert index_status(seeds_copy)["backend"] == "tantivy"


def test_read_only_store_searches(seeds_db: Path, seeds_store: Store) -> None:
    search(seeds_store, "Stalin")  # the index exists
    readonly = open_archive(seeds_db, readonly=True)
    try:
        assert search(readonly, "Ongjin").total == 2
    finally:
        readonly.close()


def test_large_matches_get_sampled_facets(
    seeds_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fonds.search import tantivy_search

    monkeypatch.setattr(tantivy_search, "FACET_EXACT_LIMIT", 2)
    result = search(seeds_store, "Stalin Korea")
    assert result.facets_approximate and result.total == 4
    assert all(v.count > 0 for values in result.facets.values() for v in values)


def test_totals_are_exact_whether_or_not_the_page_holds_them(seeds_store: Store) -> None:
    every = search(seeds_store, "korea", limit=1000, facets=False)
    assert every.total == len(every.hits) > 2
    for offset in (0, 1, every.total - 1):
        assert search(seeds_store, "korea", limit=1, offset=offset, facets=False).total == (
            every.total
        )
    past = search(seeds_store, "korea", limit=1, offset=every.total + 3, facets=False)
    assert past.hits == [] and past.total == every.total


def test_one_word_total_leaves_out_deleted_documents(seeds_copy: Store) -> None:
    # a lower-case word is a word (not a name): its total comes from the dictionary
    rebuild_index(seeds_copy)  # one segment: a deleted document stays in it, marked
    before = search(seeds_copy, "korea", limit=1, facets=False)  # total from the dictionary
    gone = before.hits[0].id
    seeds_copy.delete_documents({gone})  # the index keeps it, marked deleted, until a merge
    after = search(seeds_copy, "korea", limit=1, facets=False)
    searcher = engine.backend_for(seeds_copy).files.index.searcher()  # type: ignore[attr-defined]
    assert searcher.doc_freq("all", "korea") == before.total  # the dictionary still counts it
    assert after.total == before.total - 1
    assert after.total == len(search(seeds_copy, "korea", limit=100, facets=False).hits)
    assert gone not in {h.id for h in search(seeds_copy, "korea", limit=100).hits}


def test_facets_past_their_time_are_named(
    seeds_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fonds.search import tantivy_search

    monkeypatch.setattr(tantivy_search, "FACET_TIME_LIMIT", -1.0)
    result = search(seeds_store, "Stalin Mao")
    assert result.facets == {} and set(result.timed_out) == set(tantivy_search.FACET_SIZES)
    assert result.hits  # the hits still come back


@pytest.mark.sqlite_only
def test_in_memory_store_searches(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Ongjin and Kaesong on the parallel.\n", encoding="utf-8")
    store = open_archive(":memory:")
    try:
        ingest(store, [note])
        assert search(store, "Kaesong").total == 1
        assert index_path(store) is None
    finally:
        engine.forget(store)
        store.close()


def test_facets_counted_beside_the_page_arrive_with_it() -> None:
    from concurrent.futures import Future

    from fonds.search.base import BackendResult, FacetCount

    counted: Future = Future()
    counted.set_result(({"type": [FacetCount("telegram", 3)]}, ["type"], True))
    result = BackendResult(counting=counted)
    result.settle()
    assert result.facets == {"type": [FacetCount("telegram", 3)]}
    assert result.facets_truncated == ["type"] and result.facets_approximate
    assert result.counting is None
    failed: Future = Future()
    failed.set_exception(ValueError("the counting failed"))
    with pytest.raises(ValueError, match="counting failed"):
        BackendResult(counting=failed).settle()
