"""The text of a Wilson Center Digital Archive document page, with its site furniture.

A page copied from a browser holds the document between navigation ("Skip to content",
"Search in"), citation widgets ("get citation", "share document"), PDF viewer messages,
and a block of metadata labels ("Document Information", "Record ID" ...) where an empty
label is followed directly by the next label.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from fonds.clean.dates import find_dates, parse_date
from fonds.model import Draft, Field, SourceFile, Span
from fonds.readers.lines import Line, join_body, split_lines

# Lines that belong to the site, never to the document.
FURNITURE = {
    "digitalarchive.wilsoncenter.org",
    "skip to content",
    "search in",
    "digital archive international history declassified",
    "digital archive",
    "citation",
    "get citation",
    "share document",
    "share",
    "print",
    "download",
    "[...]",
    "[…]",
    "...",
    "english",
    "original",
    "translation",
    "transcript",
}
FURNITURE_PREFIXES = (
    "clipped from ",
    "saved from ",
    "it appears your web browser is not configured",
    "click here to view the pdf",
    "click here to download",
    "pdfs cannot be printed inline",
    "the history and public policy program welcomes reuse",
    "to enquire about this document's rights status",
    "to enquire about this document’s rights status",
    "your browser does not support",
)
LANGUAGE_TABS = re.compile(
    r"^(?:(?:english|russian|chinese|korean|german|japanese|french|spanish|polish|czech|hungarian|"
    r"romanian|bulgarian|mongolian|vietnamese|albanian)\s+)+(?:(?:html|pdf|transcript|translation|"
    r"original)\s*)+$",
    re.I,
)
# Labels of the page's metadata block; a label's value is the lines up to the next label.
LABELS = {
    "associated people & organizations": "people_orgs",
    "associated people and organizations": "people_orgs",
    "associated places": "places",
    "associated topics": "topics",
    "subjects discussed": "topics",
    "related documents": "related",
    "document information": "document_information",
    "source": "archive_source",
    "original archive": "original_archive",
    "rights": "rights",
    "original uploaded date": "uploaded",
    "type": "type_label",
    "language": "language_label",
    "record id": "record_id",
    "original classification": "classification_label",
    "original language": "language_label",
    "theme": "topics",
    "keywords": "topics",
    "collection": "collection",
}
BLOCK_STARTS = {"people_orgs", "places", "document_information", "topics", "related"}
CREDITS = re.compile(
    r"^this document was made possible with (?:the )?support (?:from|of) (?:the )?(.+?)\.?$", re.I
)
QUOTED_CITATION = re.compile(r"^[\"“](?P<title>.+?),?[\"”],?\s")
MARKERS = (
    "digital archive",
    "digitalarchive.wilsoncenter.org",
    "this document was made possible with support",
    "history and public policy program",
    "get citation",
    "share document",
    "skip to content",
    "document information",
    "record id",
    "original classification",
    "associated people & organizations",
)
CLASSIFIED = re.compile(r"^(?:strictly |top |most )?secret|^confidential|^restricted", re.I)
FIRST_PERSON = re.compile(r"\b(?:I|we|We|our|Our|my|me|us|you|You)\b")


READING_TIME = re.compile(r"^\d{1,3}\s*(?:[–-]\s*\d{1,3}\s*)?min(?:ute)?s?(?: read)?$", re.I)


def is_furniture(text: str) -> bool:
    low = text.casefold().strip(" •")
    return (
        low in FURNITURE
        or low.startswith(FURNITURE_PREFIXES)
        or bool(LANGUAGE_TABS.match(low))
        or bool(READING_TIME.match(low))
    )


def label_of(text: str) -> str | None:
    return LABELS.get(text.casefold().rstrip(":").strip())


class WilsonWebReader:
    """Reads the text of a Digital Archive document page."""

    name = "wilson-web"
    streams = False

    def match(self, path: str, head: str) -> int:
        """Two site markers, or one with the page's own layout (a date line above the
        title, or the archive's citation line), or that layout alone (a clipped page)."""
        low = head.casefold()
        if low.lstrip().startswith(("<", "#")):
            return 0
        hits = sum(1 for m in MARKERS if m in low)
        lines = [ln for ln in split_lines(head[:12_000], strip_bullets=True) if ln.text]
        dated_title = bool(_dated_titles(lines[:40]))
        cited = _citation_line(lines) is not None
        titled_date = _title_then_date(lines) is not None
        if hits >= 2 or (hits and (dated_title or cited or titled_date)):
            return 80
        if dated_title and _dated_titles(lines[:40])[0] <= 1:
            return 78  # a clipped page: its date line and title come first
        if titled_date:
            return 68
        return 0

    def read(self, source: SourceFile) -> Iterator[Draft]:
        yield parse_page(source.text)


def parse_page(text: str) -> Draft:
    lines = split_lines(text, strip_bullets=True)
    fields: dict[str, Field] = {}
    meta_at = _metadata_start(lines)
    cited = _citation_line(lines[:meta_at])
    if cited is not None:
        # The archive's citation line, wherever the capture kept it, names the title.
        fields["citation"] = cited.field()
        lines = [ln for ln in lines if ln is not cited]
        meta_at -= 1
    first = _own_date_line(lines[:meta_at])
    head_end = first + _read_header(lines[first:meta_at], fields)
    if "title" not in fields and "date" not in fields:
        head_end = max(head_end, _read_title_first(lines[:meta_at], fields))
    head_end = _title_from_citation(lines, head_end, meta_at, fields)
    head_end = _summary_after_title(lines, head_end, meta_at, fields)
    body_lines, tail = _body_and_tail(lines[head_end:meta_at])
    if "summary" not in fields and tail:
        fields["summary"] = _joined(tail)
    elif "summary" not in fields:
        candidate = _trailing_summary(body_lines, meta_at < len(lines))
        if candidate:
            fields["summary"] = _joined(candidate)
            body_lines = body_lines[: len(body_lines) - len(candidate)]
    _read_metadata(lines[meta_at:], fields)
    if "title" not in fields and "citation" in fields:
        m = QUOTED_CITATION.match(fields["citation"].value)
        cited = fields["citation"].span
        if m:
            # the evidence is the title inside the citation line, not the whole line
            span = (
                Span(cited.start + m.start("title"), cited.start + m.end("title"))
                if cited
                else None
            )
            fields["title"] = Field(m.group("title"), span)
    body = join_body([line.text for line in body_lines])
    return Draft(format="wilson-web", body=body, fields=fields)


# The longest date line a page shows ("December 30, 1949 – January 5, 1950, 2 p.m.") is
# under 50 characters: a longer line is prose, and is not searched for dates here.
WHOLE_DATE_CHARS = 80


def _is_whole_date(text: str) -> bool:
    """A line that is a day or a month ("October 3, 1950"), not a bare number ("2264.")."""
    if len(text) > WHOLE_DATE_CHARS:
        return False
    date = parse_date(text)
    return (
        date is not None
        and date.span[0] == 0
        and date.span[1] >= len(text) - 1
        and len(date.iso.split("/")[0]) >= 7
    )


def _is_dateline(text: str) -> bool:
    """A document's own dateline ("Moscow, April 4, 1956—7 p.m."): a place and a date."""
    dates = find_dates(text)
    if not dates or len(text[dates[-1].span[1] :]) > 20:
        return False
    place = text[: dates[-1].span[0]].strip(" ,[]")
    words = place.split()
    return 0 < len(words) <= 3 and all(w[:1].isupper() for w in words)


def _title_like(text: str) -> bool:
    return (
        8 <= len(text) <= 400
        and text[:1].isupper()
        and not _is_whole_date(text)
        and not _is_dateline(text)
        and not is_furniture(text)
        and label_of(text) is None
        and CREDITS.match(text) is None
    )


def _dated_titles(content: list[Line]) -> list[int]:
    """Positions of a date line followed by a title line: the archive's page header."""
    return [
        i
        for i in range(len(content) - 1)
        if _is_whole_date(content[i].text) and _title_like(content[i + 1].text)
    ]


def _title_then_date(content: list[Line]) -> tuple[int, int | None, int] | None:
    """A page that shows the title first, then perhaps the summary, then the date line (a
    reader view, a clipping): positions of title, summary and date among ``content``."""
    shown = [ln for ln in content[:8] if not is_furniture(ln.text)]
    if len(shown) < 3 or not _title_like(shown[0].text) or len(shown[0].text) > 300:
        return None
    if shown[0].text.endswith("."):
        return None
    for k in (1, 2):
        if k < len(shown) and _is_whole_date(shown[k].text):
            summary = content.index(shown[1]) if k == 2 else None
            return content.index(shown[0]), summary, content.index(shown[k])
    return None


def _read_title_first(lines: list[Line], fields: dict[str, Field]) -> int:
    content = [ln for ln in lines if ln.text]
    found = _title_then_date(content)
    if found is None:
        return 0
    title, summary, date = found
    fields["title"] = content[title].field()
    if summary is not None:
        fields["summary"] = content[summary].field()
    fields["date"] = content[date].field()
    return lines.index(content[date]) + 1


def _citation_line(lines: list[Line]) -> Line | None:
    """The archive's citation: '"Title," date, ... Digital Archive, ...'."""
    for line in lines:
        low = line.text.casefold()
        if QUOTED_CITATION.match(line.text) and (
            "digital archive" in low or "history and public policy program" in low
        ):
            return line
    return None


def _own_date_line(lines: list[Line]) -> int:
    """Where the document's own header starts: past the teasers of related records that a
    clipped page may keep above it (date, title, one-line summary, then the next date)."""
    content = [(i, ln) for i, ln in enumerate(lines) if ln.text][:40]
    headers = _dated_titles([ln for _, ln in content])
    if not headers:
        return 0
    if headers[0] and all(_navigation_like(ln.text) for _, ln in content[: headers[0]]):
        # a site's own lines above the header ("Home > Collections", "Share | Print"):
        # the document's header starts at its date line
        return content[headers[0]][0]
    chosen = headers[0]
    for later in headers[1:]:
        between = content[chosen + 2 : later]
        if len(between) <= 2 and all(len(ln.text) < 600 for _, ln in between):
            chosen = later
        else:
            break
    return content[chosen][0] if chosen != headers[0] else 0


# A site's breadcrumb, menu or button bar: words between separators ("Home > Collections",
# "Share | Print").
NAVIGATION = re.compile(r"\S\s*(?:>|\||»|›)\s*\S")


def _navigation_like(text: str) -> bool:
    """A line of a site's own above a page's header (its name, a breadcrumb, a menu), never
    a title: page furniture, or short words between menu separators."""
    low = text.casefold()
    if is_furniture(text) or low.endswith("digital archive"):
        return True
    return len(text) <= 120 and NAVIGATION.search(text) is not None and not text.endswith(".")


def _title_from_citation(lines: list[Line], at: int, stop: int, fields: dict[str, Field]) -> int:
    """With no date line, the first line that repeats the citation's title is the title."""
    if "title" in fields or "citation" not in fields:
        return at
    m = QUOTED_CITATION.match(fields["citation"].value)
    if not m:
        return at
    wanted = " ".join(m.group("title").split()).casefold().rstrip(",")
    for i in range(at, min(stop, at + 6)):
        if " ".join(lines[i].text.split()).casefold() == wanted:
            fields["title"] = lines[i].field()
            return i + 1
    return at


def _summary_after_title(lines: list[Line], at: int, stop: int, fields: dict[str, Field]) -> int:
    """The archive's summary where a page shows it: the third-person paragraph right under
    the title, with the document's text after it."""
    if "title" not in fields or "summary" in fields:
        return at
    content = [i for i in range(at, stop) if lines[i].text and not is_furniture(lines[i].text)]
    if len(content) < 2:
        return at
    line = lines[content[0]]
    text = line.text
    if (
        40 <= len(text) <= 1500
        and text.endswith((".", ".”", '."', ")"))
        and not FIRST_PERSON.search(text)
        and not _is_whole_date(text)
        and not re.match(r"^[A-Z][\w'’-]+(?: [A-Z][\w'’-]+){0,3}\. ", text)
        and not text.startswith(("[", "(", "Nº", "No.", "No ", "#"))
        and CREDITS.match(text) is None
        and not CLASSIFIED.match(text)
    ):
        fields["summary"] = line.field()
        return content[0] + 1
    return at


def _metadata_start(lines: list[Line]) -> int:
    for i, line in enumerate(lines):
        if label_of(line.text) in BLOCK_STARTS:
            return i
    return len(lines)


def _read_header(lines: list[Line], fields: dict[str, Field]) -> int:
    """Take the date, title, credits and citation block; return where the body starts."""
    i = 0
    in_citation = False
    while i < len(lines):
        line = lines[i]
        low = line.text.casefold()
        if not line.text:
            i += 1
            continue
        if low.strip(" •") in {"citation", "get citation"}:
            in_citation = True
            i += 1
            continue
        if low.strip(" •") == "share document":
            in_citation = False
            i += 1
            continue
        if is_furniture(line.text):
            i += 1
            continue
        credit = CREDITS.match(line.text)
        if credit:
            fields["credits"] = line.field(credit.group(1))
            i += 1
            continue
        if in_citation:
            if QUOTED_CITATION.match(line.text) or "digital archive" in low:
                fields["citation"] = line.field()
            else:
                fields["summary"] = line.field()
            i += 1
            continue
        date = parse_date(line.text)
        whole_date = date is not None and date.span[0] == 0 and date.span[1] >= len(line.text) - 1
        if "date" not in fields and "title" not in fields and whole_date:
            fields["date"] = line.field()
            i += 1
            continue
        # The title stands right after the date; once the credits or the citation block
        # came first, the page has no title line and the citation's title is used.
        title_slot = "credits" not in fields and "citation" not in fields
        if (
            "title" not in fields
            and "date" in fields
            and title_slot
            and not whole_date
            and len(line.text) < 400
        ):
            fields["title"] = line.field()
            i += 1
            continue
        break
    return i


def _body_and_tail(lines: list[Line]) -> tuple[list[Line], list[Line]]:
    """Split the middle of the page into the body and what follows a closing ``[...]``."""
    body: list[Line] = []
    tail: list[Line] = []
    seen_text = False
    closed = False
    for line in lines:
        if not line.text:
            continue
        if line.text in {"[...]", "[…]"}:
            if seen_text:
                closed = True
            continue
        if is_furniture(line.text):
            continue
        if closed:
            tail.append(line)
        else:
            body.append(line)
            seen_text = True
    return body, tail


def _trailing_summary(body: list[Line], before_metadata: bool) -> list[Line]:
    """The archive's summary when it sits as the last paragraph before the metadata block.

    It is a third-person description: no first or second person, no speaker label.
    """
    if not before_metadata or len(body) < 3:
        return []
    last = body[-1]
    if len(last.text) > 1000 or FIRST_PERSON.search(last.text):
        return []
    if re.match(r"^[A-Z][\w'’-]+(?: [A-Z][\w'’-]+){0,3}\. ", last.text):
        return []  # "Stalin. ..." is a speaker's turn
    if last.text.startswith(("[", "(", "Recorded by", "Nº", "No.")):
        return []
    return [last]


def _read_metadata(lines: list[Line], fields: dict[str, Field]) -> None:
    current: str | None = None
    values: dict[str, list[Line]] = {}
    for line in lines:
        if not line.text:
            continue
        label = label_of(line.text)
        if label:
            current = label
            continue
        if is_furniture(line.text) or current in {None, "rights", "uploaded"}:
            continue
        values.setdefault(current, []).append(line)
    if values.get("document_information") and "citation" not in fields:
        fields["citation"] = _joined(values["document_information"])
    for key in ("archive_source", "original_archive"):
        if values.get(key):
            fields[key] = _joined(values[key])
    if values.get("record_id"):
        fields["record_id"] = values["record_id"][0].field()
    if values.get("classification_label"):
        fields["archive_classification"] = values["classification_label"][0].field()
    if values.get("language_label"):
        fields["original_language"] = values["language_label"][0].field()
    if values.get("type_label"):
        fields["type_label"] = values["type_label"][0].field()
    for key in ("people_orgs", "places", "topics"):
        if values.get(key):
            fields[key] = Field("; ".join(v.text for v in values[key]))


def _joined(lines: list[Line]) -> Field:
    first, last = lines[0], lines[-1]
    return Field(" ".join(line.text for line in lines), Span(first.start, last.end))
