"""PDF with a text layer: pypdf extracts the text, which is then read as a page or as text."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from fonds.errors import ReadError
from fonds.model import Draft, SourceFile
from fonds.readers.plain import parse_plain
from fonds.readers.wilson_web import MARKERS, parse_page

logging.getLogger("pypdf").setLevel(logging.ERROR)


class PdfTextReader:
    """Reads a PDF's text layer; a scanned PDF without one is reported, not guessed."""

    name = "pdf"

    def match(self, path: str, head: str) -> int:
        return 0  # chosen by its magic number in fonds.readers.choose_reader

    def read(self, source: SourceFile) -> Iterator[Draft]:
        try:
            pdf = PdfReader(source.path)
            pages = [page.extract_text() or "" for page in pdf.pages]
        except (PdfReadError, OSError, ValueError, KeyError) as err:
            raise ReadError(f"{source.path}: a broken PDF ({err})") from err
        text = "\n\n".join(pages).strip()
        if not text:
            raise ReadError(f"{source.path}: this PDF has no text layer (a scan?); run OCR first")
        low = text.casefold()
        draft = (
            parse_page(text)
            if sum(1 for m in MARKERS if m in low) >= 2
            else parse_plain(text, "pdf")
        )
        draft.format = "pdf"
        yield draft
