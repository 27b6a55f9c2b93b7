"""Plain text: the lowest bidder. Takes a title, and the FRUS-style opener when present.

A FRUS document copied as text opens with its number and heading, the State Department
file number, the classification and a dateline ("[Washington,] January 5, 1949.").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import chain

from fonds.clean.dates import find_dates
from fonds.model import Draft, Field, SourceFile
from fonds.readers.lines import Line, joined_paragraphs, numbered_lines, raw_lines
from fonds.readers.source import open_text

DOC_NUMBER = re.compile(r"^(\d{1,4})\.\s+(?=\S)")
DECIMAL_FILE = re.compile(r"^\d{3}[A-Z]?\.[\w.]+(?:\s+[\w()]+)*/\d{1,2}[–-]\d{2,6}(?::\s*\w.*)?$")
CLASSIFICATION = re.compile(
    r"^(?:top secret|secret|confidential|restricted|strictly secret|"
    r"top secret\s*—?\s*special file)\.?(?:\s+(?:niact|priority|urgent|eyes only)\.?)*$",
    re.I,
)


class PlainTextReader:
    """Reads any text; bids lowest so that a specific reader always wins. A large file
    is read line by line from disk (never held whole beside its body)."""

    name = "text"
    streams = True

    def match(self, path: str, head: str) -> int:
        return 1

    def read(self, source: SourceFile) -> Iterator[Draft]:
        if source.streamed:
            with open_text(source) as lines:
                yield parse_plain_lines(lines, "text")
        else:
            yield parse_plain(source.text, "text")


def parse_plain(text: str, fmt: str) -> Draft:
    return parse_plain_lines(raw_lines(text), fmt)


# The title and the opener are found in the first lines that are not blank.
OPENING_LINES = 5


def parse_plain_lines(raw: Iterable[str], fmt: str) -> Draft:
    """A plain text's draft from its lines (without their line breaks), read once, in
    order: the opening lines are looked at, the rest only joined into the body, so a
    volume's text is never split into a list of lines."""
    raw_head: list[str] = []  # the opening lines as written: a title, when there is no body
    reading_head = True

    def kept(raw: Iterable[str]) -> Iterator[str]:
        for line in raw:
            if reading_head:
                raw_head.append(line)
            yield line

    head: list[Line] = []
    seen = 0
    lines = numbered_lines(kept(raw))
    for line in lines:
        head.append(line)
        seen += bool(line.text)
        if seen == OPENING_LINES:
            break
    reading_head = False
    content = [ln for ln in head if ln.text]
    fields: dict[str, Field] = {}
    if not content:
        return Draft(format=fmt, body="")
    start = 0
    first = content[0]
    if (len(first.text) <= 300 and not first.text.endswith((".", ":"))) or DOC_NUMBER.match(
        first.text
    ):
        number = DOC_NUMBER.match(first.text)
        title = first.text[number.end() :] if number else first.text
        fields["title"] = first.field(title)
        start = 1
    # The opener: at most a few short lines right after the title.
    for line in content[start : start + 4]:
        if DECIMAL_FILE.match(line.text):
            fields["source_note"] = line.field()
        elif CLASSIFICATION.match(line.text):
            fields["classification"] = line.field(line.text.rstrip("."))
        elif len(line.text) < 80 and _is_dateline(line):
            fields["date"] = line.field()
        else:
            break
        start += 1
    body_from = content[start].start if start < len(content) else None
    body_lines = chain(
        (ln for ln in head if body_from is not None and ln.start >= body_from), lines
    )
    blocks = list(joined_paragraphs(body_lines))
    if "title" not in fields:
        fields["title"] = Field(_title_from_text(blocks[0] if blocks else "\n".join(raw_head)))
    return Draft(format=fmt, body="\n\n".join(blocks), fields=fields)


def _is_dateline(line: Line) -> bool:
    dates = find_dates(line.text)
    return bool(dates) and dates[-1].span[1] >= len(line.text.rstrip(". ")) - 1


def _title_from_text(text: str) -> str:
    """A title for an untitled text: its first sentence, cut at a word boundary."""
    sentence = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    if len(sentence) > 120:
        sentence = sentence[:120].rsplit(" ", 1)[0] + "…"
    return sentence or "Untitled"
