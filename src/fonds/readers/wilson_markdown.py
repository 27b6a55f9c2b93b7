"""Markdown converted from a Digital Archive PDF: headed sections, then the contents."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fonds.clean.dates import parse_date
from fonds.model import Draft, Field, SourceFile, Span
from fonds.readers.lines import Line, join_body, split_lines
from fonds.readers.wilson_web import CREDITS, is_furniture

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
SECTION_LABELS = {
    "citation": "citation",
    "summary": "summary",
    "description": "summary",
    "credits": "credits",
    "original language": "original_language",
    "language": "original_language",
    "contents": "contents",
    "record id": "record_id",
    "original classification": "archive_classification",
    "associated people & organizations": "people_orgs",
    "associated places": "places",
    "associated topics": "topics",
    "source": "archive_source",
    "original archive": "original_archive",
    "rights": "rights",
}
VERSION_LINE = re.compile(r"^(?:translation|original|transcript)\s*[-–—:]\s*\w+$", re.I)


def strip_markdown(text: str) -> str:
    """Remove emphasis markers and backslash escapes, keep the words."""
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!])", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    return text.strip()


def section_label(text: str) -> str | None:
    clean = strip_markdown(text).rstrip(":").strip().casefold()
    return SECTION_LABELS.get(clean)


class WilsonMarkdownReader:
    """Reads a Digital Archive PDF turned into markdown."""

    name = "wilson-markdown"
    streams = False

    def match(self, path: str, head: str) -> int:
        labels = 0
        for line in head.splitlines()[:200]:
            m = HEADING.match(line.strip())
            if m and section_label(m.group(2)):
                labels += 1
        if labels >= 2:
            return 85
        return 20 if path.endswith(".md") else 0

    def read(self, source: SourceFile) -> Iterator[Draft]:
        yield parse_markdown(source.text)


def parse_markdown(text: str) -> Draft:
    fields: dict[str, Field] = {}
    sections: dict[str, list[Line]] = {}
    current = "preamble"
    for line in split_lines(text):
        m = HEADING.match(line.text)
        if m:
            label = section_label(m.group(2))
            if label:
                current = label
                continue
            if "title" not in fields and current == "preamble":
                _title_heading(line, m.group(2), fields)
                continue
        if current == "contents" or line.text:
            sections.setdefault(current, []).append(line)
    for key, lines in sections.items():
        if key in {"contents", "preamble", "rights"}:
            continue
        content = [ln for ln in lines if ln.text]
        if not content:
            continue
        value = strip_markdown(" ".join(ln.text for ln in content))
        if key == "credits":
            m = CREDITS.match(value)
            value = m.group(1) if m else value
        fields[key] = Field(value, Span(content[0].start, content[-1].end))
    body_lines = sections.get("contents") or sections.get("preamble", [])
    blocks = _blocks(body_lines)
    return Draft(format="wilson-markdown", body=join_body(blocks), fields=fields)


def _title_heading(line: Line, heading: str, fields: dict[str, Field]) -> None:
    """'# September 22, 1950 Information about ...': the date, then the title."""
    heading = strip_markdown(heading)
    date = parse_date(heading)
    offset = line.text.find(heading)
    if date and date.span[0] == 0:
        start = line.start + max(offset, 0)
        fields["date"] = Field(heading[: date.span[1]], Span(start, start + date.span[1]))
        title = heading[date.span[1] :].strip(" -–—:,")
        if title:
            fields["title"] = line.field(title)
    else:
        fields["title"] = line.field(heading)


def _blocks(lines: list[Line]) -> list[str]:
    """Paragraphs of the contents, without version tabs ("Translation - English")."""
    blocks: list[str] = []
    current: list[str] = []
    for line in lines:
        text = strip_markdown(line.text) if line.text else ""
        if text and (VERSION_LINE.match(text) or is_furniture(text)):
            text = ""
        if text:
            current.append(text)
        elif current:
            blocks.append(" ".join(current))
            current = []
    if current:
        blocks.append(" ".join(current))
    return blocks
