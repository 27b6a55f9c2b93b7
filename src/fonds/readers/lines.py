"""Lines of a source text with their offsets, the unit the text readers work in."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain

from fonds.model import Field, Span

_BULLETS = "•·◦▪‣*-"


@dataclass(frozen=True)
class Line:
    """One line's content, stripped of surrounding space and bullets, with its offsets."""

    text: str
    start: int
    end: int

    def field(self, value: str | None = None) -> Field:
        """This line (or ``value`` found inside it) as a field with its evidence."""
        if value is None:
            return Field(self.text, Span(self.start, self.end))
        at = self.text.find(value)
        if at < 0:
            return Field(value, Span(self.start, self.end))
        return Field(value, Span(self.start + at, self.start + at + len(value)))


def split_lines(text: str, strip_bullets: bool = False) -> list[Line]:
    """Every line of ``text`` with its stripped content; blank lines are kept as ''."""
    return list(numbered_lines(text.split("\n"), strip_bullets))


def raw_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` (split at line feeds, as ``str.split``), one at a time."""
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield text[start:end]
        start = end + 1
    yield text[start:]


def numbered_lines(raw: Iterable[str], strip_bullets: bool = False) -> Iterator[Line]:
    """Each raw line (its line feed cut off) as a ``Line``: its stripped content, with
    its offsets in the text the lines make joined by line feeds."""
    start = 0
    for line in raw:
        content = line.strip()
        left = len(line) - len(line.lstrip()) if content else len(line)
        if strip_bullets and content[:1] in _BULLETS and content[1:2] == " ":
            bullet_left = len(content) - len(content[1:].lstrip())
            left += bullet_left
            content = content[1:].strip()
        yield Line(content, start + left, start + left + len(content))
        start += len(line) + 1


def joined_paragraphs(lines: Iterable[Line]) -> Iterator[str]:
    """``join_body``'s blocks, one per paragraph (lines between blank lines, joined by a
    space), their white space folded line by line: no paragraph is folded whole."""
    current: list[str] = []
    for line in chain(lines, [Line("", 0, 0)]):
        if line.text:
            current.append(fold_spaces(line.text))
        elif current:
            block = " ".join(current).strip()
            current = []
            if block:
                yield block


def paragraphs(lines: list[Line]) -> list[list[Line]]:
    """Group non-blank lines into paragraphs separated by blank lines."""
    groups: list[list[Line]] = []
    current: list[Line] = []
    for line in lines:
        if line.text:
            current.append(line)
        elif current:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


SPACES = re.compile(r"[ \t\u00a0]+")


SPACE_PIECE = 1 << 16  # characters folded at a time


def fold_spaces(text: str) -> str:
    """Runs of spaces, tabs and no-break spaces as one space. A long text is folded a
    piece at a time: ``re.sub`` lists every stretch between matches before joining them,
    a small string per word (a 16 MB paragraph: 200 MB of them)."""
    if len(text) <= SPACE_PIECE:
        return SPACES.sub(" ", text)
    if "  " not in text and "\t" not in text and "\u00a0" not in text:
        return text  # nothing to fold: no copy of a volume's text
    pieces = []
    start = 0
    while start < len(text):
        end = min(start + SPACE_PIECE, len(text))
        while end < len(text) and text[end] in " \t\u00a0":  # a run is folded whole
            end += 1
        pieces.append(SPACES.sub(" ", text[start:end]))
        start = end
    return "".join(pieces)


def join_body(blocks: Iterable[str]) -> str:
    """The body text: blocks separated by one blank line, inner white space folded."""
    return "\n\n".join(b for b in (fold_spaces(b).strip() for b in blocks) if b)
