"""Plain text: the lowest bidder. Takes a title, and the FRUS-style opener when present.

A FRUS document copied as text opens with its number and heading, the State Department
file number, the classification and a dateline ("[Washington,] January 5, 1949.").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from fonds.clean.dates import find_dates
from fonds.model import Draft, Field, SourceFile
from fonds.readers.lines import Line, join_body, paragraphs, split_lines

DOC_NUMBER = re.compile(r"^(\d{1,4})\.\s+(?=\S)")
DECIMAL_FILE = re.compile(r"^\d{3}[A-Z]?\.[\w.]+(?:\s+[\w()]+)*/\d{1,2}[–-]\d{2,6}(?::\s*\w.*)?$")
CLASSIFICATION = re.compile(
    r"^(?:top secret|secret|confidential|restricted|strictly secret|"
    r"top secret\s*—?\s*special file)\.?(?:\s+(?:niact|priority|urgent|eyes only)\.?)*$",
    re.I,
)


class PlainTextReader:
    """Reads any text; bids lowest so that a specific reader always wins."""

    name = "text"

    def match(self, path: str, head: str) -> int:
        return 1

    def read(self, source: SourceFile) -> Iterator[Draft]:
        yield parse_plain(source.text, "text")


def parse_plain(text: str, fmt: str) -> Draft:
    lines = split_lines(text)
    content = [ln for ln in lines if ln.text]
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
    body_from = content[start].start if start < len(content) else len(text)
    body_lines = [ln for ln in lines if ln.start >= body_from]
    blocks = [" ".join(ln.text for ln in p) for p in paragraphs(body_lines)]
    if "title" not in fields:
        fields["title"] = Field(_title_from_text(blocks[0] if blocks else text))
    return Draft(format=fmt, body=join_body(blocks), fields=fields)


def _is_dateline(line: Line) -> bool:
    dates = find_dates(line.text)
    return bool(dates) and dates[-1].span[1] >= len(line.text.rstrip(". ")) - 1


def _title_from_text(text: str) -> str:
    """A title for an untitled text: its first sentence, cut at a word boundary."""
    sentence = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    if len(sentence) > 120:
        sentence = sentence[:120].rsplit(" ", 1)[0] + "…"
    return sentence or "Untitled"
