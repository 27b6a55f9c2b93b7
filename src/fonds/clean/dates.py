"""Dates in archival text, with the precision the source allows.

``find_dates`` finds every date expression in running text (datelines, citations,
titles, prose); ``parse_date`` reads the leading date of a metadata value;
``from_bounds`` turns FRUS ``frus:doc-dateTime-min/max`` attributes into a value.

A value's ``iso`` is as precise as the expression: ``1950``, ``1950-04``,
``1950-04-25``, or an interval ``1950-03-30/1950-04-25``. ``start`` and ``end`` are
always whole days (the first and last day covered), for sorting and filtering.
Impossible calendar dates (31 April, 29 February 1950) are never returned.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class DateValue:
    """One date expression: ISO value, first and last day covered, offsets in the text."""

    iso: str
    start: str
    end: str
    span: tuple[int, int]


# --- building blocks -----------------------------------------------------------------

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH_ABBREVIATIONS = {
    1: ("Jan",),
    2: ("Feb", "Febr"),
    3: ("Mar",),
    4: ("Apr",),
    6: ("Jun",),
    7: ("Jul",),
    8: ("Aug",),
    9: ("Sep", "Sept"),
    10: ("Oct",),
    11: ("Nov",),
    12: ("Dec",),
}
_ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def _month_lookup() -> dict[str, int]:
    table: dict[str, int] = {}
    for number, name in enumerate(MONTH_NAMES, start=1):
        table[name.lower()] = number
        for abbreviation in _MONTH_ABBREVIATIONS.get(number, ()):
            table[abbreviation.lower()] = number
    return table


_MONTH_NUMBER = _month_lookup()


def _month_pattern() -> str:
    # Title case or capitals only: "may" and "march" in lower case are verbs.
    variants: list[str] = []
    for number, name in enumerate(MONTH_NAMES, start=1):
        variants += [name + r"\b", name.upper() + r"\b"]
        for abbreviation in _MONTH_ABBREVIATIONS.get(number, ()):
            variants += [abbreviation + r"(?:\.|\b)", abbreviation.upper() + r"(?:\.|\b)"]
    variants.sort(key=len, reverse=True)
    return "(?:" + "|".join(variants) + ")"


_M = _month_pattern()
# Any one- or two-digit day: "32 May 1950" is a bad date to reject, not "May 1950".
_D = r"\d{1,2}(?:st|nd|rd|th)?(?!\d)"
_Y = r"(?:1[5-9]|20)\d\d(?!\d)"
_ROMAN = "(?:" + "|".join(sorted(_ROMAN_MONTHS, key=len, reverse=True)) + ")"
# A range joins two dates with a dash of any kind, or with "to"/"through"/"until".
_TO = r"(?:\s*[-‐‑‒–—−]\s*|\s+(?:to|through|till|until)\s+)"
_NOT_AFTER_DIGIT = r"(?<![\d.,/:])"
# A clock time after a date is part of the expression but not of the value:
# "January 27, 1949—2 p. m.", "22 September 1950 2030", "18 May 1949 1718".
_TIME = (
    r"(?:"
    r"(?:\s*[,—–-]\s*|\s+)(?:at\s+)?"
    r"(?:\d{1,2}(?:[:.]\d\d)?\s*[ap]\.\s?m\.|\d{1,2}(?::\d\d)?\s*[ap]m\b|noon\b|midnight\b)"
    r"|[ \t]+(?:[01]?\d|2[0-3]):[0-5]\d(?!\d)"
    r"|[ \t]+(?:[01]\d|2[0-3])[0-5]\d"
    r"(?=[ \t]*(?:\\?\*|hrs?\b\.?|hours\b)?[ \t]*(?:$|[.,;)\]]))"
    r")?"
)


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


# Each pattern uses the group names m1/d1/y1 for the first date and m2/d2/y2 for the
# second (absent for a single date); rm is a Roman-numeral month, mn a numeric month.
_PATTERNS: dict[str, re.Pattern[str]] = {
    # March 30-April 25, 1950 / December 30, 1949 – January 5, 1950
    "mdy-range": _rx(
        rf"(?P<m1>{_M})\s+(?P<d1>{_D})(?:,?\s+(?P<y1>{_Y}))?{_TO}"
        rf"(?P<m2>{_M})\s+(?P<d2>{_D}),?\s+(?P<y2>{_Y})"
    ),
    # April 3-5, 1950
    "md-d-y": _rx(rf"(?P<m1>{_M})\s+(?P<d1>{_D}){_TO}(?P<d2>{_D}),?\s+(?P<y2>{_Y})"),
    # January 19, 1950 / Jan. 19 1950 / May 18, 1949 1718
    "mdy": _rx(rf"(?P<m1>{_M})\s+(?P<d1>{_D}),?\s+(?P<y1>{_Y}){_TIME}"),
    # 30 March–25 April 1950 / 30 December 1949 - 5 January 1950
    "dmy-range": _rx(
        rf"{_NOT_AFTER_DIGIT}(?P<d1>{_D})(?:\s+of)?\s+(?P<m1>{_M})(?:,?\s+(?P<y1>{_Y}))?{_TO}"
        rf"(?P<d2>{_D})(?:\s+of)?\s+(?P<m2>{_M}),?\s+(?P<y2>{_Y})"
    ),
    # 3-5 April 1950
    "d-dmy": _rx(
        rf"{_NOT_AFTER_DIGIT}(?P<d1>{_D}){_TO}(?P<d2>{_D})(?:\s+of)?\s+(?P<m2>{_M}),?\s+(?P<y2>{_Y})"
    ),
    # 19 January 1950 / 22 September 1950 2030 / the 19th of January, 1950
    "dmy": _rx(rf"{_NOT_AFTER_DIGIT}(?P<d1>{_D})(?:\s+of)?\s+(?P<m1>{_M}),?\s+(?P<y1>{_Y}){_TIME}"),
    # March–April 1950 / December 1949 - January 1950
    "my-range": _rx(rf"(?P<m1>{_M})(?:,?\s+(?P<y1>{_Y}))?{_TO}(?P<m2>{_M}),?\s+(?P<y2>{_Y})"),
    # April 1950 / April, 1950
    "my": _rx(rf"(?P<m1>{_M}),?\s+(?P<y1>{_Y})"),
    # 5.IX.1952 / 5. IX. 1952
    "roman": _rx(rf"(?<![\w.])(?P<d1>{_D})\.\s?(?P<rm>{_ROMAN})\.\s?(?P<y1>{_Y})"),
    # 19.01.1950
    "dotted": _rx(rf"(?<![\w.])(?P<d1>{_D})\.(?P<mn>1[0-2]|0?[1-9])\.(?P<y1>{_Y})(?![.,]\d)"),
    # 1950-04-25 and 1950-03-30/1950-04-25
    "iso": _rx(
        rf"(?<![\w./-])(?P<y1>{_Y})-(?P<mn>[01]\d)-(?P<d1>[0-3]\d)"
        rf"(?:/(?P<y2>{_Y})-(?P<mn2>[01]\d)-(?P<d2>[0-3]\d))?(?![\w/-])"
    ),
}
# Only with years=True: 1950, 1949-1950, 1949–50.
_YEAR_PATTERN = _rx(
    rf"(?<![\w./$–-])(?P<y1>{_Y})(?:{_TO}(?P<y2>{_Y}|\d\d(?!\d)))?(?![\w/]|[.,]\d|-\d)"
)
# Only with a default year: 17 May, January 17, 5.IX.
_YEARLESS_PATTERNS: dict[str, re.Pattern[str]] = {
    "md": _rx(rf"(?P<m1>{_M})\s+(?P<d1>{_D})"),
    "dm": _rx(rf"{_NOT_AFTER_DIGIT}(?P<d1>{_D})(?:\s+of)?\s+(?P<m1>{_M})"),
    "roman": _rx(rf"(?<![\w.])(?P<d1>{_D})\.\s?(?P<rm>{_ROMAN})\b(?!\.\s?\d)"),
}

_ISO_VALUE = re.compile(
    r"(?P<a>\d{4}(?:-\d\d(?:-\d\d)?)?)(?:/(?P<b>\d{4}(?:-\d\d(?:-\d\d)?)?))?(?![\w/-])"
)


# --- values --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    """One end of a value: a year, a month or a day."""

    year: int
    month: int | None = None
    day: int | None = None

    def first(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    def last(self) -> date:
        if self.month is None:
            return date(self.year, 12, 31)
        if self.day is None:
            return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return date(self.year, self.month, self.day)

    def iso(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


def _value(a: _Part, b: _Part | None, span: tuple[int, int]) -> DateValue | None:
    """A DateValue from one or two parts; None when a part is not a real date."""
    try:
        start, end = a.first(), (b or a).last()
        a.last()
        if b is not None:
            b.first()
    except ValueError:
        return None
    if start > end:
        return None
    iso = a.iso() if b is None or b == a else f"{a.iso()}/{b.iso()}"
    return DateValue(iso=iso, start=start.isoformat(), end=end.isoformat(), span=span)


def _day(text: str | None) -> int | None:
    return int(re.sub(r"\D", "", text)) if text else None


def _month(text: str | None) -> int | None:
    return _MONTH_NUMBER[text.rstrip(".").lower()] if text else None


def _parts(match: re.Match[str], default_year: int | None = None) -> tuple[_Part, _Part | None]:
    """The one or two parts a pattern match describes."""
    groups = match.groupdict()
    if groups.get("rm"):
        m1: int | None = _ROMAN_MONTHS.index(groups["rm"]) + 1
    elif groups.get("mn"):
        m1 = int(groups["mn"])
    else:
        m1 = _month(groups.get("m1"))
    d1 = _day(groups.get("d1"))
    y2 = int(groups["y2"]) if groups.get("y2") else None
    y1 = int(groups["y1"]) if groups.get("y1") else None
    if groups.get("mn2"):
        m2: int | None = int(groups["mn2"])
    else:
        m2 = _month(groups.get("m2"))
    d2 = _day(groups.get("d2"))
    has_second = y2 is not None and (d2 is not None or m2 is not None or y1 is not None)
    if not has_second:
        year = y1 if y1 is not None else (y2 if y2 is not None else default_year)
        assert year is not None  # every pattern without a year needs default_year
        return _Part(year, m1 or m2, d1 if d1 is not None else d2), None
    assert y2 is not None
    if m2 is None and d2 is not None:  # April 3-5, 1950: the month is shared
        m2 = m1
    if m1 is None and d1 is not None:  # 3-5 April 1950
        m1 = m2
    if y1 is None:
        # December 30-January 5, 1950 starts in the year before.
        y1 = y2 - 1 if m1 is not None and m2 is not None and m1 > m2 else y2
    return _Part(y1, m1, d1), _Part(y2, m2, d2)


def _year_parts(match: re.Match[str]) -> tuple[_Part, _Part | None]:
    y1 = int(match["y1"])
    if not match["y2"]:
        return _Part(y1), None
    y2 = int(match["y2"])
    if y2 < 100:  # 1949–50
        y2 += y1 - y1 % 100
    return _Part(y1), _Part(y2)


# --- public API ------------------------------------------------------------------------


def find_dates(
    text: str, *, years: bool = False, default_year: int | None = None
) -> list[DateValue]:
    """Every date expression in ``text``, in order of position.

    Args:
        text: running text, a dateline, a title or a citation.
        years: also take a bare year ("1950") or a year range ("1949-1950") for a date.
        default_year: the year to give day-and-month expressions that lack one
            ("17 May", "January 17", "5.IX"); without it they are not dates.

    Returns:
        Non-overlapping values, leftmost-longest first; an expression that names an
        impossible date (31 April) yields nothing, not a shorter date inside it.
    """
    found: list[tuple[int, int, Callable[[], tuple[_Part, _Part | None]]]] = []

    def collect(
        pattern: re.Pattern[str], parts: Callable[[re.Match[str]], tuple[_Part, _Part | None]]
    ) -> None:
        for match in pattern.finditer(text):
            found.append((match.start(), match.end(), lambda m=match: parts(m)))

    for pattern in _PATTERNS.values():
        collect(pattern, _parts)
    if years:
        collect(_YEAR_PATTERN, _year_parts)
    if default_year is not None:
        for pattern in _YEARLESS_PATTERNS.values():
            collect(pattern, lambda m: _parts(m, default_year))

    found.sort(key=lambda item: (item[0], item[0] - item[1]))
    values: list[DateValue] = []
    taken_until = -1
    for start, end, parts in found:
        if start < taken_until:
            continue
        taken_until = end
        value = _value(*parts(), span=(start, end))
        if value is not None:
            values.append(value)
    return values


def parse_date(text: str) -> DateValue | None:
    """The leading date of a metadata value such as "January 19, 1950" or "1950-04".

    Args:
        text: a date field, possibly followed by other words
            ("September 22, 1950 Information about...").

    Returns:
        An ISO value written as such ("1950", "1950-04", "1950-03-30/1950-04-25"),
        else the first full date expression, else the first bare year; None if none.
    """
    stripped = text.strip()
    offset = len(text) - len(text.lstrip())
    whole = _iso_value(stripped, offset)
    if whole is not None and whole.span[1] - offset == len(stripped):
        return whole
    dates = find_dates(text)
    if dates:
        return dates[0]
    if whole is not None:  # "1950-04 (approximately)"
        return whole
    dates = find_dates(text, years=True)
    return dates[0] if dates else None


def _iso_value(text: str, offset: int) -> DateValue | None:
    """An ISO 8601 value ("1950", "1950-04", "1950-03-30/1950-04-25") leading ``text``."""
    match = _ISO_VALUE.match(text)
    if not match:
        return None
    a = _iso_part(match["a"])
    b = _iso_part(match["b"]) if match["b"] else None
    return _value(a, b, span=(offset + match.start(), offset + match.end()))


def _iso_part(text: str) -> _Part:
    pieces = [int(piece) for piece in text.split("-")]
    return _Part(*pieces)


def from_bounds(min_iso: str, max_iso: str) -> DateValue:
    """A value from FRUS ``frus:doc-dateTime-min`` and ``-max`` attributes.

    Args:
        min_iso: e.g. "1949-01-05T00:00:00-05:00" (a bare date is accepted too).
        max_iso: e.g. "1949-01-05T23:59:59-05:00".

    Returns:
        Day precision when both fall on the same day (in the offset written), the month
        or the year when they cover exactly that, otherwise the interval "a/b". The span
        is (0, 0): the value has no place in a text.

    Raises:
        ValueError: when a bound is not ISO 8601 or the minimum is after the maximum.
    """
    low, high = _bound_date(min_iso), _bound_date(max_iso)
    if low > high:
        raise ValueError(f"date bounds are reversed: {min_iso!r} is after {max_iso!r}")
    if low == high:
        part = _Part(low.year, low.month, low.day)
        value = _value(part, None, span=(0, 0))
    elif low.year == high.year and (low.month, low.day, high.month, high.day) == (1, 1, 12, 31):
        value = _value(_Part(low.year), None, span=(0, 0))
    elif (
        (low.year, low.month) == (high.year, high.month)
        and low.day == 1
        and high.day == calendar.monthrange(high.year, high.month)[1]
    ):
        value = _value(_Part(low.year, low.month), None, span=(0, 0))
    else:
        value = _value(
            _Part(low.year, low.month, low.day), _Part(high.year, high.month, high.day), (0, 0)
        )
    assert value is not None  # both bounds are real dates and in order
    return value


def _bound_date(text: str) -> date:
    try:
        return datetime.fromisoformat(text.strip()).date()
    except ValueError as error:
        raise ValueError(f"not an ISO 8601 date or date-time: {text!r}") from error
