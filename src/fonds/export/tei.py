"""TEI P5 export: one file per record, entity mentions and speaker turns marked up.

The header carries the record (title, date, classification, sender and recipients,
citation, parsed archival references as ``msIdentifier``); the body keeps the text's
paragraphs, with ``persName``/``placeName``/``orgName`` at each mention (``ref`` points
at the entity id) and, for records of conversation, ``sp``/``speaker`` per turn.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

TEI_NS = "http://www.tei-c.org/ns/1.0"
TAG_OF = {"person": "persName", "place": "placeName", "organization": "orgName"}


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(
        parent, f"{{{TEI_NS}}}{tag}", {k.rstrip("_"): v for k, v in attrs.items() if v}
    )
    if text:
        el.text = text
    return el


def _printed_in(source: etree._Element, pub: dict[str, Any], url: str | None) -> None:
    """The volume a document is printed in, as a ``<bibl>`` of the source description."""
    bibl = _el(source, "bibl", type="printed")
    _el(bibl, "title", pub.get("title"), level="m")
    for name in pub.get("editors") or []:
        _el(bibl, "editor", name)
    _el(bibl, "pubPlace", pub.get("place"))
    _el(bibl, "publisher", pub.get("publisher"))
    if pub.get("year"):
        _el(bibl, "date", pub["year"], when=pub["year"])
    if pub.get("number"):
        _el(bibl, "biblScope", f"Document {pub['number']}", unit="document", n=pub["number"])
    if pub.get("volume_id"):
        _el(bibl, "idno", pub["volume_id"], type="volume")
    if url:
        _el(bibl, "ptr", target=url)


def record_to_tei(record: dict[str, Any]) -> etree._Element:
    """The TEI document of one record."""
    root = etree.Element(f"{{{TEI_NS}}}TEI", nsmap={None: TEI_NS})
    root.set("{http://www.w3.org/XML/1998/namespace}id", f"fonds-{record['id']}")
    header = _el(root, "teiHeader")
    file_desc = _el(header, "fileDesc")
    title_stmt = _el(file_desc, "titleStmt")
    _el(title_stmt, "title", record["title"])
    if record.get("translator"):
        resp = _el(title_stmt, "respStmt")
        _el(resp, "resp", "Translated by")
        _el(resp, "name", record["translator"])
    if record.get("credits"):
        _el(title_stmt, "funder", record["credits"])
    pub = _el(file_desc, "publicationStmt")
    _el(pub, "publisher", "fonds export")
    _el(pub, "idno", record["id"], type="fonds")
    if record.get("record_id"):
        _el(pub, "idno", record["record_id"], type="archive")
    if record.get("url"):
        _el(pub, "ptr", target=record["url"])
    source = _el(file_desc, "sourceDesc")
    if record.get("citation"):
        _el(source, "bibl", record["citation"])
    if record.get("published_in"):
        _printed_in(source, record["published_in"], record.get("url"))
    for ref in record.get("archival_refs", []):
        ms = _el(source, "msDesc")
        ident = _el(ms, "msIdentifier")
        _el(ident, "repository", ref.get("archive"))
        for part in ("fond", "opis", "delo", "file"):
            if ref.get(part):
                _el(ident, "idno", ref[part], type=part)
        if ref.get("pages"):
            _el(_el(ms, "physDesc"), "p", f"pages {ref['pages']}")
    if len(source) == 0:  # no citation, no archive: the file it was read from
        src = record.get("source") or {}
        where = Path(str(src.get("path") or "")).name or "an unnamed file"
        part = f", part {src['part']}" if src.get("part") else ""
        _el(source, "p", f"Read from {where}{part} ({src.get('format') or 'unknown'} format).")
    profile = _el(header, "profileDesc")
    if record.get("original_language"):
        name = record["original_language"]
        _el(_el(profile, "langUsage"), "language", name, ident=language_tag(name))
    corr = _el(profile, "correspDesc")
    if record.get("sender"):
        sent = _el(corr, "correspAction", type="sent")
        _el(sent, "persName", record["sender"].get("name"), ref=_ref(record["sender"].get("id")))
        if record.get("date"):
            _el(
                sent,
                "date",
                when=record["date"] if "/" not in record["date"] else None,
                **_range(record["date"]),
            )
    if record.get("recipients"):
        received = _el(corr, "correspAction", type="received")
        for r in record["recipients"]:
            _el(received, "persName", r.get("name"), ref=_ref(r.get("id")))
    if len(corr) == 0:
        profile.remove(corr)
    text_desc = _el(profile, "textClass")
    if record.get("doc_type"):
        _el(_el(text_desc, "keywords", scheme="fonds:doc_type"), "term", record["doc_type"])
    if record.get("classification"):
        _el(
            _el(text_desc, "keywords", scheme="fonds:classification"),
            "term",
            record["classification"],
        )
    body = _el(_el(root, "text"), "body")
    if record.get("summary"):
        _el(_el(body, "div", type="summary"), "p", record["summary"])
    _body(body, record)
    if record.get("notes"):
        notes = _el(body, "div", type="notes")
        for para in record["notes"].split("\n\n"):
            _el(notes, "p", para)
    return root


def _ref(entity_id: str | None) -> str | None:
    return f"fonds:{entity_id}" if entity_id else None


def _range(date: str) -> dict[str, str]:
    if "/" in date:
        start, end = date.split("/", 1)
        return {"from_": start, "to": end}
    return {}


def _body(body: etree._Element, record: dict[str, Any]) -> None:
    text = record.get("text") or ""
    marks = sorted(
        (m["start"], m["end"], e)
        for e in record.get("entities", [])
        for m in e["mentions"]
        if "field" not in m
    )
    turns = record.get("turns") or []
    div = _el(body, "div", type="document")
    for para_start, para_end in _paragraphs(text):
        turn = next((t for t in turns if t["start"] == para_start), None)
        if turn is not None:
            sp = _el(
                div, "sp", who=" ".join(f"#{s['id']}" for s in turn["speakers"] if s.get("id"))
            )
            _el(sp, "speaker", " and ".join(s["name"] for s in turn["speakers"]))
            parent = sp
        elif turns and any(t["start"] < para_start < t["end"] for t in turns):
            parent = div[-1] if len(div) and div[-1].tag == f"{{{TEI_NS}}}sp" else div
        else:
            parent = div
        p = _el(parent, "p")
        _inline(p, text, para_start, para_end, [m for m in marks if para_start <= m[0] < para_end])


def _paragraphs(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for chunk in text.split("\n\n"):
        if chunk.strip():
            out.append((start, start + len(chunk)))
        start += len(chunk) + 2
    return out


def _inline(
    p: etree._Element, text: str, start: int, end: int, marks: list[tuple[int, int, Any]]
) -> None:
    cursor = start
    last: etree._Element | None = None
    for m_start, m_end, entity in marks:
        if m_start < cursor or m_end > end:
            continue
        between = text[cursor:m_start]
        if last is None:
            p.text = (p.text or "") + between
        else:
            last.tail = (last.tail or "") + between
        last = _el(
            p, TAG_OF.get(entity["type"], "name"), text[m_start:m_end], ref=_ref(entity["id"])
        )
        cursor = m_end
    rest = text[cursor:end]
    if last is None:
        p.text = (p.text or "") + rest
    else:
        last.tail = (last.tail or "") + rest


def write_tei_folder(records: Iterable[dict[str, Any]], folder: Path) -> int:
    """Write one ``<id>.xml`` TEI file per record into ``folder``; return how many."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for record in records:
        tree = etree.ElementTree(record_to_tei(record))
        tree.write(
            str(folder / f"{record['id']}.xml"),
            xml_declaration=True,
            encoding="UTF-8",
            pretty_print=True,
        )
        n += 1
    return n


def write_tei_corpus(records: Iterable[dict[str, Any]], path: Path, title: str) -> int:
    """Write every record into one ``<teiCorpus>`` file (a header for the whole, then
    one ``<TEI>`` per record), streamed; return how many records."""
    n = 0
    with etree.xmlfile(str(path), encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(f"{{{TEI_NS}}}teiCorpus", nsmap={None: TEI_NS}):
            header = etree.Element(f"{{{TEI_NS}}}teiHeader", nsmap={None: TEI_NS})
            file_desc = _el(header, "fileDesc")
            _el(_el(file_desc, "titleStmt"), "title", title)
            _el(_el(file_desc, "publicationStmt"), "p", "Exported by fonds.")
            _el(_el(file_desc, "sourceDesc"), "p", "Each record's own header describes its source.")
            xf.write(header, pretty_print=True)
            for record in records:
                xf.write(record_to_tei(record), pretty_print=True)
                n += 1
    return n


@cache
def _language_codes() -> dict[str, str]:
    """English language names to their codes (CLDR, through Babel): "Russian" → "ru"."""
    from babel import Locale

    return {name.casefold(): code for code, name in Locale("en").languages.items()}


def language_tag(name: str) -> str:
    """A BCP 47 tag for a language named in a record ("Russian" → "ru"); a value that is
    already a tag stays; "und" (undetermined) when the name is not known."""
    if re.fullmatch(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*", name):
        return name
    return _language_codes().get(name.strip().casefold(), "und")
