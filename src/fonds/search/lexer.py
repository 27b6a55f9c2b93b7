"""Lexing the fonds query language: text to tokens with their columns.

Whitespace and control characters separate tokens; zero-width and other format
characters are dropped. ``(``, ``)``, ``|`` and ``"`` stand alone; ``-`` before a word
excludes it; ``name:value`` is a field when ``name`` is one (unknown names are an
error unless nothing follows the colon, as in "Note:").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from fonds.errors import QuerySyntaxError

FIELDS = (
    "person",
    "place",
    "org",
    "sender",
    "recipient",
    "archive",
    "type",
    "lang",
    "classification",
)
FIELD_ALIASES = {
    "organization": "org",
    "organisation": "org",
    "language": "lang",
    "doc_type": "type",
}
FIELD_HELP = ", ".join(f"{f}:" for f in (*FIELDS, "date", "sort"))

_DELIMS = set('()"|')
_FIELD_RE = re.compile(r"([A-Za-z_]+):(.*)", re.DOTALL)


@dataclass
class Token:
    kind: str  # WORD PHRASE FIELD LPAREN RPAREN OR AND NOT NEG EOF
    text: str
    col: int  # 1-based column in the query
    value: str = ""  # FIELD: the value; FIELD name is in text


def _is_space(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) == "Cc"


def _is_ignorable(ch: str) -> bool:
    # zero-width and other format characters (soft hyphen, BOM, ZWSP) carry no text
    return unicodedata.category(ch) == "Cf"


def clean(text: str) -> str:
    out = "".join(" " if _is_space(c) else c for c in text if not _is_ignorable(c))
    return " ".join(out.split())


def lex(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if _is_space(ch) or _is_ignorable(ch):
            i += 1
            continue
        col = i + 1
        if ch == "(":
            tokens.append(Token("LPAREN", ch, col))
            i += 1
        elif ch == ")":
            tokens.append(Token("RPAREN", ch, col))
            i += 1
        elif ch == "|":
            tokens.append(Token("OR", ch, col))
            i += 1
        elif ch == '"':
            content, i = _quoted(text, i)
            tokens.append(Token("PHRASE", content, col))
        elif ch == "-" and i + 1 < n and not _is_space(text[i + 1]) and text[i + 1] not in ")|-":
            # "-word" excludes; a dash before a space, ")" or another dash is punctuation
            tokens.append(Token("NEG", ch, col))
            i += 1
        else:
            start = i
            while i < n and not _is_space(text[i]) and text[i] not in _DELIMS:
                i += 1
            word = "".join(c for c in text[start:i] if not _is_ignorable(c)).lstrip("-")
            if not word:
                continue  # a free-standing dash ("1950 - 1953", "--") means nothing
            if word in ("OR", "AND", "NOT"):
                tokens.append(Token(word, word, col))
                continue
            m = _FIELD_RE.fullmatch(word)
            name = m.group(1).lower() if m else ""
            name = FIELD_ALIASES.get(name, name)
            if m and (name in FIELDS or name in ("date", "sort")):
                value = m.group(2)
                if not value and i < n and text[i] == '"':
                    value, i = _quoted(text, i)
                tokens.append(Token("FIELD", name, col, value))
            elif m and m.group(2):
                raise QuerySyntaxError(
                    f'unknown field "{m.group(1)}:" at column {col}; the fields are {FIELD_HELP}. '
                    f'To search for the text itself, put it in quotes: "{clean(word)}"'
                )
            else:
                tokens.append(Token("WORD", word, col))
    tokens.append(Token("EOF", "", n + 1))
    return tokens


def _quoted(text: str, i: int) -> tuple[str, int]:
    """The cleaned content of the quotes opening at ``i`` and the index after them."""
    end = text.find('"', i + 1)
    if end < 0:
        raise QuerySyntaxError(
            f'unclosed quote at column {i + 1}: add a closing " or remove the opening one'
        )
    return clean(text[i + 1 : end]), end + 1
