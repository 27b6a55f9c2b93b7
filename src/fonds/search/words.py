"""How fonds cuts text into the words of its search index.

Accents are folded first, in Python and only in text that is not plain ASCII: each
character becomes what Tantivy's ASCII-folding filter (Lucene's table) makes of it, so
"Pak Hŏn-yŏng" is indexed as "pak hon yong". The folded text then goes through Tantivy's
built-in ``default`` chain: runs of letters and digits, words over 40 bytes dropped,
lower-cased. That chain is compiled into Tantivy. A chain assembled from Python pays one
virtual call per word and filter: it took 29 % of Tantivy's time in a rebuild of a
million documents, the compiled chain 16 % (with the folding moved out of it).

The index and every query go through ``fold`` and the same chain, so they always agree.
"""

from __future__ import annotations

from functools import lru_cache

import tantivy

INDEX_TOKENIZER = "default"  # Tantivy's: simple tokenizer, remove_long(40), lowercase
MAX_WORD_BYTES = 40  # the limit of that chain's remove_long filter

_ASCII_BYTES = bytes(range(128))
_FOLDER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw()).filter(tantivy.Filter.ascii_fold()).build()
)


def fold(text: str) -> str:
    """``text`` with every character outside ASCII replaced as Tantivy's ASCII folding
    does (``ŏ`` → ``o``, ``æ`` → ``ae``, ``ﬁ`` → ``fi``, ``’`` → ``'``, ``—`` → ``-``).
    Characters it has no folding for, such as Cyrillic or Chinese, stay as they are.

    Folding the punctuation too changes no word, but most English prose then becomes
    plain ASCII, which CPython stores in one byte per character and hands to Tantivy
    without re-encoding it.
    """
    if text.isascii():  # O(1) in CPython
        return text
    for char, folded in _COMMON_FOLDINGS:  # one pass each, usually all there is to do
        if char in text:
            text = text.replace(char, folded)
            if text.isascii():
                return text
    # The characters outside ASCII, found in C: a text's bytes with the ASCII ones deleted.
    outside = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
    for char in set(outside.decode("utf-8", "surrogatepass")):
        folded = _folding(char)
        if folded is not None:
            text = text.replace(char, folded)
    return text


@lru_cache(maxsize=65536)
def _folding(char: str) -> str | None:
    """What ``char`` becomes in the index; None when it stays as it is."""
    if "\ud800" <= char <= "\udfff":  # a lone surrogate: nothing to fold
        return None
    folded = _FOLDER.analyze(char)
    into = folded[0] if folded else char
    return None if into == char else into


# The characters outside ASCII most common in English prose, most documents first (in
# 20,000 of the FRUS prose: 55 % hold "’", 52 % "–", 35 % "“" and "—", 13 % "é"). A
# replace pass for each is cheaper than finding which characters a text holds, and most
# texts are ASCII after them: folding a FRUS text fell from 5.5 to 3 µs.
_COMMON_FOLDINGS = tuple(
    (char, folded)
    for char in "\u2019\u2013\u201c\u201d\u2014\u00e9\u2018"
    if (folded := _folding(char)) is not None
)


class Analyzer:
    """The index's words of a text, for queries, snippets and similar documents."""

    def __init__(self) -> None:
        self._words = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(MAX_WORD_BYTES))
            .filter(tantivy.Filter.lowercase())
            .build()
        )  # the same three steps as INDEX_TOKENIZER

    def analyze(self, text: str) -> list[str]:
        return self._words.analyze(fold(text))


@lru_cache(maxsize=1)
def analyzer() -> Analyzer:
    """The one analyzer of the process (index, queries, snippets, questions)."""
    return Analyzer()
