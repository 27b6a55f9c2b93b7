"""Word lists the entity stage consults, read once from ``fonds/data/names``."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def not_names() -> frozenset[str]:
    """Capitalized words that are no name by themselves (``data/names/not_names.txt``)."""
    text = resources.files("fonds.data.names").joinpath("not_names.txt").read_text("utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@cache
def stop_words() -> frozenset[str]:
    """English stop words (``data/names/stop_words_en.txt``, spaCy's list): read without
    loading spaCy, which a process that does not recognize names never imports."""
    text = resources.files("fonds.data.names").joinpath("stop_words_en.txt").read_text("utf-8")
    return frozenset(w for w in text.splitlines() if w and not w.startswith("#"))


@cache
def world_places() -> dict[str, tuple[str, int]]:
    """Countries, US states and cities of 100,000 people or more by name: (kind, population)
    (``data/names/world_places.tsv``, from GeoNames)."""
    text = resources.files("fonds.data.names").joinpath("world_places.tsv").read_text("utf-8")
    out: dict[str, tuple[str, int]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, kind, population = line.split("\t")
            out[name] = (kind, int(population))
    return out


@cache
def institutions() -> dict[str, frozenset[str]]:
    """Head nouns of institutional names and one-word bodies
    (``data/names/institutions.txt``), by section: ``heads`` and ``single``."""
    text = resources.files("fonds.data.names").joinpath("institutions.txt").read_text("utf-8")
    sections: dict[str, set[str]] = {}
    current = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            continue
        sections.setdefault(current, set()).add(line)
    return {k: frozenset(v) for k, v in sections.items()}
