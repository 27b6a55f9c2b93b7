"""PDF with a text layer: pypdf extracts the text, which is then read as a page or as text.

A PDF is read under a budget, so that a small hostile file (a stream that expands a
thousandfold, a page tree of millions of pages) is refused with a clear message instead
of holding a core for minutes: pypdf's own decoding limits, set lower than its defaults,
and limits of ours on the page count and the text extracted."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from fonds.errors import ReadError
from fonds.model import Draft, SourceFile
from fonds.readers.plain import parse_plain
from fonds.readers.wilson_web import MARKERS, parse_page

logging.getLogger("pypdf").setLevel(logging.ERROR)
# pypdf is imported when a PDF is read: 17 MB in every process otherwise.

MAX_PAGES = 2_000  # a FRUS volume in print runs to about 1,500 pages
MAX_TEXT_CHARS = 20_000_000  # text extracted from all the pages
MAX_STREAM_BYTES = 20_000_000  # one stream decompressed (pypdf's default: 75 MB)
MAX_DECODING_BYTES = 100_000_000  # all streams decompressed together (default: 300 MB)


class PdfTextReader:
    """Reads a PDF's text layer; a scanned PDF without one is reported, not guessed."""

    name = "pdf"
    streams = False

    def match(self, path: str, head: str) -> int:
        return 0  # chosen by its magic number in fonds.readers.choose_reader

    def read(self, source: SourceFile) -> Iterator[Draft]:
        text = "\n\n".join(_pages(source.path)).strip()
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


def _pages(path: str) -> list[str]:
    """The text of every page, within the budget."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PdfReadError, PyPdfError

    limits = {
        "zlib_maximum_output_length": MAX_STREAM_BYTES,
        "lzw_maximum_output_length": MAX_STREAM_BYTES,
        "run_length_maximum_output_length": MAX_STREAM_BYTES,
        "array_based_stream_maximum_output_length": MAX_STREAM_BYTES,
        "stream_decoding_work_maximum_length": MAX_DECODING_BYTES,
    }
    pages: list[str] = []
    size = 0
    try:
        with apply_configuration(**limits):
            pdf = PdfReader(path)
            count = len(pdf.pages)
            if count > MAX_PAGES:
                raise ReadError(
                    f"{path}: a PDF of {count:,} pages, over the limit of {MAX_PAGES:,}; "
                    "split it, or extract its text first"
                )
            for page in pdf.pages:
                text = page.extract_text() or ""
                size += len(text)
                if size > MAX_TEXT_CHARS:
                    raise ReadError(
                        f"{path}: the PDF's text runs past {MAX_TEXT_CHARS:,} characters; "
                        "split it, or extract its text first"
                    )
                pages.append(text)
    except LimitReachedError as err:
        raise ReadError(f"{path}: the PDF expands past the reading budget ({err})") from err
    except (PdfReadError, PyPdfError, OSError, ValueError, KeyError) as err:
        raise ReadError(f"{path}: a broken PDF ({err})") from err
    return pages
