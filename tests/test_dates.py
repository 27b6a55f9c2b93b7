"""Dates with precision: running text, metadata values, FRUS date bounds."""

from __future__ import annotations

import pytest

from fonds.clean.dates import DateValue, find_dates, from_bounds, parse_date


def isos(text: str, **options: object) -> list[str]:
    return [d.iso for d in find_dates(text, **options)]  # type: ignore[arg-type]


def matched(text: str, **options: object) -> list[str]:
    return [text[d.span[0] : d.span[1]] for d in find_dates(text, **options)]  # type: ignore[arg-type]


# --- single days ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("January 19, 1950", "1950-01-19"),
        ("January 19 1950", "1950-01-19"),
        ("JANUARY 19, 1950", "1950-01-19"),
        ("Jan. 19, 1950", "1950-01-19"),
        ("Jan 19, 1950", "1950-01-19"),
        ("Sept. 5, 1951", "1951-09-05"),
        ("Sep. 5, 1951", "1951-09-05"),
        ("Febr. 2, 1953", "1953-02-02"),
        ("January 19th, 1950", "1950-01-19"),
        ("May 18, 1949", "1949-05-18"),
        ("19 January 1950", "1950-01-19"),
        ("19 January, 1950", "1950-01-19"),
        ("19th of January 1950", "1950-01-19"),
        ("3rd March 1953", "1953-03-03"),
        ("1 October 1950", "1950-10-01"),
        ("01 October 1950", "1950-10-01"),
        ("4 September 1952", "1952-09-04"),
        ("29 February 1952", "1952-02-29"),
        ("1950-04-25", "1950-04-25"),
        ("19.01.1950", "1950-01-19"),
        ("5.IX.1952", "1952-09-05"),
        ("5. IX. 1952", "1952-09-05"),
        ("25.XII.1949", "1949-12-25"),
        ("1.I.1950", "1950-01-01"),
    ],
)
def test_single_day(text: str, iso: str) -> None:
    assert find_dates(text) == [DateValue(iso, iso, iso, (0, len(text)))]


@pytest.mark.parametrize(
    ("text", "iso", "expression"),
    [
        ("Nº 1258 22 September 1950 2030\\*", "1950-09-22", "22 September 1950 2030"),
        ("Nº 54611\n\n18 May 1949 1718\n\nYesterday", "1949-05-18", "18 May 1949 1718"),
        ("22 September 1950 2030", "1950-09-22", "22 September 1950 2030"),
        ("12 October 1950 0115.", "1950-10-12", "12 October 1950 0115"),
        ("12 October 1950 20:30 Moscow", "1950-10-12", "12 October 1950 20:30"),
        ("Seoul, January 27, 1949—2 p. m.", "1949-01-27", "January 27, 1949—2 p. m."),
        ("Washington, March 18, 1949—8:15 a. m.", "1949-03-18", "March 18, 1949—8:15 a. m."),
        ("May 18, 1949 1718\n", "1949-05-18", "May 18, 1949 1718"),
        ("January 5, 1949, 6 p.m.", "1949-01-05", "January 5, 1949, 6 p.m."),
    ],
)
def test_time_is_matched_but_not_in_the_value(text: str, iso: str, expression: str) -> None:
    (value,) = find_dates(text)
    assert value.iso == iso
    assert text[value.span[0] : value.span[1]] == expression


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        # A number after the year that is not a time of day stays out of the match.
        ("On 12 May 1950 1200 men crossed the river.", "12 May 1950"),
        ("By May 12, 1950 3000 tons had arrived.", "May 12, 1950"),
        ("In 1950 2030 people", None),
    ],
)
def test_numbers_after_a_date_are_not_times(text: str, expression: str | None) -> None:
    assert matched(text) == ([expression] if expression else [])


# --- intervals and months ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso", "start", "end"),
    [
        ("March 30-April 25, 1950", "1950-03-30/1950-04-25", "1950-03-30", "1950-04-25"),
        ("March 30–April 25, 1950", "1950-03-30/1950-04-25", "1950-03-30", "1950-04-25"),
        ("March 30 — April 25, 1950", "1950-03-30/1950-04-25", "1950-03-30", "1950-04-25"),
        ("March 30 to April 25, 1950", "1950-03-30/1950-04-25", "1950-03-30", "1950-04-25"),
        ("30 March–25 April 1950", "1950-03-30/1950-04-25", "1950-03-30", "1950-04-25"),
        ("30 March - 25 April 1950", "1950-03-30/1950-04-25", "1950-03-30", "1950-04-25"),
        ("30 March 1950 – 25 April 1950", "1950-03-30/1950-04-25", "1950-03-30", "1950-04-25"),
        ("April 3-5, 1950", "1950-04-03/1950-04-05", "1950-04-03", "1950-04-05"),
        ("April 3–5, 1950", "1950-04-03/1950-04-05", "1950-04-03", "1950-04-05"),
        ("3-5 April 1950", "1950-04-03/1950-04-05", "1950-04-03", "1950-04-05"),
        ("3–5 April 1950", "1950-04-03/1950-04-05", "1950-04-03", "1950-04-05"),
        ("December 30–January 5, 1950", "1949-12-30/1950-01-05", "1949-12-30", "1950-01-05"),
        (
            "December 30, 1949-January 5, 1950",
            "1949-12-30/1950-01-05",
            "1949-12-30",
            "1950-01-05",
        ),
        ("30 December 1949–5 January 1950", "1949-12-30/1950-01-05", "1949-12-30", "1950-01-05"),
        ("1950-03-30/1950-04-25", "1950-03-30/1950-04-25", "1950-03-30", "1950-04-25"),
        ("April 1950", "1950-04", "1950-04-01", "1950-04-30"),
        ("April, 1950", "1950-04", "1950-04-01", "1950-04-30"),
        ("Apr. 1950", "1950-04", "1950-04-01", "1950-04-30"),
        ("February 1952", "1952-02", "1952-02-01", "1952-02-29"),
        ("February 1950", "1950-02", "1950-02-01", "1950-02-28"),
        ("June 1949", "1949-06", "1949-06-01", "1949-06-30"),
        ("March–April 1950", "1950-03/1950-04", "1950-03-01", "1950-04-30"),
        ("December 1949-January 1950", "1949-12/1950-01", "1949-12-01", "1950-01-31"),
    ],
)
def test_intervals_and_months(text: str, iso: str, start: str, end: str) -> None:
    assert find_dates(text) == [DateValue(iso, start, end, (0, len(text)))]


def test_interval_in_a_legacy_source_line() -> None:
    text = "Date: Source:. Report on Kim II Sung's visit to the USSR, March 30-April 25, 1950."
    (value,) = find_dates(text)
    assert value.iso == "1950-03-30/1950-04-25"
    assert text[value.span[0] : value.span[1]] == "March 30-April 25, 1950"


# --- years --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "with_years", "without"),
    [
        ("1950", ["1950"], []),
        ("in the summer of 1950 the army", ["1950"], []),
        ("1950 Speeches/Documents", ["1950"], []),
        ("papers, 1887-1995, mm97083838", ["1887/1995"], []),
        ("during 1949–50", ["1949/1950"], []),
        ("from 1949 to 1953", ["1949/1953"], []),
        ("the 1950s", [], []),
        ("No. 1258", [], []),
        ("f. 5, op. 918795, d. 125", [], []),
        ("795.00/6–2550", [], []),
        ("$1950.00", [], []),
        ("1950-04-25", ["1950-04-25"], ["1950-04-25"]),
        ("April 1950 and 1951", ["1950-04", "1951"], ["1950-04"]),
    ],
)
def test_bare_years_only_on_request(text: str, with_years: list[str], without: list[str]) -> None:
    assert isos(text, years=True) == with_years
    assert isos(text) == without


def test_year_value_covers_the_whole_year() -> None:
    assert find_dates("1950", years=True) == [DateValue("1950", "1950-01-01", "1950-12-31", (0, 4))]


# --- impossible dates and non-dates ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "31 April 1950",
        "April 31, 1950",
        "29 February 1950",
        "February 30, 1952",
        "March 30-April 31, 1950",
        "April 5-3, 1950",
        "31.04.1950",
        "1950-04-31",
        "1950-13-01",
        "31.IV.1950",
        "32 May 1950",
        "0 May 1950",
        "May 0, 1950",
    ],
)
def test_impossible_dates_are_not_dates(text: str) -> None:
    assert find_dates(text) == []


def test_an_impossible_date_yields_no_shorter_date_inside_it() -> None:
    assert find_dates("31 April 1950", years=True) == []


@pytest.mark.parametrize(
    "text",
    [
        "ll. 71-82",
        "No. 39 pp.9-11",
        "Nº 54611",
        "we may march on",
        "You may 5 times try",
        "May",
        "the 38th parallel",
        "4,300,000 men",
        "Kim Il Sung said that 200,000 party members will participate.",
        "501.BB Korea/1–549",
        "Volume IX. 1952 edition",
    ],
)
def test_not_dates(text: str) -> None:
    assert find_dates(text) == []


def test_lower_case_month_words_are_not_months() -> None:
    assert find_dates("they may 1950 hope") == []
    assert isos("they may 1950 hope", years=True) == ["1950"]


# --- dates without a year --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yesterday, 17 May, Mao Zedong asked me", ["1949-05-17"]),
        ("On January 17 the minister held a lunch", ["1949-01-17"]),
        ("[handwritten: signature and 5.IX]", ["1949-09-05"]),
        ("on 17 May 1950 and 18 May", ["1950-05-17", "1949-05-18"]),
        ("31 April", []),
    ],
)
def test_yearless_dates_need_a_default_year(text: str, expected: list[str]) -> None:
    assert isos(text, default_year=1949) == expected


@pytest.mark.parametrize(
    "text", ["Yesterday, 17 May, Mao", "On January 17 the minister", "signature and 5.IX"]
)
def test_yearless_dates_are_skipped_without_a_default_year(text: str) -> None:
    assert find_dates(text) == []


# --- several dates in running text --------------------------------------------------------------


def test_dates_in_order_with_spans() -> None:
    text = (
        "# September 22, 1950 Information about the Meeting\n"
        "Nº 1258 22 September 1950 2030\\*\n"
        "On 21 September 1950 I was visited by Heo Gai. In June 1949 Kim Il went to Beijing."
    )
    values = find_dates(text)
    assert [v.iso for v in values] == ["1950-09-22", "1950-09-22", "1950-09-21", "1949-06"]
    assert [text[v.span[0] : v.span[1]] for v in values] == [
        "September 22, 1950",
        "22 September 1950 2030",
        "21 September 1950",
        "June 1949",
    ]


def test_frus_dateline_over_several_lines() -> None:
    text = "Seoul,\n        January 27,\n        1949—2 p. m.\n[Received January 28—9:40 a. m.]"
    values = find_dates(text)
    assert [v.iso for v in values] == ["1949-01-27"]


def test_citation_with_dates_and_archive_numbers() -> None:
    text = (
        '"Record of a Conversation", September 04, 1952, History and Public Policy Program '
        "Digital Archive, APRF, f. 45, o. 1, d. 348, ll. 71-82."
    )
    assert isos(text) == ["1952-09-04"]


# --- parse_date --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("January 19, 1950", "1950-01-19"),
        ("  January 19, 1950  ", "1950-01-19"),
        ("September 22, 1950 Information about the North Korean Workers Party", "1950-09-22"),
        ("Date: Source:. Report on the visit, March 30-April 25, 1950.", "1950-03-30/1950-04-25"),
        ("1950", "1950"),
        ("1950-04", "1950-04"),
        ("1950-04-25", "1950-04-25"),
        ("1950-03-30/1950-04-25", "1950-03-30/1950-04-25"),
        ("1950-04 (approximately)", "1950-04"),
        ("1950 Speeches/Documents", "1950"),
        ("circa April 1950", "1950-04"),
        ("18 May 1949 1718", "1949-05-18"),
        ("1949, published May 3, 1950", "1950-05-03"),
    ],
)
def test_parse_date(text: str, iso: str) -> None:
    value = parse_date(text)
    assert value is not None
    assert value.iso == iso


@pytest.mark.parametrize("text", ["", "   ", "undated", "n.d.", "31 April 1950", "1950-02-30"])
def test_parse_date_none(text: str) -> None:
    assert parse_date(text) is None


def test_parse_date_span_points_into_the_text() -> None:
    text = "  January 19, 1950"
    value = parse_date(text)
    assert value is not None
    assert text[value.span[0] : value.span[1]] == "January 19, 1950"
    iso = parse_date("  1950-04")
    assert iso is not None and iso.span == (2, 9)


# --- from_bounds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "iso", "start", "end"),
    [
        (
            "1949-01-05T00:00:00-05:00",
            "1949-01-05T23:59:59-05:00",
            "1949-01-05",
            "1949-01-05",
            "1949-01-05",
        ),
        (
            "1949-01-27T00:00:00-05:00",
            "1949-01-27T00:00:00-05:00",
            "1949-01-27",
            "1949-01-27",
            "1949-01-27",
        ),
        (
            "1949-03-15T03:00:00-05:00",
            "1949-03-15T03:00:00-05:00",
            "1949-03-15",
            "1949-03-15",
            "1949-03-15",
        ),
        (
            "1949-01-01T00:00:00-05:00",
            "1949-01-31T23:59:59-05:00",
            "1949-01",
            "1949-01-01",
            "1949-01-31",
        ),
        (
            "1952-02-01T00:00:00-05:00",
            "1952-02-29T23:59:59-05:00",
            "1952-02",
            "1952-02-01",
            "1952-02-29",
        ),
        (
            "1949-01-01T00:00:00-05:00",
            "1949-12-31T23:59:59-05:00",
            "1949",
            "1949-01-01",
            "1949-12-31",
        ),
        (
            "1949-01-03T00:00:00-05:00",
            "1949-12-30T23:59:59-05:00",
            "1949-01-03/1949-12-30",
            "1949-01-03",
            "1949-12-30",
        ),
        (
            "1949-01-01T00:00:00-05:00",
            "1949-02-28T23:59:59-05:00",
            "1949-01-01/1949-02-28",
            "1949-01-01",
            "1949-02-28",
        ),
        ("1949-01-05", "1949-01-05", "1949-01-05", "1949-01-05", "1949-01-05"),
        (
            "1950-06-25T04:00:00+09:00",
            "1950-06-25T04:00:00+09:00",
            "1950-06-25",
            "1950-06-25",
            "1950-06-25",
        ),
    ],
)
def test_from_bounds(low: str, high: str, iso: str, start: str, end: str) -> None:
    value = from_bounds(low, high)
    assert value.iso == iso
    assert (value.start, value.end) == (start, end)  # the first and last day covered
    assert value.span == (0, 0)


def test_from_bounds_month_and_year_cover_their_days() -> None:
    month = from_bounds("1949-01-01T00:00:00-05:00", "1949-01-31T23:59:59-05:00")
    assert (month.start, month.end) == ("1949-01-01", "1949-01-31")
    year = from_bounds("1949-01-01T00:00:00-05:00", "1949-12-31T23:59:59-05:00")
    assert (year.start, year.end) == ("1949-01-01", "1949-12-31")


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("1949-01-06T00:00:00-05:00", "1949-01-05T23:59:59-05:00"),
        ("not a date", "1949-01-05"),
        ("1949-02-30", "1949-03-01"),
    ],
)
def test_from_bounds_rejects_bad_bounds(low: str, high: str) -> None:
    with pytest.raises(ValueError):
        from_bounds(low, high)
