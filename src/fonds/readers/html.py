"""HTML pages: the page chrome is stripped by trafilatura, then the text is read as a page."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fonds.errors import ReadError
from fonds.model import Draft, Field, SourceFile
from fonds.readers.plain import parse_plain
from fonds.readers.wilson_web import MARKERS, parse_page

HTML_START = re.compile(r"^\s*(?:<!doctype html|<html|<head|<body|<meta|<title)", re.I)


class HtmlReader:
    """Reads an HTML page: main content via trafilatura, Digital Archive pages as such."""

    name = "html"
    streams = False

    def match(self, path: str, head: str) -> int:
        if HTML_START.match(head) or ("<html" in head[:2000].lower() and "</" in head):
            return 90
        return 30 if path.lower().endswith((".html", ".htm")) else 0

    def read(self, source: SourceFile) -> Iterator[Draft]:
        import trafilatura  # when a page is read: 28 MB in every process otherwise

        text = trafilatura.extract(
            source.text,
            output_format="txt",
            include_comments=False,
            include_tables=True,
            favor_recall=True,
        )
        meta = trafilatura.extract_metadata(source.text)
        if not text:
            raise ReadError(f"{source.path}: no readable text in this HTML page")
        low = text.casefold()
        if sum(1 for m in MARKERS if m in low) >= 2:
            draft = parse_page(text)
        else:
            draft = parse_plain(text, "html")
        draft.format = "html"
        if meta is not None:
            if meta.title and "title" not in draft.fields:
                draft.fields["title"] = Field(meta.title)
            if meta.url:
                draft.fields.setdefault("url", Field(meta.url))
        return iter([draft])
