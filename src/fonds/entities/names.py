"""Name keys derived by rule, so that one authority entry covers every romanization.

Two keys per name:

- the *plain* key: case, diacritics, apostrophes, hyphens and spaces folded, honorifics
  dropped, OCR "II" read as "Il" ("Pak Heon-yeong" → "pakheonyeong");
- the *phonetic* key: the plain key with romanization differences folded — Korean
  eo/o, eu/u, k/g, t/d, p/b, ch/j (McCune–Reischauer, Revised Romanization, DPRK
  forms, shi/si), Wade–Giles to Pinyin (ch/zh/q, ts/z/c, hs/x, -ung/-ong, yi/i), Russian
  -sky/-skii/-skiy and -iy/-ii/-y endings, doubled letters ("Pak Hon Yong" and
  "Pak Heon-yeong" → "baghonyong"; "Chou En-lai" and "Zhou Enlai" → "jouenlai").

The plain key identifies; the phonetic key only proposes, and is trusted only when
exactly one entity answers to it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

HONORIFICS = {
    "cde",
    "cdes",
    "comrade",
    "comrades",
    "tov",
    "tovarishch",
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "sir",
    "lord",
    "madame",
    "mme",
    "monsieur",
    "general",
    "gen",
    "generalissimo",
    "marshal",
    "admiral",
    "adm",
    "colonel",
    "col",
    "lieutenant",
    "lt",
    "major",
    "maj",
    "captain",
    "capt",
    "ambassador",
    "amb",
    "minister",
    "chairman",
    "premier",
    "president",
    "secretary",
    "senator",
    "sen",
    "prof",
    "professor",
    "rev",
    "father",
    "deputy",
    "commander",
    "comdr",
    "prince",
    "king",
    "emperor",
    "consul",
    "counselor",
    "counsellor",
    "adviser",
    "advisor",
    "envoy",
    "representative",
    "delegate",
    "the",
}
# Surface forms whose keys are kept (each of three caches, some 6 MB when full): the
# names that recur across documents are not worked out again.
NAME_CACHE = 50_000
OCR_IL = {"ii", "i1", "1i", "1l", "l1", "ll"}
_OCR_CAPITAL_I = re.compile(r"(?<=[a-z])I(?=[a-z]|\b)")
_APOSTROPHES = re.compile(r"[’'ʼ`´‘ʻʿ]")
_NON_WORD = re.compile(r"[^\w ]+|_")
_POSSESSIVE = re.compile(r"(?:['’]s|s['’])$")

# Applied in order to the joined plain key; see the module docstring.
_PHONETIC = [
    ("shi", "si"),  # Korean 시: Kim Shi-yong, Kim Si Yong
    ("cs", "cz"),  # Hungarian and Polish spellings of one sound: Boldocsky, Boldoczki
    ("ie", "e"),  # Russian е written ie: Vassilievski, Vasilevsky
    ("yev", "ev"),  # Russian -yev/-ev: Dorofeyev, Dorofeev
    ("tch", "j"),
    ("zh", "j"),
    ("ch", "j"),
    ("q", "j"),
    ("tz", "z"),
    ("ts", "z"),
    ("c", "z"),
    ("hs", "x"),
    ("ph", "b"),
    ("th", "d"),
    ("kh", "g"),
    ("k", "g"),
    ("t", "d"),
    ("p", "b"),
    ("eo", "o"),
    ("ou", "u"),  # French transliteration of Russian: Zaroubin, Zarubin
    ("eu", "u"),
    ("ae", "e"),
    ("ung", "ong"),
    ("yi", "i"),
    ("w", "u"),
    ("y", "i"),
]


def strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_tokens(name: str) -> list[str]:
    """Lower-case tokens of a name, without diacritics, apostrophes, honorifics or 's."""
    return list(_name_tokens(name))


@lru_cache(maxsize=NAME_CACHE)
def _name_tokens(name: str) -> tuple[str, ...]:
    # OCR reads a lower-case l as a capital I inside a word ("StaIin", "MaIenkov").
    text = _POSSESSIVE.sub("", _OCR_CAPITAL_I.sub("l", name.strip()))
    text = _APOSTROPHES.sub("", strip_diacritics(text).casefold())
    text = text.replace("-", " ").replace(".", " ")
    tokens = _NON_WORD.sub(" ", text).split()
    while len(tokens) > 1 and tokens[0] in HONORIFICS:
        tokens = tokens[1:]
    return tuple("il" if t in OCR_IL else t for t in tokens)


@lru_cache(maxsize=NAME_CACHE)
def plain_key(name: str) -> str:
    return "".join(name_tokens(name))


def _token_phonetic(token: str) -> str:
    for ending in ("skiy", "skii", "skij", "sky"):
        if token.endswith(ending):
            return token[: -len(ending)] + "ski"
    for ending, repl in (("iy", "i"), ("ij", "i"), ("ii", "i"), ("eh", "e"), ("ih", "i")):
        if token.endswith(ending) and len(token) >= 3:
            return token[: -len(ending)] + repl
    if token.endswith("y") and len(token) > 3:
        return token[:-1] + "i"
    return token


@lru_cache(maxsize=NAME_CACHE)
def phonetic_key(name: str) -> str:
    key = "".join(_token_phonetic(t) for t in name_tokens(name))
    for old, new in _PHONETIC:
        key = key.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", key)


def name_keys(name: str) -> tuple[str, str]:
    return plain_key(name), phonetic_key(name)


def slugify(name: str) -> str:
    text = _APOSTROPHES.sub("", strip_diacritics(name).casefold())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "x"


def discovered_id(etype: str, name: str) -> str:
    """The id of a discovered name, made from the name alone. A person of two or more
    name words gets the romanization-folded form of the first word and of the rest
    written together, so that "Ri Chang-hyon" and "Ri Chang Hyeon" (person-ri-janghyon),
    "Zhao Mingshan" and "Chao Ming-shan", "Arkady Dorofeev" and "Arkadii Dorofeyev",
    "Jean de Matha Thomas" and "Jean Dematha Thomas" meet whatever the order of ingest;
    other names get their slug (case and accents folded)."""
    prefix = etype if etype != "organization" else "org"
    tokens = name_tokens(name)
    if etype == "person" and len(tokens) >= 2:
        return f"{prefix}-{phonetic_key(tokens[0])}-{phonetic_key(''.join(tokens[1:]))}"
    return f"{prefix}-{slugify(name)}"


def _skeleton(name: str) -> str:
    """A name's consonants after romanization folding (x written ks): its transliterations
    differ mostly in vowels."""
    key = phonetic_key(name).replace("x", "gs")
    return key[:1] + re.sub(r"[aeiouy]", "", key[1:])


PATRONYMIC = re.compile(r"(?:ovich|evich|ovitch|evitch|ich|ovna|evna|ichna)$")


def initials_agree(a: list[str], b: list[str]) -> bool:
    """Whether two lists of given names or initials can name one person. A Russian
    patronymic may be left out ("Kliment Voroshilov", "Klimentiy Efremovich Voroshilov"),
    and a given name may be spelled otherwise ("Kliment", "Klimentiy")."""
    if len(a) != len(b):
        a = [x for x in a if len(x) == 1 or not PATRONYMIC.search(x)] or a
        b = [y for y in b if len(y) == 1 or not PATRONYMIC.search(y)] or b
    for x, y in zip(a, b, strict=False):
        if x[0] != y[0]:
            return False
        if len(x) > 1 and len(y) > 1 and not same_given_name(x, y):
            return False
    return True


def same_given_name(x: str, y: str) -> bool:
    """Spellings of one given name: "Kliment"/"Klimentiy", "Alexander"/"Aleksandr"."""
    if x == y or phonetic_key(x) == phonetic_key(y) or _skeleton(x) == _skeleton(y):
        return True
    short, long_ = sorted((x, y), key=len)
    return len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 2
