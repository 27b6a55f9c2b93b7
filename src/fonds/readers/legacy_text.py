"""The older plain-text export: "Title: / Author: / Date: / Source: / Description:", body, "Remarks"."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fonds.model import Draft, Field, SourceFile, Span
from fonds.readers.lines import Line, join_body, paragraphs, split_lines

LABEL_NAMES = (
    "Title",
    "Author",
    "Date",
    "Source",
    "Description",
    "Subject",
    "From",
    "To",
    "Classification",
    "Translator",
    "Citation",
    "Archive",
    "Language",
)
LABEL = re.compile(r"(?:(?<=\s)|^)(" + "|".join(LABEL_NAMES) + r"):", re.I)
REMARKS = re.compile(r"^(?:remarks|editor'?s? (?:note|remarks))\s*:?$", re.I)
FIELD_OF = {
    "title": "title",
    "author": "sender",
    "date": "date",
    "source": "citation",
    "citation": "citation",
    "description": "summary",
    "subject": "subject",
    "from": "sender",
    "to": "recipients",
    "classification": "classification",
    "translator": "translator",
    "archive": "archive_source",
    "language": "original_language",
}


class LegacyTextReader:
    """Reads the labelled plain-text form of older Digital Archive documents."""

    name = "legacy-text"
    streams = False

    def match(self, path: str, head: str) -> int:
        starts = {
            m.group(1).casefold()
            for line in head.splitlines()[:60]
            for m in [re.match(r"\s*(" + "|".join(LABEL_NAMES) + r"):", line, re.I)]
            if m
        }
        if "title" in starts and len(starts) >= 2:
            return 76  # the labels name the export form: above readers that guess by layout
        return 0

    def read(self, source: SourceFile) -> Iterator[Draft]:
        yield parse_legacy(source.text)


def parse_legacy(text: str) -> Draft:
    lines = split_lines(text)
    fields: dict[str, Field] = {}
    label_rows = [i for i, ln in enumerate(lines) if LABEL.match(ln.text)]
    if not label_rows:
        return Draft(format="legacy-text", body=join_body([ln.text for ln in lines]))
    # Each label's value runs to the next label; the last label takes one paragraph.
    values: list[tuple[str, list[tuple[int, int]]]] = []
    for row_no, i in enumerate(label_rows):
        line = lines[i]
        matches = list(LABEL.finditer(line.text))
        for k, m in enumerate(matches):
            end = matches[k + 1].start() if k + 1 < len(matches) else len(line.text)
            pieces = [(line.start + m.end(), line.start + end)]
            if k + 1 == len(matches):
                stop = label_rows[row_no + 1] if row_no + 1 < len(label_rows) else None
                pieces += _continuation(lines, i + 1, stop)
            values.append((m.group(1).casefold(), pieces))
    last_piece_end = max(p[1] for _, pcs in values for p in pcs)
    for name, pieces in values:
        value = " ".join(text[a:b].strip() for a, b in pieces if text[a:b].strip())
        value = value.lstrip(" .:;,-").strip()
        key = FIELD_OF.get(name, name)
        if key == "sender":
            value = _natural_order(value)
        if value and key not in fields:
            start = next((a for a, b in pieces if text[a:b].strip()), pieces[0][0])
            start += len(text[start:]) - len(text[start:].lstrip(" .:;,-"))
            fields[key] = Field(value, Span(start, pieces[-1][1]))
    rest = [ln for ln in lines if ln.start >= last_piece_end]
    body_lines, note_lines = _split_remarks(rest)
    preamble = [ln.text for ln in lines[: label_rows[0]] if ln.text]
    if preamble:
        fields["collection"] = Field(
            " ".join(preamble), Span(lines[0].start, lines[label_rows[0]].start)
        )
    body = join_body([" ".join(ln.text for ln in p) for p in paragraphs(body_lines)])
    notes = join_body([" ".join(ln.text for ln in p) for p in paragraphs(note_lines)]) or None
    if notes:
        # The remarks are kept apart as notes, and also stay at the end of the text under
        # their heading, as the source has them: a reader of the text loses nothing.
        body = f"{body}\n\nRemarks\n\n{notes}"
    return Draft(format="legacy-text", body=body, fields=fields, notes=notes)


def _natural_order(name: str) -> str:
    """A catalogue's "Churchill, Winston" as the name is written: "Winston Churchill"."""
    m = re.fullmatch(
        r"([A-Z][\w'’-]+),\s+([A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,2})(?:,\s+\d{4}-\d{0,4})?",
        name,
    )
    return f"{m.group(2)} {m.group(1)}" if m else name


def _continuation(lines: list[Line], start: int, stop: int | None) -> list[tuple[int, int]]:
    """Lines that continue a label's value: up to the next label, or one paragraph."""
    out: list[tuple[int, int]] = []
    i = start
    end = stop if stop is not None else len(lines)
    while i < end:
        line = lines[i]
        if stop is None and not line.text and out:
            break
        if stop is None and not line.text:
            # The value started on the label's line: a blank line ends it.
            break
        if line.text:
            out.append((line.start, line.end))
        i += 1
    return out


def _split_remarks(lines: list[Line]) -> tuple[list[Line], list[Line]]:
    for i, line in enumerate(lines):
        if REMARKS.match(line.text):
            return lines[:i], lines[i + 1 :]
    return lines, []
