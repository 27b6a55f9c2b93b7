"""Finding mentions: runs of capitalized words, matched longest-first against the index.

A run is a stretch of capitalized tokens (with initials, and small joining words such
as "of the" or a trailing "peninsula") that no punctuation interrupts. Every sub-span
is tried, longest first, so "Ministry of Foreign Affairs of the DPRK" wins over "DPRK".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from fonds.clean.ocr import korean_surnames
from fonds.entities.index import NameIndex
from fonds.entities.lexicon import not_names

# A word: letters with inner apostrophes and hyphens; digits glued to its end (a footnote's
# number copied from a superscript: "Washington1") are not part of it.
TOKEN = re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-](?=[^\W\d_]))*\.?|\d+(?:st|nd|rd|th)\b", re.U)
JOINERS = {"of", "the", "for", "and", "de", "du", "la", "van", "von", "der", "del", "bin", "al"}
GEO_TAILS = {
    "river",
    "peninsula",
    "province",
    "island",
    "islands",
    "mountains",
    "mountain",
    "sea",
    "strait",
    "bay",
    "valley",
    "county",
    "district",
    "parallel",
    "lake",
    "region",
    "plain",
    "front",
}
MAX_SPAN_TOKENS = 9
# Honorifics and titles before a name: part of the context, not of the mention.
TITLES = re.compile(
    r"^(?:Cdes?|Comrades?|Mr|Mrs|Ms|Dr|General|Gen|Brig|Marshal|Ambassador|Amb|Minister|Min|"
    r"Chairman|Premier|President|Pres|Secretary|Secy|Admiral|Adm|Colonel|Col|Lieutenant|Lt|"
    r"Captain|Capt|Major|Maj|Senator|Sen|Professor|Prof|Madame|Mme|Deputy|Commander|Counselor|"
    r"Consul|Sgt|Cpl|Lord|Sir|Lady|Father|Cardinal|Monsignor|Msgr|Bishop|Archbishop|Count|"
    r"Countess|Baron|Viscount|Señor|Senhor|Herr|Mlle|Messrs)\.?$"
)


# The titles that only a person bears (not "General", "President": "President Truman"
# but also "the General Assembly").
PERSON_TITLES = re.compile(r"^(?:Mr|Mrs|Ms|Dr|Lord|Sir|Lady|Father|Cardinal|Bishop|Mme|Herr)\.?$")


class Tok(NamedTuple):
    """A word of a text: as written, where, without its final full stop, capitalized."""

    text: str
    start: int
    end: int
    word: str
    capitalized: bool


@dataclass(frozen=True, slots=True)
class Candidate:
    start: int
    end: int
    text: str
    ids: tuple[str, ...]  # () when nothing matched (an unresolved capitalized span)
    alone: bool = True  # an unmatched word that stood alone, not inside a longer name


def tokenize(text: str) -> list[Tok]:
    return [
        Tok(w, m.start(), m.end(), w.rstrip("."), w[:1].isupper())
        for m in TOKEN.finditer(text)
        if (w := m.group())
    ]


def runs(text: str, start: int = 0, end: int | None = None) -> list[list[Tok]]:
    """Maximal runs of name-like tokens not interrupted by punctuation, in ``text`` or
    in its piece ``start:end`` (offsets stay the text's). A lowercase word outside a run
    is passed over without being made a token: most words are."""
    out: list[list[Tok]] = []
    current: list[Tok] = []
    for m in TOKEN.finditer(text, start, len(text) if end is None else end):
        w = m.group()
        capitalized = w[:1].isupper()
        if not capitalized and not current:
            continue
        word, start = w.rstrip("."), m.start()
        if current:
            prev = current[-1]
            joined = text[prev.end : start] in (" ", "")
            if prev.text.endswith(".") and len(prev.word) > 1 and not TITLES.match(prev.text):
                joined = False  # a full stop after a word ends the run
            if not joined:
                out.append(current)
                current = []
        if capitalized or (current and (word in JOINERS or word.casefold() in GEO_TAILS)):
            current.append(Tok(w, start, m.end(), word, capitalized))
        else:
            if current:
                out.append(current)
            current = []
    if current:
        out.append(current)
    return [trimmed for r in out if (trimmed := _trim(r))]


# Where a long text may be cut: no token, no word and no run of names crosses a line
# break or a comma (a run's words are joined by one space at most).
PIECE_BREAK = re.compile(r"[\n,]")


def pieces(text: str, size: int) -> Iterator[tuple[int, int]]:
    """A long text as pieces of about ``size`` characters that end after a line break or
    a comma: its runs and words are found a piece at a time, the same as over the whole
    text, without holding every token of a volume at once."""
    start = 0
    while start < len(text):
        cut = PIECE_BREAK.search(text, start + size) if start + size < len(text) else None
        end = cut.end() if cut else len(text)
        yield start, end
        start = end


def _trim(run: list[Tok]) -> list[Tok]:
    while run and run[-1].word in JOINERS:
        run = run[:-1]
    return run


def surface(text: str, toks: list[Tok]) -> tuple[int, int, str]:
    start, end = toks[0].start, toks[-1].end
    s = text[start:end]
    # A possessive or a final full stop belongs to the sentence, not the name.
    if s.endswith(("'s", "’s")):
        end -= 2
    elif s.endswith(".") and (
        not re.search(r"\b[A-Z]\.$", s) or (len(toks) > 1 and len(toks[-1].word) > 1)
    ):
        end -= 1
    return start, end, text[start:end]


def find_candidates(
    text: str, index: NameIndex, found_runs: list[list[Tok]] | None = None
) -> list[Candidate]:
    """Every matched span (ids set) and every unmatched capitalized run (ids empty).

    Only the authority file's entities are matched here: what other documents discovered
    is decided by the recognizer document by document, whatever the order of ingest."""
    found: list[Candidate] = []
    for run in runs(text) if found_runs is None else found_runs:
        i = 0
        while i < len(run):
            if TITLES.match(run[i].text) and i + 1 < len(run):
                i += 1
                continue
            matched = False
            for j in range(min(len(run), i + MAX_SPAN_TOKENS), i, -1):
                toks = run[i:j]
                if toks[0].word in JOINERS or toks[-1].word in JOINERS:
                    continue
                if not toks[0].capitalized:
                    continue
                start, end, s = surface(text, toks)
                ids = index.lookup(s, authority_only=True)
                if ids and _given_name_not_place(run, i, ids, index):
                    if PERSON_TITLES.match(run[i - 1].text):  # "Lord Halifax": the name
                        found.append(Candidate(start, end, s, (), True))
                    else:  # "Pak Kwang-ju": after a Korean surname, a given name
                        begin = run[i - 1].start
                        found.append(Candidate(begin, end, text[begin:end], ()))
                    i = j
                    matched = True
                    break
                if ids:
                    found.append(Candidate(start, end, s, tuple(ids)))
                    i = j
                    matched = True
                    break
            if not matched and (named := _initials_and_surname(run, i)):
                # "A. Gromyko", "A. Y. Vyshinsky": one name, resolved by its initials
                start, end, s = surface(text, run[i:named])
                found.append(Candidate(start, end, s, (), True))
                i = named
                continue
            if not matched:
                tok = run[i]
                if tok.capitalized and tok.word not in JOINERS:
                    start, end, s = surface(text, [tok])
                    alone = _stands_alone(run, i)
                    found.append(Candidate(start, end, s, (), alone))
                i += 1
    return found


def _initials_and_surname(run: list[Tok], i: int) -> int | None:
    """The end of "A. Y. Vyshinsky" when run[i] starts initials followed by a surname."""
    j = i
    while j < len(run) and len(run[j].word) == 1 and run[j].text.endswith("."):
        j += 1
    if j == i or j >= len(run) or len(run[j].word) < 2 or not run[j].capitalized:
        return None
    if j + 1 < len(run) and run[j + 1].capitalized:
        return None  # "A. Harriman Jones": more than a surname follows
    return j + 1


def _given_name_not_place(run: list[Tok], i: int, ids: list[str], index: NameIndex) -> bool:
    """A place's name that stands where a person's does: a given name after a Korean
    surname ("Pak Kwang-ju"), a name after a title ("Lord Halifax")."""
    if i == 0 or not all(index.entities[x].type == "place" for x in ids):
        return False
    before = run[i - 1]
    if PERSON_TITLES.match(before.text):
        return True
    return before.word in korean_surnames() and len(run[i].word) <= 9


def _stands_alone(run: list[Tok], i: int) -> bool:
    """Whether run[i] is a name by itself: no capitalized neighbour but a title before it."""
    before = run[i - 1] if i > 0 else None
    after = run[i + 1] if i + 1 < len(run) else None
    before_ok = (
        before is None
        or bool(TITLES.match(before.text))
        or before.word in JOINERS
        or before.word.casefold() in not_names()
    )
    after_ok = after is None or after.word in JOINERS
    return before_ok and after_ok
