"""The index's words: accents folded in Python, then Tantivy's built-in chain; queries
must cut text into exactly the words the index holds."""

from __future__ import annotations

import tantivy

from fonds.search.tantivy_index import build_schema
from fonds.search.words import Analyzer, fold

MIXED = (
    "Pak Hŏn-yŏng [Pak Hon Yong] met Сталин and 金日成 at Ŏngjin; Æneas, Straße, "
    "½ of the ﬁnal “quoted” İstanbul text — Kim II Sung, 1950-04-25, " + "x" * 41 + " end"
)


def test_fold_keeps_ascii_and_folds_accents_as_tantivy_does() -> None:
    plain = "Kim Il Sung met Stalin"
    assert fold(plain) is plain
    assert fold("Pak Hŏn-yŏng") == "Pak Hon-yong"
    assert fold("Æneas Straße ﬁnal") == "AEneas Strasse final"
    assert fold("“quoted” — it’s") == '"quoted" - it\'s'
    assert fold("“quoted”").isascii()  # stored one byte a character, handed over as is
    assert fold("it’s Hŏn’s café — Сталин’s") == "it's Hon's cafe - Сталин's"  # common + rare
    assert fold("x² \ud800") == "x2 \ud800"  # a lone surrogate is left alone
    assert fold("Сталин 金日成") == "Сталин 金日成"  # no folding for these scripts


def test_queries_cut_text_into_the_words_the_index_holds() -> None:
    index = tantivy.Index(build_schema())
    writer = index.writer(15_000_000, 1)
    writer.add_document(tantivy.Document.from_dict({"id": "d1", "all": [fold(MIXED)]}))
    writer.commit()
    index.reload()
    searcher = index.searcher()

    words = Analyzer().analyze(MIXED)
    assert {"hon", "yong", "ongjin", "aeneas", "strasse", "final", "istanbul", "сталин"} <= set(
        words
    )
    assert "x" * 41 not in words  # over the 40-byte limit, dropped on both sides
    for word in words:
        assert searcher.doc_freq("all", word) == 1, word
    indexed = {term for term, _ in searcher.terms_with_prefix("all", "", limit=None)}
    assert indexed == set(words)
