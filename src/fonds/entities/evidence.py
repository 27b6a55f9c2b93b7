"""The evidence a document gives about a name: where it stands in its sentence and in
the page's layout, and what its shape says.

The entity stage asks these questions of names the authority file does not settle: is
this recognized span a person, a place or an organization (``type_by_shape``), is it worth
a new identity (``plausible``), is it listed with people or places (``coordinated_with``),
does a title, a verb of speech, an office in apposition or a signature line make it a
person? Each answer comes from the document alone, so that the order in which files are
ingested changes nothing.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from fonds.clean.ocr import korean_surnames
from fonds.entities.lexicon import institutions, not_names, stop_words, world_places
from fonds.entities.mentions import GEO_TAILS, TITLES, Tok, pieces, tokenize
from fonds.entities.ner import NerSpan

# The end of a sentence: a line break, or ". ", "? ", "! " after a word that is no
# abbreviation, title or initial.
ABBREVIATION = re.compile(
    r"(?:Mr|Mrs|Ms|Dr|St|Gen|Col|Lt|Capt|Maj|Adm|Sgt|Gov|Sen|Rep|Amb|Min|Pres|Prof|Rev|Messrs|"
    r"Mme|Jr|Sr|No|Nos|Vol|Dept|Govt|Cde|Cdes|[A-Za-z]|(?:[A-Z]\.)+[A-Z])"
)


STOP = re.compile(r"\n|[.?!](?=\s)")


def sentence_around(text: str, start: int, end: int, reach: int = 160) -> tuple[int, int]:
    """The sentence (or at most ``reach`` characters each way) around a span.

    A full stop after an abbreviation or an initial ("Mr. Harlan", "Everett W. Drake",
    "Gen. Clark") ends no sentence: the recognizer must see the whole name.
    """
    lo = max(0, start - reach)
    hi = min(len(text), end + reach)
    ends = [m.end() for m in STOP.finditer(text, lo, hi) if ends_sentence(text, m.start())]
    s = max((e for e in ends if e <= start), default=lo)
    e = min((e for e in ends if e > end), default=hi)
    return s, e


def ends_sentence(text: str, at: int) -> bool:
    if text[at] != ".":
        return True
    m = re.search(r"[\w.]+$", text[max(0, at - 12) : at])
    return m is None or ABBREVIATION.fullmatch(m.group()) is None


# A telegraphic code word with capitals inside ("AusPolAd", "SecState", "DelGA"), not a
# name: "Mc", "Mac", "De" and the like begin names written so.
TELEGRAPHIC = re.compile(r"^(?!Mc|Mac|De|Di|Du|La|Le|Van|Von|O’|O')[A-Z][a-z]+[A-Z]")


def clean_span(text: str, span: NerSpan) -> tuple[int, int, str] | None:
    """Trim a recognizer's span to the name: no leading article or title, no 's."""
    toks = [t for t in tokenize(text[span.start : span.end])]
    if not toks:
        return None
    while toks and (
        toks[0].word.casefold() in {"the", "a", "an"}
        or TITLES.match(toks[0].text)
        or TELEGRAPHIC.match(toks[0].word)
    ):
        toks = toks[1:]
    if not toks:
        return None
    start = span.start + toks[0].start
    end = span.start + toks[-1].end
    surface = text[start:end]
    if span.type == "person":
        # initials the recognizer left out before the name ("A. I. Dorofeyev")
        while before := re.search(r"(?:^|(?<=\s))[A-Z]\.\s?$", text[max(0, start - 3) : start]):
            start -= len(before.group())
            surface = text[start:end]
        # the recognizer cut a long name short ("Rafael Leonidas" of "Rafael Leonidas
        # Trujillo Molina"): the capitalized name words that follow belong to it
        while len(surface.split()) < 5:
            more = re.match(r" ([A-Z][a-zà-ÿ'’-]+)(?=[\s,.;:)]|$)", text[end : end + 40])
            if not more or more.group(1).casefold() in not_names() or TITLES.match(more.group(1)):
                break
            end += more.end()
            surface = text[start:end]
    joined = re.match(r"-[A-Z][\w'’]+", text[end : end + 30])
    if joined:
        end += joined.end()  # "Czerny-Stefanska": the recognizer stopped at the hyphen
        surface = text[start:end]
    for suffix in ("'s", "’s", "."):
        if surface.endswith(suffix):
            surface = surface[: -len(suffix)]
            end -= len(suffix)
    if "\n" in surface or not surface:
        return None
    return start, end, surface


def plausible(etype: str, surface: str, text: str, start: int, singles: Counter, body: str) -> bool:
    """Whether a recognized name, unknown to the index, is worth a new identity.

    Common words are no names, but names built from them are ("Security Council"): a word
    of ``not_names`` rejects a span only when the span is that word alone (or, for a
    person, holds it). A one-word person needs the document's context: a title or a role
    before it ("Typed by", "From", "(" after an office), a line to itself (a signature), or
    a second mention. A one-word place must be no common word
    of the document and stands where a place stands ("in Trieste"); a one-word organization
    must be an acronym ("NATO"): the recognizer often takes a surname for one.
    """
    words = surface.split()
    if not words or len(words) > 6 or len(surface) < 3:
        return False
    folded = [w.casefold().strip(".,") for w in words]
    if not all(w[:1].isupper() for w, f in zip(words, folded, strict=True) if f not in JOIN_WORDS):
        return False
    if etype != "person":
        if len(words) >= 2:
            return not all(f in not_names() or f in JOIN_WORDS for f in folded)
        if etype == "organization":
            return surface.isupper() and surface.isalpha()  # an acronym: "NATO", "SHAEF"
        return distinct_word(surface, body) and (
            placed(text, start, len(surface)) or world_place(surface)
        )
    if any(f in not_names() for f in folded):
        return False
    if any(ch.isdigit() for ch in surface) or surface.isupper():
        return False
    if len(words) == 1:
        if world_place(surface) and (is_country(surface) or not has_role_before(text, start)):
            return False
        return (
            distinct_word(surface, body)
            and (
                has_role_before(text, start)
                or on_own_line(text, start, surface)
                or not sentence_initial(text, start)
            )
        ) or singles[surface] >= 2
    return True


def split_at_and(found: Iterable[list[Tok]], heads: frozenset[str]) -> Iterator[list[Tok]]:
    """ "Security Council and the Trusteeship Council" is two bodies: a run is cut at "and"
    where the words on both sides name a body ("Division of Central America and Panama
    Affairs" stays whole)."""
    for run in found:
        cut = [k for k, t in enumerate(run) if t.word == "and"]
        parts, last = [], 0
        for k in cut:
            parts.append(run[last:k])
            last = k + 1
        parts.append(run[last:])
        if len(parts) > 1 and all(any(t.word.casefold() in heads for t in p) for p in parts):
            yield from parts
        else:
            yield run


def sentence_initial(text: str, start: int) -> bool:
    """Whether a word opens its sentence or line (where any word is capitalized)."""
    before = text[max(0, start - 4) : start].rstrip(" \t\"“‘'(")
    return not before or before[-1] in ".!?:;\n"


JOIN_WORDS = {"of", "the", "and", "for", "de", "du", "la", "von", "van", "der", "al"}


ROLE_BEFORE = re.compile(r"(?:\b(?:[Bb]y|[Ff]rom|FROM|[Ff]or|FOR|[Ss]igned|[Ss]igned:)|[(\[])\s*$")


KOREAN_GIVEN = re.compile(r"^[A-Z][a-z]{0,5}-[a-z]{1,5}$")


RUSSIAN_SURNAME = re.compile(
    r"(?:ov|ev|yov|in|yn|sky|skiy|skii|enko|ova|eva|ina|skaya|vich|yan|dze|shvili|uk|chuk)$"
)


INITIALS = re.compile(r"^(?:[A-Z]\. ?){1,3}(?=[A-Z][a-z])")


def distinct_word(word: str, body: str) -> bool:
    """A capitalized word that the document never writes in lower case, and no stop word."""
    low = word.casefold()
    if low in not_names() or low in stop_words() or len(low) < 3:
        return False
    return low not in words_of(body)


@lru_cache(maxsize=8)
def words_of(body: str) -> frozenset[str]:
    """The words of a text (runs of letters, digits and hyphens), once per text: asked of
    every candidate name of a document, so made once, not searched for each. A long
    text is read a piece at a time: a volume's words are never all listed at once. The
    entity stage clears the cache when a batch is done (it holds the bodies)."""
    words: set[str] = set()
    for start, end in pieces(body, 1 << 20):
        words.update(WORD.findall(body, start, end))
    return frozenset(words)


WORD = re.compile(r"[\w-]+")


PLACE_BEFORE = re.compile(
    r"\b(?:in|at|to|from|near|via|across|into|toward|towards|of|around|outside|inside)\s+"
    r"(?:the\s+)?$",
    re.I,
)


def placed(text: str, start: int, length: int) -> bool:
    """A one-word place where the sentence gives it a place's role: after a locative
    preposition ("in Trieste", "to Caserta"), or heading a dateline ("Vienna, May 2")."""
    if PLACE_BEFORE.search(text[max(0, start - 20) : start]):
        return True
    after = text[start + length : start + length + 40]
    return opens_line(text, start) and re.match(r",\s+\w+ \d", after) is not None


def opens_line(text: str, start: int) -> bool:
    """Nothing but spaces before ``start`` on its line. Read backwards from ``start``,
    never the whole line: a volume's text may be one line of millions of characters."""
    i = start
    while i > 0 and text[i - 1] != "\n" and text[i - 1].isspace():
        i -= 1
    return i == 0 or text[i - 1] == "\n"


def has_role_before(text: str, start: int) -> bool:
    before = text[max(0, start - 30) : start]
    words = before.split()
    if words and TITLES.match(words[-1]):
        return True
    return ROLE_BEFORE.search(before) is not None


def on_own_line(text: str, start: int, surface: str) -> bool:
    """``surface``, at ``start``, is all its line holds (but spaces and full stops after)."""
    return (
        not surface.endswith(".")
        and text.startswith(surface, start)
        and opens_line(text, start)
        and LINE_TAIL.match(text, start + len(surface)) is not None
    )


LINE_TAIL = re.compile(r"\.*[^\S\n]*(?:\n|\Z)")  # full stops, spaces, then the line's end


def type_by_shape(surface: str, label: str, text: str, start: int) -> str:
    """The recognizer's label, corrected where the name's shape is clear: a Korean surname
    with a given name, initials before a surname, or a Russian surname after a role word."""
    words = surface.split()
    if label != "person" and PERSON_TITLE_BEFORE.search(text[max(0, start - 14) : start]):
        return "person"  # "Lord Halifax", "Marshal Montgomery": a title names a person
    if SHIP.match(surface):
        return "vessel"  # "H.M.S. Sheffield": no person, and no entity type of ours
    if label == "organization" and world_place(surface):
        return "place"  # "Santiago, June 15": an organization named like a city is rare
    if len(words) == 1 and REPEATED_TO.search(text[max(0, start - 20) : start]):
        return "place"  # "Repeated to Caserta", "repeated Vienna 62": a post
    if (
        label == "person"
        and len(words) == 1
        and text[max(0, start - 4) : start] == "the "
        and next_word(text, start + len(surface)) not in NAMED_AFTER
    ):
        return "unknown"  # "the Azores": one word after an article names no person
    if label != "person" and (
        role_after(text, start + len(surface))
        or in_parentheses_after_office(text, start, len(surface))
    ):
        return "person"  # "Karpathy, Deputy Foreign Minister"; "the Ambassador in Chile (Bowers)"
    if label == "person":
        if words[-1].casefold().strip(".,") in ORG_HEADS:
            return "organization"  # "J. B. Lippincott Company"
        if world_place(surface, big=True) and (
            is_country(surface) or not has_role_before(text, start)
        ):
            return "place"  # "Bogotá", "Chile": the recognizer's person is a place
        after = text[start + len(surface) : start + len(surface) + 2]
        if (
            len(words) == 1
            and LOCATIVE_BEFORE.search(text[max(0, start - 16) : start])
            and not after.startswith(("'", "’"))
        ):
            return "place"  # "at Caserta", "near Trieste"
        return label
    if korean_personal_name(words):
        return "person"
    if INITIALS.match(surface) and len(words) <= 4 and words[-1].casefold() not in STOP_NOUNS:
        return "person"
    if (
        2 <= len(words) <= 3
        and all(w[:1].isupper() and w[1:].islower() for w in words)
        and RUSSIAN_SURNAME.search(words[-1])
        and not any(w.casefold() in not_names() or w.casefold() in GEO_TAILS for w in words)
        and not any(w.casefold() in institutions()["heads"] for w in words)
    ):
        return "person"  # "Nikola Petkov", "Dimiter Gitchev": a given name and a Slavic surname
    if (
        len(words) == 1
        and RUSSIAN_SURNAME.search(surface)
        and has_role_before(text, start)
        and not text[max(0, start - 3) : start].endswith(("(", "["))
    ):
        return "person"
    return label


# Nouns a person's name qualifies after "the": "the Oatis case", "the Rajk reburial".
NAMED_AFTER = {
    "case",
    "affair",
    "trial",
    "trials",
    "reburial",
    "funeral",
    "regime",
    "government",
    "plan",
    "doctrine",
    "group",
    "line",
    "mission",
    "visit",
    "talks",
    "report",
    "proposal",
    "administration",
    "era",
    "family",
    "faction",
    "cabinet",
}


def next_word(text: str, end: int) -> str:
    m = re.match(r"\s+([a-z]+)", text[end : end + 30])
    return m.group(1) if m else ""


PERSON_TITLE_BEFORE = re.compile(
    r"\b(?:(?:Mr|Mrs|Ms|Dr|Gen|Col|Adm|Sen|Cde|Mme|Prof|Capt|Maj)\.?|Miss|Minister|"
    r"Ambassador|General|Colonel|Admiral|Senator|Marshal|Comrade|Lord|Sir|Lady|Father|"
    r"Cardinal|Bishop|Madame|Monsieur|Herr|Señor|Senhor|Professor|Captain|Major)\s+$"
)


SPEECH_AFTER = re.compile(
    r"^\s+(?:said|says|stated|told|replied|asked|added|remarked|observed|explained|"
    r"declared|insisted|agreed|suggested|commented|indicated|inquired|answered|reported|"
    r"noted|urged|warned|proposed|promised|emphasized|emphasised|expressed|mentioned|"
    r"responded|wrote|thought|believed|felt|who)\b"
)


# "Name, the Office ..." / "Name, Adjective Office ...": a name and its office in apposition.
APPOSITION = re.compile(
    r"(?:^|(?<=[\s(\[\]]))(?P<name>(?:[A-Z][\w'’.-]+ ){0,3}[A-Z][\w'’-]+), (?:the )?"
    r"(?:[A-Z][\w'’-]+ ){0,3}(?P<office>[A-Z][a-zé]+)\b"
)


REPEATED_TO = re.compile(r"\b(?:[Rr]epeated|[Rr]ptd|[Ss]ent|[Ii]nfo)\s+(?:to\s+)?$")


LOCATIVE_BEFORE = re.compile(r"\b(?:in|at|near|via|across|into|off|outside|inside)\s+(?:the\s+)?$")


# Words after an initial that make it a list label ("Annex D. Study"), not a name.
STOP_NOUNS = {"study", "annex", "section", "part", "paragraph", "article", "appendix", "map"}


SHIP = re.compile(r"^(?:H\.?\s?M\.?\s?S|U\.?\s?S\.?\s?S|S\.?\s?S|R\.?\s?M\.?\s?S)\.?\s")


ORG_HEADS = {
    "company",
    "corporation",
    "corp",
    "inc",
    "ltd",
    "bank",
    "press",
    "university",
    "institute",
    "society",
    "association",
    "agency",
    "council",
    "commission",
    "committee",
    "party",
    "ministry",
    "embassy",
    "legation",
}


ROMAN = re.compile(r"^[IVXLC]+$")


APPARATUS_HEADINGS = {"notes", "footnotes", "endnotes", "references", "sources"}


PARENTHESIZED = re.compile(r"\(([A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+){0,2})\)")


SIGNATURE_LINE = re.compile(
    r"^\s*\[?([A-Z][\w'’-]+(?: (?:[A-Z]\.)+)?(?: [A-Z][\w'’-]+){0,2})\]?\.?\s*$"
)


def role_after(text: str, end: int) -> bool:
    """A name followed by its office in apposition: ", Deputy Foreign Minister"."""
    if not text.startswith(", ", end):
        return False
    phrase = re.split(r"[,.;:()\n]", text[end + 2 : end + 62], maxsplit=1)[0]
    words = phrase.split()[:5]
    if not words or not (words[0][:1].isupper() or words[0] == "the"):
        return False
    return any(w.casefold().strip("’'s") in institutions()["offices"] for w in words)


def in_parentheses_after_office(text: str, start: int, length: int) -> bool:
    """FRUS names an office holder in parentheses: "The Ambassador in Chile (Bowers)"."""
    if text[start + length : start + length + 1] != ")":
        return False
    before = text[max(0, start - 70) : start]
    return any(
        w.casefold().strip(".,") in institutions()["offices"]
        for w in re.findall(r"[A-Za-zé]+", before.rsplit("(", 1)[0])[-8:]
    ) and before.endswith("(")


def world_place(surface: str, big: bool = False) -> bool:
    """A country, a US state, or a city of 100,000 people (300,000 with ``big``: a city
    that a surname rarely shadows), by the GeoNames list."""
    found = world_places().get(surface)
    if found is None:
        return False
    kind, population = found
    return kind != "city" or population >= (300_000 if big else 100_000)


def is_city(surface: str) -> bool:
    return world_places().get(surface, ("", 0))[0] == "city"


def is_country(surface: str) -> bool:
    return world_places().get(surface, ("", 0))[0] == "country"


COORDINATED = re.compile(r"^(?:\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*|\s+to\s+)$")


@dataclass(frozen=True)
class Spans:
    """Spans of a field (the people or places seen in it), sorted both ways for
    bisection: a name's nearest neighbours are found without scanning the others."""

    by_end: list[tuple[int, int]]
    ends: list[int]
    by_start: list[tuple[int, int]]
    starts: list[int]

    @classmethod
    def of(cls, spans: list[tuple[int, int]]) -> Spans:
        by_end = sorted(spans, key=lambda s: (s[1], s[0]))
        by_start = sorted(spans)
        return cls(by_end, [b for _, b in by_end], by_start, [a for a, _ in by_start])

    def nearest(self, start: int, end: int) -> list[tuple[int, int]]:
        """The span that ends last before ``start`` and the one that starts first after
        ``end``: the only ones a list's separators alone can join to the name."""
        out = []
        i = bisect_right(self.ends, start) - 1
        if i >= 0:
            out.append(self.by_end[i])
        j = bisect_left(self.starts, end)
        if j < len(self.starts):
            out.append(self.by_start[j])
        return out


NO_SPANS = Spans.of([])


def coordinated_with(text: str, start: int, end: int, spans: Spans) -> bool:
    """A name listed with a person ("Pauker and Luca", "Gero, Farkas, Hazi"): one of them."""
    for a, b in spans.nearest(start, end):
        between = text[b:start] if b <= start else text[end:a] if a >= end else None
        if between is None or not COORDINATED.match(between):
            continue
        if between.strip() != "to":
            return True
        first = min(a, start)  # "from Beam to Murphy": a memorandum's two parties
        if text[max(0, first - 5) : first] == "from ":
            return True
    return False


def korean_personal_name(words: list[str]) -> bool:
    """'Yun Ki-bok', 'Han Sol Mi': a Korean surname, then a given name of two syllables."""
    if len(words) not in (2, 3) or words[0] not in korean_surnames():
        return False
    given = words[1:]
    if len(given) == 1:
        return KOREAN_GIVEN.match(given[0]) is not None
    return all(
        g[:1].isupper() and g[1:].islower() and len(g) <= 5 and g.casefold() not in GEO_TAILS
        for g in given
    )


def last_name_before(text: str, end: int) -> tuple[int, int, str] | None:
    """The capitalized word run that ends just before ``end`` (for 'Mun [Mun Il]')."""
    m = re.search(r"([A-Z][\w'’\-]*(?:\s[A-Z][\w'’\-]*){0,3})\s?$", text[max(0, end - 60) : end])
    if not m:
        return None
    start = max(0, end - 60) + m.start(1)
    return start, start + len(m.group(1)), m.group(1)


def office_before(text: str, paren: int) -> str:
    """The office named right before a parenthesis: "the Chief of the Division of
    Brazilian Affairs (" gives "Chief of the Division of Brazilian Affairs"."""
    before = text[max(0, paren - 120) : paren].rstrip()
    words = re.findall(r"[\w'’.-]+", before)
    offices = institutions()["offices"]
    for k in range(len(words) - 1, -1, -1):
        if words[k].casefold().strip(".") in offices:
            first = k
            while first > 0 and words[first - 1][:1].isupper() and words[first - 1] not in ("The",):
                first -= 1
            return " ".join(words[first:])
    return ""
