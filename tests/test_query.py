"""The query language: examples, clear errors, and properties over any input."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fonds.errors import QuerySyntaxError
from fonds.search.query import (
    FIELDS,
    SORTS,
    And,
    DateRange,
    Filter,
    Not,
    Or,
    Phrase,
    Prefix,
    Query,
    Term,
    parse,
    render,
    render_filter,
)

T = Term


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kim Il Sung", Query(And((T("Kim"), T("Il"), T("Sung"))))),
        ('"Secretary of State"', Query(Phrase("Secretary of State"))),
        ('"  Secretary \n of  State "', Query(Phrase("Secretary of State"))),
        ("Stalin OR Filippov", Query(Or((T("Stalin"), T("Filippov"))))),
        ("Stalin | Filippov | Mao", Query(Or((T("Stalin"), T("Filippov"), T("Mao"))))),
        ("a b OR c", Query(Or((And((T("a"), T("b"))), T("c"))))),
        ("a (b OR c)", Query(And((T("a"), Or((T("b"), T("c"))))))),
        ("a AND b", Query(And((T("a"), T("b"))))),
        ("-Molotov", Query(Not(T("Molotov")))),
        ("NOT Molotov", Query(Not(T("Molotov")))),
        ("NOT -Molotov", Query(T("Molotov"))),
        ("-(a OR b)", Query(Not(Or((T("a"), T("b")))))),
        ("Pak Hon-yong", Query(And((T("Pak"), T("Hon-yong"))))),
        ("1950 - 1953", Query(And((T("1950"), T("1953"))))),
        ("negotiat*", Query(Prefix("negotiat"))),
        ('person:"Kim Il"', Query(Filter("person", "Kim Il"))),
        ("Person:Stalin", Query(Filter("person", "Stalin"))),
        ("language:Russian", Query(Filter("lang", "Russian"))),
        ("organization:CPSU", Query(Filter("org", "CPSU"))),
        ('type:"record of conversation"', Query(Filter("type", "record of conversation"))),
        ("date:1950-04..1950-06", Query(DateRange("1950-04", "1950-06"))),
        ("date:1950", Query(DateRange("1950", "1950"))),
        ("date:..1950-06", Query(DateRange(None, "1950-06"))),
        ("date:1950-04-25/1950-05-01", Query(DateRange("1950-04-25", "1950-05-01"))),
        ("Ongjin sort:date", Query(T("Ongjin"), "date")),
        ("sort:-date", Query(None, "-date")),
        ("a (b sort:relevance)", Query(And((T("a"), T("b"))), "relevance")),
        ("Note: Korea", Query(And((T("Note:"), T("Korea"))))),
        ("12:30", Query(T("12:30"))),
        ("a\x00b\x07c\u200bd", Query(And((T("a"), T("b"), T("cd"))))),
    ],
)
def test_examples(text: str, expected: Query) -> None:
    assert parse(text) == expected


def test_date_bounds_are_days() -> None:
    assert DateRange("1950-02", "1950-02").bounds() == (19500201, 19500228)
    assert DateRange("1952", None).bounds() == (19520101, None)
    assert DateRange(None, "1948-02").bounds() == (None, 19480229)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"unclosed', 'unclosed quote at column 1: add a closing "'),
        ("NEAR(", "unclosed '(' at column 5"),
        ("AND", "AND at column 1 needs something to search for before it"),
        ("a AND", "AND at column 3 needs something to search for after it"),
        ("*", "a prefix needs at least 3 letters"),
        ("ab*", "a prefix needs at least 3 letters"),
        ("a*b", "'*' at column 2 can only end a word"),
        (")", "unmatched ')' at column 1"),
        ("a )", "unmatched ')' at column 3"),
        ("()", "empty parentheses at column 1"),
        ("person:", 'person: at column 1 needs a value, e.g. person:"Kim Il Sung"'),
        ('place:""', "place: at column 1 needs a value"),
        ("x" * 10240, "the query is 10,240 characters long; the limit is 2,000"),
        ("", "empty query"),
        ("   \t ", "empty query"),
        ('""', "empty quotes at column 1"),
        ("OR a", "OR at column 1 needs something to search for before it"),
        ("a |", "| at column 3 needs something to search for after it"),
        ("-", "empty query"),
        ("NOT", "NOT at column 1 must be followed by what to exclude"),
        ("foo:bar", 'unknown field "foo:" at column 1'),
        ("date:1950-13", "is not a date"),
        ("date:1950-02-30", "no such day"),
        ("date:1951..1950", "ends before it starts"),
        ("date:..", "needs at least one date"),
        ("sort:title", "sort by relevance, date or -date"),
        ("a sort:date sort:-date", "sort: is given twice"),
        ("a OR sort:date", "applies to the whole query"),
        ("-sort:date", "cannot be excluded"),
        ("(" * 20 + "a" + ")" * 20, "nests too deep"),
        (" ".join(["w"] * 70), "more than 64 words"),
    ],
)
def test_errors_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as err:
        parse(text)
    assert message in str(err.value)


def test_render_filter_quotes_when_needed() -> None:
    assert render_filter("person", "Stalin") == "person:Stalin"
    assert render_filter("person", "Kim Il") == 'person:"Kim Il"'
    with pytest.raises(QuerySyntaxError):
        render_filter("person", 'Kim "Il"')


# -- properties ----------------------------------------------------------------------------

TRICKY = [
    *'()"|-*: \t\n\x00\x1b\u200b\u00a0',
    *("OR", "AND", "NOT", "person:", "date:", "sort:", "..", "1950", "é", "Ким"),
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=6)), max_size=25))
def test_any_text_parses_or_raises_a_query_error(pieces: list[str]) -> None:
    text = "".join(pieces)
    try:
        query = parse(text)
    except QuerySyntaxError as err:
        assert str(err)
        return
    assert parse(render(query)) == query


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_unicode_parses_or_raises_a_query_error(text: str) -> None:
    try:
        query = parse(text)
    except QuerySyntaxError:
        return
    assert parse(render(query)) == query


_letters = st.characters(categories=["Lu", "Ll", "Lo", "Nd"])
words = st.text(_letters, min_size=1, max_size=8).filter(lambda w: w not in ("OR", "AND", "NOT"))
hyphenated = st.builds(lambda a, b: f"{a}-{b}", words, words)
bare_word = st.one_of(words, hyphenated)
phrase_text = st.lists(
    st.one_of(words, st.sampled_from(["(", ")", "|", "-x", "*", "a:b"])), min_size=1, max_size=4
).map(" ".join)
prefix_stem = st.text(st.characters(categories=["Ll", "Lu"]), min_size=3, max_size=8)


@st.composite
def dates(draw: st.DrawFn) -> DateRange:
    def one() -> str:
        year = draw(st.integers(1900, 2000))
        month = draw(st.integers(1, 12))
        day = draw(st.integers(1, 28))
        form = draw(st.sampled_from(["y", "m", "d"]))
        return {"y": f"{year}", "m": f"{year}-{month:02d}", "d": f"{year}-{month:02d}-{day:02d}"}[
            form
        ]

    a, b = one(), one()
    rng = DateRange(a, b)
    lo, hi = rng.bounds()
    if lo > hi:  # type: ignore[operator]
        rng = DateRange(b, a)
        lo, hi = rng.bounds()
        if lo > hi:  # type: ignore[operator]  # "1950" vs "1950-03": make it equal
            rng = DateRange(a, a)
    which = draw(st.sampled_from(["both", "from", "to"]))
    return {"both": rng, "from": DateRange(rng.start, None), "to": DateRange(None, rng.end)}[which]


leaves = st.one_of(
    bare_word.map(Term),
    phrase_text.map(Phrase),
    prefix_stem.map(Prefix),
    st.builds(Filter, st.sampled_from(FIELDS), st.one_of(bare_word, phrase_text)),
    dates(),
)


def _and(children: list) -> And:
    flat = []
    for c in children:
        flat.extend(c.children if isinstance(c, And) else [c])
    return And(tuple(flat))


def _or(children: list) -> Or:
    flat = []
    for c in children:
        flat.extend(c.children if isinstance(c, Or) else [c])
    return Or(tuple(flat))


def _not(child):  # type: ignore[no-untyped-def]
    return child.child if isinstance(child, Not) else Not(child)


trees = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(_and),
        st.lists(inner, min_size=2, max_size=3).map(_or),
        inner.map(_not),
    ),
    max_leaves=10,
)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        trees.map(Query),
        st.builds(Query, trees, st.sampled_from(SORTS)),
        st.sampled_from(SORTS).map(lambda s: Query(None, s)),
    )
)
def test_render_then_parse_gives_the_same_tree(query: Query) -> None:
    assert parse(render(query)) == query
