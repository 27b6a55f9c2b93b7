"""A FRUS document as text: copied from the Office of the Historian's page, or extracted
from the printed volume.

The forms users have, read by the page's structure rather than by its first line:

* the document area copied: the source note ("795B.00/7–1450: Telegram") first, then the
  heading ("The Ambassador in Korea (Muccio) to the Secretary of State"), perhaps with the
  document's number ("57. The Ambassador ..."), the classification, the dateline
  ("Seoul, July 14, 1950—4 p. m."), the body, the signature and the footnotes;
* the whole page copied: the site's navigation, breadcrumb ("Home › Historical Documents
  › ..."), the volume's title and "Document 57" before it, and the site's footer after;
* a browser's reader view: the site's name, the heading, a reading-time line;
* the printed volume's text (``pdftotext``): running heads and page numbers between
  pages, words hyphenated at line ends, and the ends of neighbouring documents.

The heading is the title; the source note is an archival reference; the body runs from the
dateline to the footnotes, which stay at its end (a reader of the text loses nothing). When
a file holds several documents (a print page), the one that fills the file is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from fonds.clean.dates import find_dates
from fonds.extract.headings import parse_heading
from fonds.model import Draft, Field, SourceFile
from fonds.readers.lines import Line, join_body, paragraphs, split_lines

SITE_MARKERS = (
    "office of the historian",
    "history.state.gov",
    "historical documents",
    "foreign relations of the united states",
)
# A State Department file number or a lot file, perhaps with the kind of document.
SOURCE_NOTE = re.compile(
    r"^(?:\d+\.?\s+)?(?:Source:\s*)?(?:"
    r"\d{3}[A-Z]?\.[\w.]+(?:,?\s+[\w()]+)*,?/\d{1,2}[–-]\d{3,6}"
    r"|[A-Z][\w'’.,() ]{0,80}?\bLot\s+\d{2}\s?[A-Z]\s?\d{1,4}"
    r"|(?:Department of State,?\s+)?(?:[A-Z][\w'’]+ )?Files?(?:,| Lot)[^.]{0,80}"
    r")(?:[,:;]\s*[\w ,.()-]{0,60})?\.?$"
)
# A footnote's number glued to the end of a heading: "... to the Secretary of State1".
FOOTNOTE_MARK = re.compile(r"(?<=[a-z.)\]])\d{1,2}$")
DOC_NUMBER = re.compile(r"^(\d{1,4})\.\s+(?=[A-Z])")
DOCUMENT_LINE = re.compile(r"^Document\s+\d{1,4}$", re.I)
CLASSIFICATION = re.compile(
    r"^\[?(?:top secret|secret|confidential|restricted|personal and confidential|"
    r"for official use only|eyes only|personal|urgent|priority|niact|limited distribution)"
    r"(?:[\s,]+(?:niact|priority|urgent|eyes only|personal|and|confidential|secret|"
    r"limited distribution))*\.?\]?$",
    re.I,
)
PRINTED_OPENER = re.compile(
    r"^(?P<mark>(?:TOP SECRET|SECRET|CONFIDENTIAL|RESTRICTED|PERSONAL AND CONFIDENTIAL)"
    r"(?:\s+(?:NIACT|PRIORITY|URGENT))?)\s{2,}(?P<dateline>\S.*)$"
)
RECEIVED = re.compile(r"^\[?(?:Received|Washington,\s+undated)\b.*\]?$", re.I)
FIRST_FOOTNOTE = re.compile(r"^(?:\[1\]|1\.?|\*|†)\s+\S")
# "Moscow, February 10, 1947—7 p. m.", "[Washington,] January 5, 1949."
DATELINE_PLACE = re.compile(r"^\[?(?P<place>[A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+){0,3}),?\]?,? ")
NOTE_ONE_MARK = re.compile(r"(?<=[^\W\d_]|[.,;:’”')\]])(?:1|\[1\])(?!\d)")
PAGE_MARK = re.compile(r"[ \t]*\[Page \d{1,4}\][ \t]*")
RUNNING_HEAD = re.compile(
    r"^(?:\d{1,4}\s+)?(?:FOREIGN RELATIONS,?\s+\d{4}.*|[A-Z][A-Z ,;:.'’&-]{3,80})(?:\s+\d{1,4})?$"
)
PAGE_NUMBER = re.compile(r"^\[?(?:Page\s+)?\d{1,4}\]?$", re.I)
READING_TIME = re.compile(r"^\d{1,3}\s*(?:[–-]\s*\d{1,3}\s*)?min(?:ute)?s?(?: read)?$", re.I)
SITE_LINES = {
    "office of the historian",
    "search",
    "home",
    "historical documents",
    "department history",
    "about",
    "about us",
    "countries",
    "conferences",
    "milestones",
    "tags",
    "education",
    "guide to countries",
    "open government",
    "contact us",
    "faq",
    "back to top",
    "previous",
    "next",
    "« previous",
    "next »",
    "‹ previous",
    "next ›",
    "share",
    "print",
    "download",
    "cite",
    "citation",
    "menu",
    "toggle navigation",
    "frequently asked questions",
    "bureau of public affairs",
    "united states department of state",
    "u.s. department of state",
    "history.state.gov",
    "ebook",
    "pdf",
    "epub",
    "mobi",
    "facebook",
    "twitter",
    "youtube",
    "instagram",
    "rss",
    "github",
    "accessibility statement",
    "privacy policy",
    "copyright information",
    "subscribe",
    "foia",
    "skip to main content",
}
# The page's links to the documents before and after: "‹ Previous: 340. The British
# Ambassador … | Next: 342. Editorial Note ›".
NAVIGATION = re.compile(r"^[‹«<]?\s*(?:previous|next)\s*:\s*\d+\.", re.IGNORECASE)
SITE_PREFIXES = (
    "home ›",
    "home >",
    "home »",
    "historical documents ›",
    "phone:",
    "email:",
    "e-mail:",
    "history@state.gov",
    "office of the historian,",
    "office of the historian (",
    "foreign service institute",
    "foreign relations of the united states, ",
    "foreign relations of the united states ",
    "this document is part of",
    "this volume",
    "previous document",
    "next document",
    "view in",
    "persons mentioned",
    "abbreviations",
    "you are here",
    "follow us",
    "find us on",
)
TERMINAL = (".", ",", ";", ":")


@dataclass(frozen=True)
class Heading:
    at: int  # index into the content lines
    title: str
    line: Line


class FrusTextReader:
    """Reads a FRUS document copied from the web or extracted from the printed volume."""

    name = "frus-text"
    streams = False

    def match(self, path: str, head: str) -> int:
        if head.lstrip().startswith(("<", "#")):
            return 0
        content = _join_wrapped_headings([ln for ln in split_lines(head[:12_000]) if ln.text][:80])
        low = head[:12_000].casefold()
        marker = any(m in low for m in SITE_MARKERS)
        notes = [i for i, ln in enumerate(content) if SOURCE_NOTE.match(ln.text)]
        headings = [i for i, ln in enumerate(content) if _heading_title(ln.text)]
        # A source note right before or after a heading is FRUS's own opener.
        paired = any(abs(n - h) <= 2 for n in notes for h in headings)
        if paired:
            return 75
        if marker and headings:
            return 72
        # A heading first, its dateline within the next lines: the document area copied
        # with the source note left in a footnote.
        if headings and headings[0] <= 1 and _opens_document(content, headings[0]):
            return 65
        return 0

    def read(self, source: SourceFile) -> Iterator[Draft]:
        yield parse_frus_text(source.text)


def parse_frus_text(text: str) -> Draft:
    lines = [ln for ln in split_lines(text) if not _is_page_furniture(ln.text)]
    lines = _dehyphenate(lines)
    content = [ln for ln in lines if ln.text]
    fields: dict[str, Field] = {}
    if not content:
        return Draft(format="frus-text", body="")
    content = _join_wrapped_headings(content)
    headings = [
        Heading(i, title, ln)
        for i, ln in enumerate(content)
        if (title := _heading_title(ln.text)) and _opens_document(content, i)
    ]
    if not headings:
        headings = [Heading(0, content[0].text, content[0])]
    chosen, stop = _fullest(headings, content)
    fields["title"] = chosen.line.field(chosen.title)
    # The source note stands just above the heading, or is the first footnote.
    for ln in content[max(0, chosen.at - 2) : chosen.at]:
        if SOURCE_NOTE.match(ln.text):
            fields["source_note"] = ln.field(_strip_source(ln.text))
    start = chosen.at + 1
    # The opener (classification, dateline, receipt) stays at the head of the body.
    body_from = start
    for ln in content[start : start + 6]:
        if SOURCE_NOTE.match(ln.text) and "source_note" not in fields:
            fields["source_note"] = ln.field(_strip_source(ln.text))
        elif CLASSIFICATION.match(ln.text) or PRINTED_OPENER.match(ln.text):
            # print sets the classification and the dateline on one line
            printed = PRINTED_OPENER.match(ln.text)
            mark = printed.group("mark") if printed else ln.text
            if "classification" not in fields:
                fields["classification"] = ln.field(mark.strip("[].").split(",")[0].strip())
            if printed and "date" not in fields and _is_dateline(printed.group("dateline")):
                fields["date"] = ln.field(_dateline_date(printed.group("dateline")))
        elif RECEIVED.match(ln.text):
            pass
        elif "date" not in fields and len(ln.text) < 120 and _is_dateline(ln.text):
            fields["date"] = ln.field(_dateline_date(ln.text))
            place = DATELINE_PLACE.match(ln.text)
            if place:
                fields["place"] = ln.field(place.group("place"))
        else:
            break
        start += 1
    if SOURCE_NOTE.match(content[body_from].text) and body_from < stop:
        body_from += 1  # the source note is a reference, not the document's text
    body_lines = (
        [ln for ln in lines if content[body_from].start <= ln.start] if body_from < stop else []
    )
    if stop < len(content):
        body_lines = [ln for ln in body_lines if ln.start < content[stop].start]
    body_lines = [ln for ln in body_lines if not _is_page_furniture(ln.text)]
    if "source_note" not in fields:
        for ln in body_lines:
            m = re.match(r"^(?:\[?\d{1,3}\]?\s+)?(?:Source:\s*)?(.+)$", ln.text)
            if m and SOURCE_NOTE.match(m.group(1)):
                fields["source_note"] = ln.field(_strip_source(m.group(1)))
                break
    if "date" not in fields:
        for ln in body_lines[:12]:
            if ln.text and len(ln.text) < 120 and _is_dateline(ln.text):
                fields["date"] = ln.field(_dateline_date(ln.text))
                break
    body_lines, note_lines = _split_footnotes(body_lines, chosen.line.text)
    if "date" not in fields:  # a note of a foreign government dates itself at its end
        for ln in [ln for ln in body_lines if ln.text][-3:]:
            if len(ln.text) < 60 and _is_dateline(ln.text):
                fields["date"] = ln.field(_dateline_date(ln.text))
    # The opener's lines (classification, dateline, receipt) are blocks of their own,
    # even where print runs the text on without a blank line.
    opener = {ln.start for ln in content[body_from:start]}
    head = [ln for ln in body_lines if ln.start in opener]
    rest = [ln for ln in body_lines if ln.start not in opener]
    blocks = [ln.text for ln in head] + [" ".join(ln.text for ln in p) for p in _paragraphs(rest)]
    notes = "\n".join(ln.text for ln in note_lines if ln.text) or None
    del lines, content, body_lines, head, rest  # a big text is not held twice over
    # each block folded, its page marks dropped, folded again: one pass, one join
    body = join_body(PAGE_MARK.sub(" ", join_body([b])) for b in blocks)
    return Draft(format="frus-text", body=body, fields=fields, notes=notes)


def _split_footnotes(lines: list[Line], heading: str) -> tuple[list[Line], list[Line]]:
    """The document's text and its footnotes: numbered from 1 after the signature (or a
    last short line), as the page shows them; FRUS's numbered paragraphs are not notes."""
    content = [i for i, ln in enumerate(lines) if ln.text]
    # The last "1 ..." line after a short one, with the mark of note 1 in the text above
    # it ("meeting1", "August 28[1]"): a numbered paragraph "1. The Government ..." right
    # under the dateline has no such mark before it, and one under a line that ends in a
    # colon ("In my opinion:") opens a list, not the notes.
    for k in range(len(content) - 1, 0, -1):
        i = content[k]
        if not FIRST_FOOTNOTE.match(lines[i].text):
            continue
        before = lines[content[k - 1]].text
        if len(before) > 60 or FIRST_FOOTNOTE.match(before) or before.endswith(":"):
            continue
        above = " ".join([heading] + [lines[j].text for j in content[:k]])
        if NOTE_ONE_MARK.search(above):
            return lines[:i], lines[i:]
    return lines, []


WRAPPED = re.compile(r"\b(?:the|of|to|by|and|for|in|on|at)$")


def _join_wrapped_headings(content: list[Line]) -> list[Line]:
    """A heading the print broke over two lines ("... (Panyushkin) to the" / "Secretary of
    State", or "... of the Soviet Union" / "(Stalin) to President Truman") is one line
    again."""
    out: list[Line] = []
    i = 0
    while i < len(content):
        ln = content[i]
        nxt = content[i + 1] if i + 1 < len(content) else None
        if (
            nxt is not None
            and len(nxt.text) < 120
            and (
                (WRAPPED.search(ln.text) and nxt.text[:1].isupper())
                or ("(" not in ln.text and nxt.text.endswith(")") and "(" in nxt.text)
                # "... of the Soviet Union" / "(Stalin) to President Truman"
                or ("(" not in ln.text and nxt.text.startswith("(") and " to " in nxt.text)
            )
            and _heading_title(ln.text + " " + nxt.text)
        ):
            out.append(Line(ln.text + " " + nxt.text, ln.start, nxt.end))
            i += 2
            continue
        out.append(ln)
        i += 1
    return out


def _paragraphs(lines: list[Line]) -> list[list[Line]]:
    """Paragraphs: blank-line separated where the text wraps its lines (print), one a line
    where every line is a whole paragraph (a web page's text)."""
    filled = [ln for ln in lines if ln.text]
    wrapped = sum(1 for ln in filled if 55 <= len(ln.text) <= 90)
    if filled and wrapped < len(filled) / 2:
        return [[ln] for ln in filled]
    return paragraphs(lines)


def _heading_title(text: str) -> str | None:
    """The title a heading line gives, or None when the line is no FRUS heading."""
    text = FOOTNOTE_MARK.sub("", text)
    if len(text) > 300 or len(text) < 8 or text.endswith(TERMINAL[:3]) or WRAPPED.search(text):
        return None
    number = DOC_NUMBER.match(text)
    title = text[number.end() :] if number else text
    if not title[:1].isupper() or SOURCE_NOTE.match(title) or _is_dateline(title):
        return None
    if title.casefold() == "editorial note":
        return title
    h = parse_heading(title)
    if h.doc_type == "other" and not (h.sender or h.sender_office):
        return None
    if h.sender or h.recipients or h.recipient_offices or (h.doc_type and h.sender_office):
        return title
    if h.doc_type and (len(title.split()) <= 12 or re.search(r"\bby the\b|\(\w", title)):
        return title
    return None


def _opens_document(content: list[Line], i: int) -> bool:
    """A heading opens a document when a source note, a number, a classification or a
    dateline stands beside it (a sentence of the body that looks like a heading does not)."""
    text = content[i].text
    if DOC_NUMBER.match(text) or text.casefold() == "editorial note":
        return True
    after = content[i + 1].text if i + 1 < len(content) else ""
    if after[:1].islower() and not CLASSIFICATION.match(after) and not _is_dateline(after):
        return False  # the sentence goes on below: a wrapped line of the body
    near = [ln.text for ln in content[max(0, i - 2) : i + 4] if ln is not content[i]]
    return any(
        SOURCE_NOTE.match(t)
        or CLASSIFICATION.match(t)
        or DOCUMENT_LINE.match(t)
        or (len(t) < 120 and _is_dateline(t))
        for t in near
    )


def _fullest(headings: list[Heading], content: list[Line]) -> tuple[Heading, int]:
    """The heading whose document fills most of the file, and where that document stops."""
    best: tuple[int, Heading, int] | None = None
    for k, h in enumerate(headings):
        stop = headings[k + 1].at if k + 1 < len(headings) else len(content)
        # The next document's source note belongs to it.
        while (
            k + 1 < len(headings) and stop > h.at + 1 and SOURCE_NOTE.match(content[stop - 1].text)
        ):
            stop -= 1
        size = sum(len(ln.text) for ln in content[h.at : stop])
        if best is None or size > best[0]:
            best = (size, h, stop)
    assert best is not None
    return best[1], best[2]


def _is_dateline(text: str) -> bool:
    if text[:1].islower():  # "with Bulgaria was adopted because, beginning May 9, 1944,"
        return False
    dates = find_dates(text)
    if not dates:
        return False
    rest = text[dates[-1].span[1] :].strip(" .,")
    # "Moscow, February 10, 1947—7 p. m." or "[Washington,] January 5, 1949."
    return len(rest) <= 20 and dates[-1].span[0] <= 60


def _dateline_date(text: str) -> str:
    dates = find_dates(text)
    d = dates[-1]
    return text[d.span[0] : d.span[1]]


def _strip_source(text: str) -> str:
    text = re.sub(r"^\d+\.?\s+", "", text)
    return re.sub(r"^Source:\s*", "", text).rstrip(".")


def _is_page_furniture(text: str) -> bool:
    low = text.casefold().strip(" •|")
    if not low:
        return False
    if low in SITE_LINES or low.startswith(SITE_PREFIXES) or READING_TIME.match(low):
        return True
    if NAVIGATION.match(text.strip()):
        return True
    parts = [part.strip() for part in low.split("|")]
    if len(parts) > 1 and all(part in SITE_LINES for part in parts):  # a footer's links
        return True
    if DOCUMENT_LINE.match(text) or PAGE_NUMBER.match(text):
        return True
    return bool(RUNNING_HEAD.match(text)) and (
        "FOREIGN RELATIONS" in text or re.search(r"\d{2,4}$|^\d{1,4}\s", text) is not None
    )


def _dehyphenate(lines: list[Line]) -> list[Line]:
    """Join a word split at a line's end ("Gov-" / "ernment") as the printed text had it."""
    out: list[Line] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if (
            nxt is not None
            and nxt.text
            and re.search(r"[a-z]-$", ln.text)
            and nxt.text[:1].islower()
            and len(ln.text) > 40
        ):
            head, _, rest = nxt.text.partition(" ")
            merged = Line(ln.text[:-1] + head, ln.start, ln.end)
            out.append(merged)
            if rest:
                offset = nxt.start + len(head) + 1
                lines[i + 1] = Line(rest, offset, nxt.end)
                i += 1
                continue
            i += 2
            continue
        out.append(ln)
        i += 1
    return out
