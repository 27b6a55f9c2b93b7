"""TEI P5 volumes as the Office of the Historian publishes FRUS: one draft per document.

A volume is one XML file holding hundreds of ``<div type="document">``; it is parsed as a
stream (``lxml.etree.iterparse``) and each document is freed once its draft is built, so
memory stays flat however long the volume is. The markup is itself a label set: the
``<head>`` (title, with ``<persName type="from">`` / ``<gloss type="to">``), the opener
(classification and a ``<dateline>`` with ``<placeName>`` and ``<date when=...>``), the
source note (``<note type="source">``, a decimal file number), the closer's ``<signed>``
and the footnotes (``<note n=...>``), which go to ``Draft.notes``, never to the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from lxml import etree

from fonds.errors import ReadError
from fonds.model import Draft, Field, Publication, SourceFile, Span
from fonds.readers.editions import Edition, edition_for

TEI_NS = "http://www.tei-c.org/ns/1.0"
FRUS_NS = "http://history.state.gov/frus/ns/1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
DATE_MIN = f"{{{FRUS_NS}}}doc-dateTime-min"
DATE_MAX = f"{{{FRUS_NS}}}doc-dateTime-max"

_TEI_HEAD = re.compile(r"<(?:[\w.-]+:)?TEI\b")
# XML whitespace only (a no-break space is kept); a lone space is not a match, so the
# common case costs no substitution.
_WS = re.compile(r"[ \t\r\n]{2,}|[\t\r\n]")
_SPACE_IN_BRACKETS = re.compile(r"(?<=[(\[]) | (?=[)\],])")
_SPACE_BEFORE_STOP = re.compile(r"(?<=[^\s.]) (?=\.(?! ?\.)(?!\d))")  # keeps ". . ."
_CLASSIFICATION = re.compile(r"\b(top\s+secret|secret|confidential|restricted)\b", re.I)
_PRECEDENCE = re.compile(
    r"\b(niact|(?:us\s+)?urgent|priority|operational\s+immediate|immediate|flash)\b", re.I
)
_ONLY_PRECEDENCE = re.compile(rf"^(?:{_PRECEDENCE.pattern}[\s.,;]*)+$", re.I)
# Where the parties of a FRUS head start: "Memorandum ... by the X (Name)",
# "Letter From the X (Name) to ...", or a head that is the parties: "The X (Name) to ...".
_PARTIES_AT = re.compile(r"\b(?:by|from)\s+", re.I)
_TO = re.compile(r"\s+to\s+", re.I)
_NAME_AT_END = re.compile(r"^(?P<office>.*?)\s*\((?P<name>[^()]+)\)\s*$")

# Elements whose children are blocks of their own (their loose text is a block too).
_CONTAINERS = {
    "body",
    "div",
    "attachment",
    "floatingText",
    "postscript",
    "opener",
    "back",
    "front",
    "argument",
    "epigraph",
}
# Elements that may hold either running text or blocks (rendered as blocks if they do).
_MAYBE_CONTAINERS = {"quote", "item", "note", "cit", "sp"}
# Line- and block-level elements met inside running text: kept apart by a space.
_SPACED = {
    "p",
    "ab",
    "l",
    "item",
    "label",
    "row",
    "cell",
    "head",
    "signed",
    "salute",
    "dateline",
    "byline",
    "docDate",
    "address",
    "addrLine",
    "seg",
}
# Phrase-level elements: inside a container they join the loose text around them.
_INLINE = {
    "hi",
    "gloss",
    "persName",
    "placeName",
    "orgName",
    "geogName",
    "name",
    "rs",
    "ref",
    "ptr",
    "date",
    "time",
    "lb",
    "foreign",
    "emph",
    "term",
    "title",
    "abbr",
    "expan",
    "choice",
    "sic",
    "corr",
    "orig",
    "reg",
    "unclear",
    "supplied",
    "add",
    "del",
    "num",
    "measure",
    "q",
    "said",
    "mentioned",
    "soCalled",
    "idno",
}
_BLOCK_NAMES = {"p", "ab", "list", "table", "quote", "lg", "closer", "head", "div", "sp"}


def _local(el: Any) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _norm(text: str) -> str:
    """Collapse XML whitespace; drop the spaces that pretty-printed markup leaves inside
    brackets and before a closing comma or full stop ("[ Drumright ]", "ibid .")."""
    text = _WS.sub(" ", text).strip()
    if "( " in text or "[ " in text or " )" in text or " ]" in text or " ," in text:
        text = _SPACE_IN_BRACKETS.sub("", text)
    if " ." in text:
        text = _SPACE_BEFORE_STOP.sub("", text)
    return text


def _span(locator: str) -> Span:
    return Span(0, 0, "source", locator=locator)


@dataclass
class _Collected:
    """What the walk over one document gathers besides its text."""

    notes: list[str] = field(default_factory=list)
    extra_sources: list[str] = field(default_factory=list)


class _Utf8Chunks:
    """A file object over a ``str`` that hands out its UTF-8 bytes a slice at a time,
    so the volume's text is never copied whole."""

    def __init__(self, text: str, chars: int = 1 << 16) -> None:
        self._text = text
        self._pos = 0
        self._buf = b""
        self._chars = chars

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = len(self._buf) + 4 * (len(self._text) - self._pos)
        while len(self._buf) < size and self._pos < len(self._text):
            end = self._pos + self._chars
            self._buf += self._text[self._pos : end].encode("utf-8", "replace")
            self._pos = end
        out, self._buf = self._buf[:size], self._buf[size:]
        return out


class TeiReader:
    """Reads a TEI file, FRUS volumes in particular: one draft per document div."""

    name = "tei"
    streams = True

    def match(self, path: str, head: str) -> int:
        return 90 if TEI_NS in head or _TEI_HEAD.search(head) else 0

    def read(self, source: SourceFile) -> Iterator[Draft]:
        for item in self._items(source):
            if isinstance(item, Draft):
                yield item
            else:
                yield _document(item[1], item[0], item[2])
                _free(item[1])

    def document_xml(self, source: SourceFile) -> Iterator[DocumentXml | Draft]:
        """Each document div as (ordinal, its XML, its volume), for a worker to read with
        ``draft_from_xml`` (how a big volume's documents are spread over processes); a
        file without document divs gives its one whole-body draft instead."""
        for item in self._items(source):
            if isinstance(item, Draft):
                yield item
            else:
                yield item[0], etree.tostring(item[1], with_tail=False), item[2]
                _free(item[1])

    def _items(self, source: SourceFile) -> Iterator[tuple[int, Any, Volume | None] | Draft]:
        """The document divs as (ordinal, element, volume) while they are parsed (the
        caller frees each), or the whole body's draft when there is no document div."""
        if not source.text or source.text.isspace():
            raise ReadError(f"{source.path}: the TEI file is empty")
        tags = [f"{{{TEI_NS}}}{n}" for n in ("div", "teiHeader", "front", "back", "body")]
        tags += ["div", "teiHeader", "front", "back", "body"]  # TEI without a namespace
        if source.streamed:  # a large volume: parsed straight from the file, never held whole
            stream: Any = open(source.path, "rb")  # noqa: SIM115 - closed below
            encoding = None
        else:
            stream = _Utf8Chunks(source.text)
            encoding = "utf-8"  # the bytes fed are UTF-8 whatever the declaration says
        events = etree.iterparse(
            stream,
            events=("end",),
            tag=tags,
            encoding=encoding,
            remove_comments=True,
            remove_pis=True,
            no_network=True,
        )
        count = 0
        header_title: str | None = None
        volume: Volume | None = None
        whole_body: Draft | None = None
        try:
            for _, el in events:
                name = _local(el)
                if name == "div" and el.get("type") == "document":
                    count += 1
                    yield count, el, volume
                elif name == "teiHeader":
                    header_title = _header_title(el)
                    volume = _volume(el, header_title)
                    el.clear(keep_tail=True)
                elif name == "body" and count == 0:
                    whole_body = _whole_body(el, header_title)
                    el.clear(keep_tail=True)
                elif name in ("front", "back", "body"):
                    el.clear(keep_tail=True)
        except etree.XMLSyntaxError as err:
            raise ReadError(
                f"{source.path}: the TEI is truncated or malformed ({err.msg or err}); "
                f"{count} complete document(s) were read before the break"
            ) from err
        except etree.LxmlError as err:
            raise ReadError(
                f"{source.path}: the TEI cannot be parsed ({err}); "
                f"{count} complete document(s) were read before the break"
            ) from err
        finally:
            if source.streamed:
                stream.close()
        if count == 0:
            if whole_body is None:
                raise ReadError(
                    f'{source.path}: a TEI file with neither <div type="document"> nor a text body'
                )
            yield whole_body


def draft_from_xml(ordinal: int, xml: bytes, volume: Volume | None = None) -> Draft:
    """The draft of one document div given as XML (see ``TeiReader.document_xml``)."""
    parser = etree.XMLParser(remove_comments=True, remove_pis=True, no_network=True)
    return _document(etree.fromstring(xml, parser), ordinal, volume)


def _free(el: Any) -> None:
    """Drop a handled element and everything before it in its parent."""
    el.clear(keep_tail=True)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def _header_title(header: Any) -> str | None:
    titles = [t for t in header.iter() if _local(t) == "title" and _in_title_stmt(t)]
    if not titles:
        return None
    complete = [t for t in titles if t.get("type") == "complete"]
    return _text(complete[0] if complete else titles[0]) or None


@dataclass(frozen=True)
class Volume:
    """What a volume's teiHeader says of the volume: its publication, and the online
    edition its documents are pages of (when the header's idno names a known one)."""

    publication: Publication
    edition: Edition | None = None


# (ordinal, the div's XML, its volume): a document handed to a worker process
DocumentXml = tuple[int, bytes, "Volume | None"]


def _volume(header: Any, title: str | None) -> Volume | None:
    """The volume's publication data from its header (titleStmt and publicationStmt)."""
    if not title:
        return None
    found: dict[str, list[Any]] = {}
    for el in header.iter():
        if isinstance(el.tag, str):
            found.setdefault(_local(el), []).append(el)

    def first(name: str, **attrs: str) -> str | None:
        for el in found.get(name, []):
            if all(el.get(k) == v for k, v in attrs.items()):
                return _text(el) or None
        return None

    editors = [e for e in found.get("editor", []) if _in_title_stmt(e)]
    primary = [e for e in editors if e.get("role") == "primary"] or editors
    idnos = [(i.get("type"), _text(i)) for i in found.get("idno", [])]
    editions = (edition_for(kind, value) for kind, value in idnos if kind and value)
    edition = next((e for e in editions if e is not None), None)
    printed = [
        d for d in found.get("date", []) if _local(d.getparent()) == "publicationStmt"
    ]  # not a date of the header's revisions or sources
    year = first("date", type="publication-date") or (_text(printed[0]) if printed else None)
    return Volume(
        Publication(
            title=title,
            editors=tuple(n for n in (_text(e) for e in primary) if n),
            publisher=first("publisher"),
            place=first("pubPlace"),
            year=year[:4] if year and year[:4].isdigit() else None,
            edition=edition.name if edition else None,
            volume_id=edition.volume if edition else None,
        ),
        edition,
    )


def _in_title_stmt(el: Any) -> bool:
    parent = el.getparent()
    return parent is not None and _local(parent) == "titleStmt"


# --- one document -------------------------------------------------------------------------


def _document(div: Any, ordinal: int, volume: Volume | None = None) -> Draft:
    pid = div.get(XML_ID) or (f"d{div.get('n')}" if div.get("n") else f"doc{ordinal}")
    fields: dict[str, Field] = {}
    hints: dict[str, Any] = {}
    got = _Collected()
    blocks: list[str] = []
    head = opener = source_note = None
    for child in div:
        name = _local(child)
        if name == "note" and child.get("type") == "source" and source_note is None:
            source_note = child
            loc = _span(f"{pid}/note[@type='source']")
            fields["source_note"] = Field(_text(child, got), loc)
        elif name == "head" and head is None and not blocks:
            head = child
            _text(child, got)  # the head's footnotes, in document order
        elif name == "opener" and opener is None and not blocks:
            opener = child
            _opener(child, pid, fields, hints, got)
        else:
            _block(child, blocks, got)
        if child.tail and child.tail.strip():
            blocks.append(_norm(child.tail))

    if div.get("n"):
        hints["frus_n"] = div.get("n")
    if volume is not None:
        hints["published_in"] = replace(volume.publication, number=div.get("n"))
        if volume.edition is not None and div.get(XML_ID):
            url = volume.edition.document_url(div.get(XML_ID))
            fields["url"] = Field(url, _span("teiHeader//idno"))
    if div.get("subtype"):
        fields["doc_subtype"] = Field(div.get("subtype"), _span(f"{pid}/@subtype"))
    if head is not None:
        title = _text(head)
        if title:
            fields["title"] = Field(title, _span(f"{pid}/head"))
        _parties(head, title, pid, fields, hints)
    dateline = _dateline(div, opener)
    _date(div, dateline, pid, fields, hints)
    _precedence_paragraphs(div, opener, hints)
    signed = [
        _text(s)
        for closer in div
        if _local(closer) == "closer"
        for s in closer.iter()
        if _local(s) == "signed"
    ]
    if any(signed):
        hints["signed"] = "; ".join(s for s in signed if s)
    _names(div, hints)
    notes = got.notes + [f"[source] {s}" for s in got.extra_sources]
    return Draft(
        format="tei",
        body="\n\n".join(b for b in blocks if b),
        fields=fields,
        notes="\n".join(notes) or None,
        part=pid,
        hints=hints,
    )


def _whole_body(body: Any, header_title: str | None) -> Draft:
    """A TEI file without document divs: its whole text body as one draft."""
    got = _Collected()
    blocks: list[str] = []
    _container(body, blocks, got)
    fields: dict[str, Field] = {}
    if header_title:
        fields["title"] = Field(header_title, _span("teiHeader/fileDesc/titleStmt/title"))
    hints: dict[str, Any] = {}
    _names(body, hints)
    notes = got.notes + [f"[source] {s}" for s in got.extra_sources]
    return Draft(
        format="tei",
        body="\n\n".join(b for b in blocks if b),
        fields=fields,
        notes="\n".join(notes) or None,
        hints=hints,
    )


def _parties(head: Any, title: str, pid: str, fields: dict[str, Field], hints: dict) -> None:
    """Sender and recipients: the head's from/to markup, else its FRUS wording."""
    marked: dict[str, dict[str, list[str]]] = {"from": {}, "to": {}}
    for el in head.iter():
        role = el.get("type")
        if role in marked and _local(el) in {"persName", "gloss", "orgName", "name", "rs"}:
            kind = "person" if _local(el) == "persName" else "office"
            value = _text(el)
            if value:
                marked[role].setdefault(kind, []).append(value)
    worded_from, worded_to = _head_parties(title)
    loc = _span(f"{pid}/head")
    sender = marked["from"].get("person") or marked["from"].get("office")
    if sender:
        fields["sender"] = Field("; ".join(sender), loc)
    elif worded_from:
        fields["sender"] = Field(worded_from[1] or worded_from[0], loc)
    if worded_from and worded_from[0]:
        hints["sender_office"] = worded_from[0]
    to = marked["to"].get("person") or marked["to"].get("office")
    if to:
        fields["recipients"] = Field("; ".join(to), loc)
    elif worded_to:
        fields["recipients"] = Field(worded_to[1] or worded_to[0], loc)
    if worded_to and worded_to[0]:
        hints["recipient_office"] = worded_to[0]


def _head_parties(
    title: str,
) -> tuple[tuple[str, str | None] | None, tuple[str, str | None] | None]:
    """("office", "Name") of the sender and the recipient in a FRUS head such as
    "The Ambassador in Korea (Muccio) to the Secretary of State"."""
    if not title:
        return None, None
    at = _PARTIES_AT.search(title)
    if at:
        text = title[at.end() :]
    elif title.casefold().startswith("the "):
        text = title
    else:
        return None, None
    split = _TO.search(text)
    paren = text.find("(")
    if split and 0 <= paren < split.start():  # "The X (Name) to ...": after the name
        split = _TO.search(text, text.find(")", paren) + 1 or len(text))
    sender_text = text[: split.start()] if split else text
    to_text = text[split.end() :] if split else ""
    return _office_and_name(sender_text), _office_and_name(to_text)


def _office_and_name(text: str) -> tuple[str, str | None] | None:
    text = text.strip(" ,;:")
    if not text:
        return None
    m = _NAME_AT_END.match(text)
    if m:
        return m.group("office"), m.group("name").strip()
    return text, None


def _opener(opener: Any, pid: str, fields: dict[str, Field], hints: dict, got: _Collected):
    """Classification and precedence: the opener's text outside its dateline."""
    parts: list[str] = []
    for child in opener:
        if _local(child) == "dateline":
            _text(child, got)  # keep its footnotes, in order
        elif _local(child) == "note":
            _note(child, got)
        else:
            parts.append(_text(child, got))
        if child.tail:
            parts.append(child.tail)
    if opener.text:
        parts.insert(0, opener.text)
    words = _norm(" ".join(parts))
    if not words:
        return
    hints["opener"] = words
    m = _CLASSIFICATION.search(words)
    if m:
        fields["classification"] = Field(_norm(m.group(1)).title(), _span(f"{pid}/opener"))
    precedence = [_precedence_word(p) for p in _PRECEDENCE.findall(words)]
    if precedence:
        hints["precedence"] = "; ".join(precedence)


def _precedence_word(word: str) -> str:
    word = _norm(word)
    return word.upper() if word.casefold() in {"niact", "us urgent"} else word.title()


def _precedence_paragraphs(div: Any, opener: Any, hints: dict) -> None:
    """Telegrams set "us urgent" / "niact" as lone paragraphs right after the opener;
    they stay in the body and are noted as precedence too."""
    if opener is None:
        return
    found: list[str] = []
    for el in opener.itersiblings():
        if _local(el) == "pb":
            continue
        if _local(el) != "p":
            break
        words = _text(el)
        if not _ONLY_PRECEDENCE.match(words):
            break
        found += [_precedence_word(p) for p in _PRECEDENCE.findall(words)]
    if found:
        old = hints.get("precedence")
        hints["precedence"] = "; ".join(([old] if old else []) + found)


def _dateline(div: Any, opener: Any) -> Any:
    """The document's own dateline: in the opener, else at the top level or in a closer."""
    places = [opener] if opener is not None else []
    places += [div] + [c for c in div if _local(c) in {"closer", "postscript"}]
    for place in places:
        for el in place:
            if _local(el) == "dateline":
                return el
    return None


def _date(div: Any, dateline: Any, pid: str, fields: dict[str, Field], hints: dict) -> None:
    low, high = div.get(DATE_MIN), div.get(DATE_MAX)
    if low:
        hints["date_min"] = low
    if high:
        hints["date_max"] = high
    date = None
    if dateline is not None:
        hints["dateline"] = _text(dateline)
        place = next((e for e in dateline.iter() if _local(e) == "placeName"), None)
        if place is not None and _text(place):
            fields["place"] = Field(_text(place), _span(f"{pid}/dateline/placeName"))
        date = next((e for e in dateline.iter() if _local(e) == "date"), None)
    if date is not None:
        hints["date_text"] = _text(date)
        loc = _span(f"{pid}/dateline/date")
        if date.get("when"):
            fields["date"] = Field(date.get("when"), loc)
            return
        for start, end in (("from", "to"), ("notBefore", "notAfter")):
            if date.get(start) and date.get(end):
                fields["date"] = Field(f"{date.get(start)}/{date.get(end)}", loc)
                return
    if low and high:
        fields["date"] = Field(f"{low}/{high}", _span(f"{pid}/@frus:doc-dateTime-min"))


def _names(root: Any, hints: dict) -> None:
    persons: list[dict[str, str | None]] = []
    places: list[str] = []
    for el in root.iter():
        name = _local(el)
        if name == "persName":
            text = _text(el)
            entry = {"name": text, "corresp": el.get("corresp"), "type": el.get("type")}
            if text and entry not in persons:
                persons.append(entry)
        elif name == "placeName":
            text = _text(el)
            if text and text not in places:
                places.append(text)
    if persons:
        hints["persons"] = persons
    if places:
        hints["places"] = places


# --- text ---------------------------------------------------------------------------------


def _text(el: Any, got: _Collected | None = None) -> str:
    """The running text of ``el`` (not its tail), whitespace-normalized; footnotes are
    left out (and collected in ``got``), page breaks produce nothing."""
    parts: list[str] = []
    _inline(el, parts, got)
    return _norm("".join(parts))


def _inline(el: Any, parts: list[str], got: _Collected | None) -> None:
    if el.text:
        parts.append(el.text)
    for child in el:
        name = _local(child)
        if name == "note":
            if _is_inline_note(child):
                _inline(child, parts, got)
            elif got is not None:
                _note(child, got)
        elif name == "lb":
            parts.append(" ")
        elif name in _SPACED:
            parts.append(" ")
            _inline(child, parts, got)
            parts.append(" ")
        elif name != "pb" and name != "":
            _inline(child, parts, got)
        if child.tail:
            parts.append(child.tail)


def _is_inline_note(note: Any) -> bool:
    """A note printed as part of the text (``rend="inline"`` without a number)."""
    return (
        note.get("rend") == "inline"
        and note.get("n") is None
        and note.get("type") not in {"source", "footnote"}
    )


def _note(note: Any, got: _Collected) -> None:
    nested = _Collected()
    text = _text(note, nested)
    if note.get("type") == "source":
        got.extra_sources.append(text)
    else:
        got.notes.append(f"[{note.get('n') or '*'}] {text}")
    got.notes.extend(nested.notes)
    got.extra_sources.extend(nested.extra_sources)


def _has_blocks(el: Any) -> bool:
    return any(_local(c) in _BLOCK_NAMES for c in el)


def _block(el: Any, out: list[str], got: _Collected) -> None:
    """Append the text blocks of one element of a document's body to ``out``."""
    name = _local(el)
    if name in {"pb", ""}:
        return
    if name == "note":
        if _is_inline_note(el) and not _has_blocks(el):
            out.append(_text(el, got))
        elif _is_inline_note(el):
            _container(el, out, got)
        else:
            _note(el, got)
    elif name == "list":
        _list(el, out, got)
    elif name == "table":
        _table(el, out, got)
    elif name in _CONTAINERS or (name in _MAYBE_CONTAINERS and _has_blocks(el)):
        _container(el, out, got)
    else:
        out.append(_text(el, got))


def _container(el: Any, out: list[str], got: _Collected) -> None:
    """Blocks of an element whose children are blocks; loose text between them is one."""
    loose: list[str] = [el.text or ""]
    for child in el:
        name = _local(child)
        if name in _INLINE:
            _inline_child(child, loose, got)
        elif name == "note" and not _is_inline_note(child):
            _note(child, got)
        else:
            _flush(loose, out)
            _block(child, out, got)
        loose.append(child.tail or "")
    _flush(loose, out)


def _inline_child(child: Any, loose: list[str], got: _Collected) -> None:
    if _local(child) == "lb":
        loose.append(" ")
    else:
        parts: list[str] = []
        _inline(child, parts, got)
        loose.append("".join(parts))


def _flush(loose: list[str], out: list[str]) -> None:
    text = _norm("".join(loose))
    if text:
        out.append(text)
    loose.clear()


def _list(el: Any, out: list[str], got: _Collected) -> None:
    """One block per item, its label (``a.``, ``1.``) in front."""
    label = ""
    for child in el:
        name = _local(child)
        if name == "label":
            label = _text(child, got)
        elif name == "item":
            if _has_blocks(child):
                sub: list[str] = []
                _container(child, sub, got)
                if label and sub:
                    sub[0] = f"{label} {sub[0]}"
                out.extend(sub)
            else:
                out.append(_norm(f"{label} {_text(child, got)}"))
            label = ""
        elif name not in {"pb", ""}:
            _block(child, out, got)
    if label:
        out.append(label)


def _table(el: Any, out: list[str], got: _Collected) -> None:
    """A table as one block: a row a line, cells joined by a tab (empty cells kept)."""
    lines: list[str] = []
    for child in el:
        name = _local(child)
        if name == "row":
            cells = [_text(c, got) for c in child if _local(c) == "cell"]
            line = "\t".join(cells).rstrip()
            if line.strip():
                lines.append(line)
        elif name == "head":
            lines.append(_text(child, got))
        elif name == "note" and not _is_inline_note(child):
            _note(child, got)
    if lines:
        out.append("\n".join(lines))
