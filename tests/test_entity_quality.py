"""People found by the entity stage, scored on hand-made gold against plain spaCy NER.

The gold (tests/gold/frus-sample.json, tests/gold/synthetic.json) and the scoring live
with the benchmark (benchmarks/entity_bench.py), so that the test and the figures in
benchmarks/README.md come from the same code. The floors below are the figures
measured when the gold was made, minus a small margin: a change that loses people
or invents them fails here.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "entity_bench.py"

# Measured on the 41 FRUS documents (see benchmarks/README.md, "Entities"), minus MARGIN.
FRUS_PRECISION = 0.986  # 141 of 143 person entities (footnotes read, 6 Dec 2026)
FRUS_RECALL = 0.988  # 81 of 82 gold people
SYNTHETIC_PRECISION = 1.0  # 39 of 39
SYNTHETIC_RECALL = 0.975  # 39 of 40
MARGIN = 0.03


def _load_bench():
    spec = importlib.util.spec_from_file_location("entity_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["entity_bench"] = module
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory):
    return bench.run_quality(tmp_path_factory.mktemp("entity-quality"))


# -- the gold and the scorer (fast) ---------------------------------------------------------


def test_gold_covers_at_least_20_frus_documents_of_the_tei_file() -> None:
    gold = json.loads(bench.FRUS_GOLD.read_text(encoding="utf-8"))
    docs = gold["documents"]
    assert len(docs) >= 20
    tei = bench.FRUS_TEI.read_text(encoding="utf-8")
    for doc_id, g in docs.items():
        assert f'xml:id="{doc_id}"' in tei, doc_id
        assert set(g) >= {"people", "people_allowed_extra"}, doc_id
        for group in g["people"] + g["people_allowed_extra"]:
            assert group and all(isinstance(n, str) and n.strip() for n in group), doc_id
    assert sum(len(g["people"]) for g in docs.values()) >= 60


def test_synthetic_gold_names_the_sample_files() -> None:
    gold = json.loads(bench.SYNTHETIC_GOLD.read_text(encoding="utf-8"))
    files = {p.name for p in bench.SYNTHETIC.glob("*.txt")}
    assert set(gold["documents"]) == files
    assert len(files) >= 5


def test_scorer_follows_the_rule_of_score_py() -> None:
    gold = {
        "d1": {
            "people": [["Syngman Rhee", "Rhee"], ["John J. Muccio", "Muccio"]],
            "people_allowed_extra": [["Dean Acheson", "Acheson"]],
        }
    }
    entities = {
        "d1": [
            # a canonical name outside the gold still counts through a mention's text
            {"type": "person", "name": "Rhee Syngman", "mentions": [{"text": "RHEE"}]},
            {"type": "person", "name": "Acheson", "aliases": [], "mentions": []},
            {"type": "person", "name": "Tab A", "mentions": [{"text": "Tab A"}]},
            {"type": "place", "name": "Muccio", "mentions": []},  # wrong type: not found
        ]
    }
    s = bench.score(gold, entities)
    assert (s.found, s.gold, s.correct, s.predicted) == (1, 2, 2, 3)
    assert s.misses == [("d1", "John J. Muccio")]
    assert s.false_positives == [("d1", "Tab A", ["Tab A"])]
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(1 / 2)
    assert s.f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))


# -- fonds against the gold and against plain spaCy (slow: ingest and two NER runs) --------


@pytest.mark.slow
def test_fonds_people_precision_and_recall_on_frus(results) -> None:
    s = results.frus_fonds
    detail = bench.errors("fonds FRUS", s)
    assert s.precision >= FRUS_PRECISION - MARGIN, detail
    assert s.recall >= FRUS_RECALL - MARGIN, detail


@pytest.mark.slow
def test_fonds_beats_plain_spacy_on_frus(results) -> None:
    assert results.frus_fonds.f1 > results.frus_spacy.f1, bench.table(results)


@pytest.mark.slow
def test_fonds_finds_people_the_authority_file_never_heard_of(results) -> None:
    s = results.synthetic_fonds
    detail = bench.errors("fonds synthetic", s)
    assert s.precision >= SYNTHETIC_PRECISION - MARGIN, detail
    assert s.recall >= SYNTHETIC_RECALL - MARGIN, detail
    assert s.f1 > results.synthetic_spacy.f1, bench.table(results)
