"""Readers bid for a file; the highest bid reads it (the plain-text reader bids lowest)."""

from __future__ import annotations

from fonds.model import SourceFile
from fonds.readers.base import Reader
from fonds.readers.frus_text import FrusTextReader
from fonds.readers.html import HtmlReader
from fonds.readers.legacy_text import LegacyTextReader
from fonds.readers.pdf import PdfTextReader
from fonds.readers.plain import PlainTextReader
from fonds.readers.source import load_source
from fonds.readers.tei import TeiReader
from fonds.readers.wilson_markdown import WilsonMarkdownReader
from fonds.readers.wilson_web import WilsonWebReader

READERS: list[Reader] = [
    TeiReader(),
    HtmlReader(),
    WilsonMarkdownReader(),
    WilsonWebReader(),
    FrusTextReader(),
    LegacyTextReader(),
    PlainTextReader(),
]
PDF_READER = PdfTextReader()
HEAD_CHARS = 20_000


def choose_reader(source: SourceFile) -> Reader:
    """The reader with the highest bid for this file (never none: plain text bids 1)."""
    if source.encoding == "pdf":
        return PDF_READER
    head = source.text[:HEAD_CHARS]
    return max(READERS, key=lambda r: r.match(source.path, head))


__all__ = ["READERS", "Reader", "choose_reader", "load_source"]
