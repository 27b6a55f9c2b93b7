"""The fonds query language: a pure parser from text to a small tree of dataclasses.

    Kim Il Sung Ongjin                  words (all must match)
    "Secretary of State"                a phrase
    Stalin OR Filippov, Stalin | Mao    either
    -Molotov, NOT Molotov               exclusion
    negotiat*                           prefix (at least 3 letters before the *)
    (Ongjin OR Kaesong) -Rhee           grouping
    person:"Kim Il" type:telegram       field filters, quoted or bare values
    date:1950-04..1950-06 date:1950 date:..1950-06
    sort:date sort:-date sort:relevance

AND binds tighter than OR: ``a b OR c`` is ``(a b) OR c``. ``parse`` never raises
anything but :class:`QuerySyntaxError`, and ``parse(render(q)) == q`` for every
query it returns. Names are not resolved here: the planner does that.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import Any

from fonds.errors import QuerySyntaxError
from fonds.search.lexer import FIELDS as FIELDS  # re-exported: the filter names
from fonds.search.lexer import Token, clean, lex
from fonds.settings import Settings

SORTS = ("relevance", "date", "-date")
MAX_QUERY_CHARS = Settings.max_query_chars
MAX_CLAUSES = 64
MAX_DEPTH = 16
MIN_PREFIX = 3


# -- the tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One word as typed (case kept, for name resolution and display)."""

    text: str


@dataclass(frozen=True)
class Phrase:
    """Words in quotes, whitespace collapsed."""

    text: str


@dataclass(frozen=True)
class Prefix:
    """A word stem followed by ``*``: every word starting with it (capped)."""

    stem: str


@dataclass(frozen=True)
class Filter:
    """A field filter such as ``person:"Kim Il"``; ``name`` is one of FIELDS."""

    name: str
    value: str


@dataclass(frozen=True)
class DateRange:
    """``date:`` bounds as typed (``1950``, ``1950-04``, ``1950-04-25``); None is open."""

    start: str | None
    end: str | None

    def bounds(self) -> tuple[int | None, int | None]:
        """The first and last day covered, as YYYYMMDD integers."""
        return (
            _day_number(self.start, first=True) if self.start else None,
            _day_number(self.end, first=False) if self.end else None,
        )


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Phrase | Prefix | Filter | DateRange | Not | And | Or


@dataclass(frozen=True)
class Query:
    """A parsed query: the tree (None when only ``sort:`` was given) and the sort order."""

    root: Node | None
    sort: str | None = None


_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


# -- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sort:
    """A ``sort:`` option while parsing; lifted out of the tree at the end."""

    value: str
    col: int


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.clauses = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse_or(self) -> Node | _Sort:
        first = self.peek()
        if first.kind == "OR":
            raise QuerySyntaxError(
                f"{first.text} at column {first.col} needs something to search for before it"
            )
        items = [self.parse_and()]
        while self.peek().kind == "OR":
            op = self.take()
            if self.peek().kind in ("EOF", "RPAREN", "OR", "AND"):
                raise QuerySyntaxError(
                    f"{op.text} at column {op.col} needs something to search for after it"
                )
            items.append(self.parse_and())
        return _or(items) if len(items) > 1 else items[0]

    def parse_and(self) -> Node | _Sort:
        items: list[Node | _Sort] = []
        while True:
            tok = self.peek()
            if tok.kind in ("EOF", "RPAREN", "OR"):
                break
            if tok.kind == "AND":
                self.take()
                if not items:
                    raise QuerySyntaxError(
                        f"AND at column {tok.col} needs something to search for before it"
                    )
                if self.peek().kind in ("EOF", "RPAREN", "OR", "AND"):
                    raise QuerySyntaxError(
                        f"AND at column {tok.col} needs something to search for after it"
                    )
                continue
            items.append(self.parse_unary())
        if not items:
            tok = self.peek()
            if tok.kind == "RPAREN":
                raise QuerySyntaxError(f"unmatched ')' at column {tok.col}: remove it or add '('")
            raise QuerySyntaxError(
                'empty query: type a word, a "phrase" or a filter such as person:"Kim Il Sung"'
            )
        return _and(items) if len(items) > 1 else items[0]

    def parse_unary(self) -> Node | _Sort:
        tok = self.peek()
        if tok.kind in ("NEG", "NOT"):
            self.take()
            nxt = self.peek()
            if nxt.kind in ("EOF", "RPAREN", "OR", "AND"):
                raise QuerySyntaxError(
                    f"{tok.text} at column {tok.col} must be followed by what to exclude, "
                    'e.g. -Molotov or NOT "Secretary of State"'
                )
            self._enter(tok)
            child = self.parse_unary()
            self.depth -= 1
            if isinstance(child, _Sort):
                raise QuerySyntaxError(
                    f"sort: at column {child.col} cannot be excluded; use sort:-date to reverse"
                )
            return child.child if isinstance(child, Not) else Not(child)
        return self.parse_primary()

    def parse_primary(self) -> Node | _Sort:
        tok = self.take()
        if tok.kind == "LPAREN":
            self._enter(tok)
            if self.peek().kind == "EOF":
                raise QuerySyntaxError(
                    f"unclosed '(' at column {tok.col}: add ')' or remove the '('"
                )
            if self.peek().kind == "RPAREN":
                raise QuerySyntaxError(f"empty parentheses at column {tok.col}: remove them")
            inner = self.parse_or()
            close = self.take()
            if close.kind != "RPAREN":
                raise QuerySyntaxError(
                    f"unclosed '(' at column {tok.col}: add ')' or remove the '('"
                )
            self.depth -= 1
            return inner
        if tok.kind == "RPAREN":
            raise QuerySyntaxError(f"unmatched ')' at column {tok.col}: remove it or add '('")
        self._count(tok)
        if tok.kind == "PHRASE":
            if not tok.text:
                raise QuerySyntaxError(
                    f"empty quotes at column {tok.col}: put words between them or remove them"
                )
            return Phrase(tok.text)
        if tok.kind == "FIELD":
            return _field(tok)
        if tok.kind == "WORD":
            return _word(tok)
        raise QuerySyntaxError(f"unexpected {tok.text!r} at column {tok.col}")  # pragma: no cover

    def _enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QuerySyntaxError(
                f"the query nests too deep at column {tok.col} (at most {MAX_DEPTH} levels of "
                "parentheses or exclusions): simplify it"
            )

    def _count(self, tok: Token) -> None:
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise QuerySyntaxError(
                f"the query has more than {MAX_CLAUSES} words, phrases and filters (at column "
                f"{tok.col}): keep the most distinctive ones"
            )


def _and(items: list[Node | _Sort]) -> Node | _Sort:
    flat: list[Node | _Sort] = []
    for item in items:
        flat.extend(item.children if isinstance(item, And) else [item])
    return And(tuple(flat))  # type: ignore[arg-type]  # sorts are lifted or rejected later


def _or(items: list[Node | _Sort]) -> Node:
    flat: list[Node] = []
    for item in items:
        if isinstance(item, _Sort):
            raise QuerySyntaxError(
                f"sort: at column {item.col} applies to the whole query; "
                "put it outside OR and parentheses"
            )
        flat.extend(item.children if isinstance(item, Or) else [item])
    return Or(tuple(flat))


def _word(tok: Token) -> Node:
    word = tok.text
    star = word.find("*")
    if star < 0:
        return Term(word)
    if star != len(word) - 1 or word.count("*") > 1:
        raise QuerySyntaxError(
            f"'*' at column {tok.col + star} can only end a word (prefix search), e.g. negotiat*"
        )
    stem = word[:-1]
    if sum(c.isalnum() for c in stem) < MIN_PREFIX:
        raise QuerySyntaxError(
            f"'{word}' at column {tok.col}: a prefix needs at least {MIN_PREFIX} letters "
            "before the '*', e.g. negotiat*"
        )
    return Prefix(stem)


def _field(tok: Token) -> Node | _Sort:
    name, value = tok.text, tok.value.strip()
    if not value:
        example = {"date": "date:1950-04..1950-06", "sort": "sort:date"}.get(
            name,
            f'{name}:"Kim Il Sung"'
            if name in ("person", "sender", "recipient")
            else f"{name}:{_FIELD_EXAMPLES.get(name, 'value')}",
        )
        raise QuerySyntaxError(f"{name}: at column {tok.col} needs a value, e.g. {example}")
    if name == "sort":
        if value not in SORTS:
            raise QuerySyntaxError(
                f"sort:{value} at column {tok.col}: sort by relevance, date or -date (newest first)"
            )
        return _Sort(value, tok.col)
    if name == "date":
        return _date(value, tok.col)
    return Filter(name, value)


_FIELD_EXAMPLES = {
    "place": "Ongjin",
    "org": '"Central Committee"',
    "archive": "APRF",
    "type": "telegram",
    "lang": "Russian",
    "classification": '"Top Secret"',
}


def _date(value: str, col: int) -> DateRange:
    sep = ".." if ".." in value else "/" if "/" in value else None
    start, end = value.split(sep, 1) if sep else (value, value)
    start, end = start.strip() or None, end.strip() or None
    if start is None and end is None:
        raise QuerySyntaxError(f"date:{value} at column {col} needs at least one date")
    for part in (start, end):
        if part is not None:
            _check_date(part, value, col)
    rng = DateRange(start, end)
    lo, hi = rng.bounds()
    if lo is not None and hi is not None and lo > hi:
        raise QuerySyntaxError(
            f"date:{value} at column {col} ends before it starts: swap the two dates"
        )
    return rng


def _check_date(part: str, value: str, col: int) -> None:
    m = _DATE_RE.fullmatch(part)
    hint = "write dates as 1950, 1950-04 or 1950-04-25, ranges as 1950-04..1950-06"
    if not m:
        raise QuerySyntaxError(f"date:{value} at column {col} is not a date: {hint}")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    if year == 0 or (month and not 1 <= int(month) <= 12):
        raise QuerySyntaxError(f"date:{value} at column {col} is not a date: {hint}")
    if day and not 1 <= int(day) <= calendar.monthrange(year, int(month))[1]:
        raise QuerySyntaxError(f"date:{value} at column {col}: no such day; {hint}")


def _day_number(text: str, first: bool) -> int:
    parts = [int(p) for p in text.split("-")]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else (1 if first else 12)
    last = calendar.monthrange(year, month)[1]
    day = parts[2] if len(parts) > 2 else (1 if first else last)
    return year * 10000 + month * 100 + day


def parse(text: str, *, max_chars: int = MAX_QUERY_CHARS) -> Query:
    """Parse a query.

    Args:
        text: the query as typed.
        max_chars: longer queries are refused (a named setting, ``max_query_chars``).

    Returns:
        The :class:`Query`.

    Raises:
        QuerySyntaxError: with what went wrong, at which column, and what to try.
    """
    if not isinstance(text, str):
        raise QuerySyntaxError("the query must be text")
    if len(text) > max_chars:
        raise QuerySyntaxError(
            f"the query is {len(text):,} characters long; the limit is {max_chars:,}. "
            "Search for the most distinctive words or names instead"
        )
    parser = _Parser(lex(text))
    if parser.peek().kind == "EOF":
        raise QuerySyntaxError(
            'empty query: type a word, a "phrase" or a filter such as person:"Kim Il Sung"'
        )
    root = parser.parse_or()
    tok = parser.peek()
    if tok.kind != "EOF":  # only a ')' can stop the top level early
        raise QuerySyntaxError(f"unmatched ')' at column {tok.col}: remove it or add '('")
    return _lift_sort(root)


def _lift_sort(root: Node | _Sort) -> Query:
    if isinstance(root, _Sort):
        return Query(None, root.value)
    if not isinstance(root, And):
        _reject_nested_sort(root)
        return Query(root)
    for child in root.children:
        if not isinstance(child, _Sort):
            _reject_nested_sort(child)
    sorts = [c for c in root.children if isinstance(c, _Sort)]
    if len(sorts) > 1:
        raise QuerySyntaxError(
            f"sort: is given twice (columns {sorts[0].col} and {sorts[1].col}): keep one"
        )
    rest = tuple(c for c in root.children if not isinstance(c, _Sort))
    sort = sorts[0].value if sorts else None
    if not rest:  # pragma: no cover - an And has two children, at most one a sort
        return Query(None, sort)
    return Query(rest[0] if len(rest) == 1 else And(rest), sort)


def _reject_nested_sort(node: Node | _Sort) -> None:
    if isinstance(node, _Sort):
        raise QuerySyntaxError(
            f"sort: at column {node.col} applies to the whole query; "
            "put it outside parentheses, OR and exclusions"
        )
    if isinstance(node, Not):
        _reject_nested_sort(node.child)
    elif isinstance(node, And | Or):
        for child in node.children:
            _reject_nested_sort(child)


# -- rendering -------------------------------------------------------------------------------

_BARE_VALUE = re.compile(r'[^\s()"|]+')


def render(query: Query | Node) -> str:
    """The canonical text of a query: ``parse(render(q)) == q``."""
    if isinstance(query, Query):
        parts = [render_node(query.root)] if query.root is not None else []
        if query.sort and isinstance(query.root, Or):
            parts = [f"({parts[0]})"]  # else the sort would bind to the last alternative
        if query.sort:
            parts.append(f"sort:{query.sort}")
        return " ".join(parts)
    return render_node(query)


def render_node(node: Node) -> str:
    if isinstance(node, Term):
        return node.text
    if isinstance(node, Phrase):
        return f'"{node.text}"'
    if isinstance(node, Prefix):
        return f"{node.stem}*"
    if isinstance(node, Filter):
        return render_filter(node.name, node.value)
    if isinstance(node, DateRange):
        if node.start == node.end:
            return f"date:{node.start}"
        return f"date:{node.start or ''}..{node.end or ''}"
    if isinstance(node, Not):
        inner = render_node(node.child)
        return f"-({inner})" if isinstance(node.child, And | Or) else f"-{inner}"
    if isinstance(node, And):
        return " ".join(
            f"({render_node(c)})" if isinstance(c, Or) else render_node(c) for c in node.children
        )
    if isinstance(node, Or):
        return " OR ".join(render_node(c) for c in node.children)
    raise TypeError(f"not a query node: {node!r}")


def render_filter(name: str, value: str) -> str:
    """``name:value``, quoted when the value needs it (for building queries from options)."""
    if '"' in value:
        raise QuerySyntaxError(f"a {name}: value cannot contain a double quote: {value!r}")
    value = clean(value)
    return f"{name}:{value}" if _BARE_VALUE.fullmatch(value) else f'{name}:"{value}"'


def positive_nodes(node: Any) -> list[Any]:
    """The leaves of a tree (a query's or a plan's) not under an exclusion."""
    if node is None or isinstance(node, Not):
        return []
    if isinstance(node, And | Or):
        return [leaf for c in node.children for leaf in positive_nodes(c)]
    return [node]
