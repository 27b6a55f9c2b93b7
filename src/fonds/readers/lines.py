"""Lines of a source text with their offsets, the unit the text readers work in."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

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
    out = []
    start = 0
    for raw in text.split("\n"):
        content = raw.strip()
        left = len(raw) - len(raw.lstrip()) if content else len(raw)
        if strip_bullets and content[:1] in _BULLETS and content[1:2] == " ":
            bullet_left = len(content) - len(content[1:].lstrip())
            left += bullet_left
            content = content[1:].strip()
        out.append(Line(content, start + left, start + left + len(content)))
        start += len(raw) + 1
    return out


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


def join_body(blocks: Iterable[str]) -> str:
    """The body text: blocks separated by one blank line, inner white space folded."""
    return "\n\n".join(b for b in (SPACES.sub(" ", b).strip() for b in blocks) if b)
