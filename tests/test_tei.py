"""The TEI reader on real FRUS markup: every expected value is computed here from the
markup itself with a plain lxml parse, independently of the reader's streaming code."""

from __future__ import annotations

import copy
import hashlib
import re
import tracemalloc
from pathlib import Path

import pytest
from lxml import etree

from fonds.errors import ReadError
from fonds.model import Draft, SourceFile
from fonds.readers.tei import TeiReader

TEI = "{http://www.tei-c.org/ns/1.0}"
FRUS = "{http://history.state.gov/frus/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
# The excerpt ships with the project (corpus/frus): a fresh clone runs every test here.
EXCERPT = Path(__file__).parents[1] / "corpus" / "frus" / "frus1949v07p2-korea-dev.tei.xml"
SAMPLE = Path(__file__).parent / "samples" / "frus-sample.tei.xml"
CLASSIFICATIONS = ("top secret", "secret", "confidential", "restricted")


def source_of(path: Path, text: str | None = None) -> SourceFile:
    data = path.read_bytes() if text is None else text.encode("utf-8")
    decoded = data.decode("utf-8") if text is None else text
    return SourceFile(str(path), hashlib.sha256(data).hexdigest(), decoded, "utf-8", len(data))


def read_all(path: Path) -> list[Draft]:
    return list(TeiReader().read(source_of(path)))


@pytest.fixture(scope="module")
def excerpt() -> Path:
    assert EXCERPT.exists(), f"the bundled FRUS excerpt is missing: {EXCERPT}"
    return EXCERPT


@pytest.fixture(scope="module", params=["sample", "excerpt"])
def volume(request: pytest.FixtureRequest) -> tuple[list[Draft], list[etree._Element]]:
    """Drafts of a file and, in the same order, its document divs from a full parse."""
    path = request.getfixturevalue("excerpt") if request.param == "excerpt" else SAMPLE
    divs = [d for d in etree.parse(str(path)).iter(f"{TEI}div") if d.get("type") == "document"]
    return read_all(path), divs


# --- independent expectations --------------------------------------------------------------


def norm(text: str) -> str:
    """Single spaces; the indentation that pretty-printed markup leaves just inside a
    bracket or before a full stop ("[ Drumright ]", "ibid .") is not text."""
    text = " ".join(text.split())
    text = re.sub(r"([(\[]) | ([)\],])", lambda m: m.group(1) or m.group(2), text)
    return re.sub(r"(?<=\w) \.(?=\s|$|[”’])", ".", text)


def text_without_notes(el: etree._Element) -> str:
    el = copy.deepcopy(el)
    for note in list(el.iterdescendants(f"{TEI}note")):
        parent = note.getparent()
        # keep the note's tail in place, drop the note
        prev = note.getprevious()
        if note.tail:
            if prev is not None:
                prev.tail = (prev.tail or "") + note.tail
            else:
                parent.text = (parent.text or "") + note.tail
        parent.remove(note)
    return norm("".join(el.itertext()))


def footnotes(div: etree._Element) -> list[etree._Element]:
    return [n for n in div.iter(f"{TEI}note") if n.get("type") != "source"]


def marked(div: etree._Element, role: str) -> list[str]:
    head = div.find(f"{TEI}head")
    people = [text_without_notes(e) for e in head.iter(f"{TEI}persName") if e.get("type") == role]
    offices = [text_without_notes(e) for e in head.iter(f"{TEI}gloss") if e.get("type") == role]
    return people or offices


# --- the reader -----------------------------------------------------------------------------


def test_match_bids_for_tei_only() -> None:
    reader = TeiReader()
    assert reader.name == "tei"
    assert reader.match("v.xml", SAMPLE.read_text(encoding="utf-8")[:2000]) == 90
    assert reader.match("v.xml", '<?xml version="1.0"?>\n<TEI>') == 90
    assert reader.match("v.xml", '<?xml version="1.0"?>\n<html><body>') == 0
    assert reader.match("v.txt", "Title: a telegram\nDate: 1949") == 0


def test_one_draft_per_document_div(volume) -> None:
    drafts, divs = volume
    assert len(drafts) == len(divs)
    assert [d.part for d in drafts] == [div.get(XML_ID) for div in divs]
    for draft, div in zip(drafts, divs, strict=True):
        assert draft.format == "tei"
        assert draft.hints["frus_n"] == div.get("n")
        assert draft.value("doc_subtype") == div.get("subtype")


def test_the_excerpt_holds_41_documents(excerpt: Path) -> None:
    drafts = read_all(excerpt)
    assert len(drafts) == 41
    assert [d.hints["frus_n"] for d in drafts] == [str(n) for n in range(189, 230)]


def test_title_is_the_head_without_footnotes(volume) -> None:
    drafts, divs = volume
    for draft, div in zip(drafts, divs, strict=True):
        expected = text_without_notes(div.find(f"{TEI}head"))
        assert draft.value("title") == expected, draft.part
        assert draft.fields["title"].span.locator == f"{draft.part}/head"


def test_dates_and_their_bounds(volume) -> None:
    drafts, divs = volume
    for draft, div in zip(drafts, divs, strict=True):
        low, high = div.get(f"{FRUS}doc-dateTime-min"), div.get(f"{FRUS}doc-dateTime-max")
        assert draft.hints["date_min"] == low
        assert draft.hints["date_max"] == high
        date = div.find(f"{TEI}opener/{TEI}dateline//{TEI}date")
        if date is not None and date.get("when"):
            assert draft.value("date") == date.get("when"), draft.part
            assert draft.hints["dateline"] == text_without_notes(date.getparent())
        else:
            assert draft.value("date") == f"{low}/{high}", draft.part


def test_place_of_the_dateline(volume) -> None:
    drafts, divs = volume
    for draft, div in zip(drafts, divs, strict=True):
        place = div.find(f"{TEI}opener/{TEI}dateline/{TEI}placeName")
        expected = text_without_notes(place) if place is not None else None
        assert draft.value("place") == expected, draft.part


def test_classification_from_the_opener(volume) -> None:
    drafts, divs = volume
    seen = 0
    for draft, div in zip(drafts, divs, strict=True):
        seg = div.find(f"{TEI}opener/{TEI}seg")
        hi = seg.iter(f"{TEI}hi") if seg is not None else []
        words = [norm(h.text or "").lower() for h in hi]
        expected = next((w.title() for w in words if w in CLASSIFICATIONS), None)
        assert draft.value("classification") == expected, draft.part
        if "priority" in words:
            assert "Priority" in draft.hints["precedence"]
        seen += expected is not None
    assert seen >= 1


def test_sender_and_recipients_from_the_head_markup(volume) -> None:
    drafts, divs = volume
    for draft, div in zip(drafts, divs, strict=True):
        sender, recipients = marked(div, "from"), marked(div, "to")
        if sender:
            assert draft.value("sender") == "; ".join(sender), draft.part
        if recipients:
            assert draft.value("recipients") == "; ".join(recipients), draft.part


def test_signature_in_hints(volume) -> None:
    drafts, divs = volume
    for draft, div in zip(drafts, divs, strict=True):
        signed = div.find(f"{TEI}closer/{TEI}signed")
        if signed is not None:
            assert draft.hints["signed"] == text_without_notes(signed)
        else:
            assert "signed" not in draft.hints


def test_source_note(volume) -> None:
    drafts, divs = volume
    for draft, div in zip(drafts, divs, strict=True):
        note = div.find(f"{TEI}note[@type='source']")
        expected = text_without_notes(note) if note is not None else None
        assert draft.value("source_note") == expected, draft.part


def test_body_has_no_footnotes_and_no_head(volume) -> None:
    drafts, divs = volume
    for draft, div in zip(drafts, divs, strict=True):
        body = draft.body
        assert body and "\n\n\n" not in body
        assert draft.value("title") not in body, draft.part
        if draft.value("source_note"):
            assert draft.value("source_note") not in body
        notes = footnotes(div)
        expected_lines = [f"[{n.get('n')}] {text_without_notes(n)}" for n in notes]
        assert (draft.notes or "").split("\n") == (expected_lines or [""]), draft.part
        for note in notes:
            text = text_without_notes(note)
            if len(text) > 25:  # a short note ("Not printed.") may also be body wording
                assert text not in body, (draft.part, text)
        for p in div.iter(f"{TEI}p"):  # every paragraph's words are there, in one block
            if p.getparent().tag != f"{TEI}note":
                assert text_without_notes(p) in body, (draft.part, text_without_notes(p)[:60])


def test_first_documents_in_detail(volume) -> None:
    drafts, _ = volume
    by_id = {d.part: d for d in drafts}

    note = by_id["d189"]
    assert note.value("title") == "Editorial Note"
    assert note.value("doc_subtype") == "editorial-note"
    assert note.value("date") == "1949-01-03T00:00:00-05:00/1949-12-30T23:59:59-05:00"
    assert note.value("classification") is None and note.notes is None

    memo = by_id["d190"]
    assert memo.value("title") == (
        "Memorandum of Conversation, by the Director of the Office of Far Eastern Affairs "
        "(Butterworth)"
    )
    assert memo.value("date") == "1949-01-05"
    assert memo.hints["dateline"] == "[Washington,] January 5, 1949."
    assert memo.value("place") == "Washington"
    assert memo.value("classification") == "Confidential"
    assert memo.value("source_note") == "501.BB Korea/1–549"
    assert memo.value("sender") == "Butterworth"  # from the head's wording
    assert memo.value("recipients") is None
    assert memo.value("doc_subtype") == "historical-document"
    blocks = memo.body.split("\n\n")
    assert blocks[0].split("\n") == [
        "Participants:\tDr. Chough Pyung Ok, Personal Representative of the President of the "
        "Republic of Korea (Rhee)",
        "\tMr. W. Walton Butterworth",
        "\tMr. Niles W. Bond, Assistant Chief of the Division of Northeast Asian Affairs",
    ]
    assert blocks[1].startswith("Dr. Chough called by appointment this afternoon")
    assert "the consequent full recognition of his Government" in memo.body  # <pb/> in between
    assert memo.notes and memo.notes.startswith("[1] ")
    assert "places" in memo.hints and "Washington" in memo.hints["places"]

    telegram = by_id["d200"]
    assert telegram.value("title") == (
        "The Chargé of the American Mission in Korea (Drumright) to the Secretary of State"
    )
    assert telegram.value("sender") == "Drumright"
    assert telegram.value("recipients") == "Secretary of State"
    assert telegram.value("classification") == "Confidential"
    assert telegram.hints["precedence"] == "Priority"
    assert telegram.hints["signed"] == "Drumright"
    assert telegram.value("source_note") == "501.BB Korea/2–1249: Telegram"
    assert telegram.value("date") == "1949-02-12"
    assert telegram.value("place") == "Seoul"
    assert telegram.body.startswith("142. 1. UNCOK delegates who all present Seoul")
    assert telegram.body.endswith("\n\nDrumright")
    assert {"name": "Drumright", "corresp": None, "type": "from"} in telegram.hints["persons"]


def test_excerpt_details(excerpt: Path) -> None:
    by_id = {d.part: d for d in read_all(excerpt)}
    assert by_id["d196"].value("classification") == "Top Secret"
    assert by_id["d196"].value("date") == "1949-01-27T14:00:00+09:00"
    assert by_id["d196"].hints["signed"] == "Muccio"
    # a list item keeps its label; a footnote inside the item does not stay in the text
    assert "\n\ne. Greater awareness since Yosu uprising of need for outside" in by_id["d196"].body
    # sender marked as an office (gloss), recipient as a person
    assert by_id["d195"].value("sender") == "Secretary of State"
    assert by_id["d195"].value("recipients") == "Royall"
    # precedence set as lone paragraphs after the opener
    assert by_id["d221"].hints["precedence"] == "US URGENT; NIACT"
    # the annex (frus:attachment) belongs to the document's body, its footnote to the notes
    assert "Secretary Royall suggested that the points raised here" in by_id["d199"].body
    assert "Mr. Muccio had returned to Washington" in (by_id["d199"].notes or "")
    assert "[Drumright]" in by_id["d203"].body  # no "[ Drumright ]" from pretty-printing


# --- broken and unusual files ---------------------------------------------------------------


@pytest.mark.parametrize("which", ["sample", "excerpt"])
def test_truncated_volume(which: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    path = request.getfixturevalue("excerpt") if which == "excerpt" else SAMPLE
    text = path.read_text(encoding="utf-8")
    last_id = "d200" if which == "sample" else "d210"
    start = text.index(f'<div type="document" xml:id="{last_id}"')
    cut = text.index("</p>", start) - 20  # in the middle of a paragraph of that document
    broken = tmp_path / f"cut-{path.name}"
    broken.write_text(text[:cut], encoding="utf-8")
    complete = [
        d.get(XML_ID)
        for d in etree.parse(str(path)).iter(f"{TEI}div")
        if d.get("type") == "document"
    ]
    complete = complete[: complete.index(last_id)]
    got: list[str | None] = []
    with pytest.raises(ReadError) as info:
        for draft in TeiReader().read(source_of(broken)):
            got.append(draft.part)
    assert got == complete
    message = str(info.value)
    assert broken.name in message
    assert f"{len(complete)} complete document(s)" in message


def test_malformed_markup_is_a_read_error() -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace("<p>Dr. Chough", "<p><b>Dr. Chough", 1)
    reader = TeiReader()
    with pytest.raises(ReadError, match=r"frus-sample\.tei\.xml.*1 complete document"):
        list(reader.read(source_of(SAMPLE, text)))
    with pytest.raises(ReadError, match="empty"):
        list(reader.read(source_of(SAMPLE, "  \n")))


def test_tei_without_document_divs_is_one_draft() -> None:
    text = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'  # the text is already decoded
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt>'
        "<title>Note from the Chargé</title></titleStmt></fileDesc></teiHeader>"
        "<text><body><p>The Chargé<note n='1'>Drumright.</note> called\n"
        "  on the <pb n='2'/>Minister.</p><p>Second <hi>paragraph</hi>.</p></body></text></TEI>"
    )
    drafts = list(TeiReader().read(source_of(Path("note.xml"), text)))
    assert len(drafts) == 1
    (draft,) = drafts
    assert draft.value("title") == "Note from the Chargé"
    assert draft.body == "The Chargé called on the Minister.\n\nSecond paragraph."
    assert draft.notes == "[1] Drumright."
    with pytest.raises(ReadError, match="neither"):
        list(TeiReader().read(source_of(Path("bare.xml"), "<TEI><teiHeader/></TEI>")))


def test_memory_stays_flat_on_a_long_volume(tmp_path: Path) -> None:
    """2,000 documents (the sample's divs repeated, ids made unique) in one file."""
    text = SAMPLE.read_text(encoding="utf-8")
    start = text.index('    <div type="document"')
    end = text.rindex("</div>", 0, text.rindex("</div>")) + len("</div>")
    divs = text[start:end]
    n = len(re.findall(r'<div type="document"', divs))
    copies = -(-2000 // n)
    big = tmp_path / "volume.tei.xml"
    with big.open("w", encoding="utf-8") as out:
        out.write(text[:start])
        for i in range(copies):
            out.write(re.sub(r'xml:id="([^"]+)"', rf'xml:id="\1-{i}"', divs) + "\n")
        out.write(text[end:])
    source = source_of(big)
    tracemalloc.start()
    try:
        count = 0
        for draft in TeiReader().read(source):
            count += 1
            assert draft.body
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == copies * n >= 2000
    assert peak < 50 * 1024 * 1024, f"peak {peak / 2**20:.1f} MB"


# --- the volume each document is printed in ------------------------------------------------


def test_each_document_carries_its_volume_from_the_header() -> None:
    root = etree.parse(str(SAMPLE)).getroot()
    header = root.find(f"{TEI}teiHeader")
    title = norm("".join(header.find(f".//{TEI}titleStmt/{TEI}title").itertext()))
    editors = [norm(e.text) for e in header.iter(f"{TEI}editor")]
    idno = header.find(f".//{TEI}idno").text
    divs = [d for d in root.iter(f"{TEI}div") if d.get("type") == "document"]
    drafts = read_all(SAMPLE)
    assert len(drafts) == len(divs) and editors
    for draft, div in zip(drafts, divs, strict=True):
        pub = draft.hints["published_in"]
        assert (pub.title, list(pub.editors), pub.number) == (title, editors, div.get("n"))
        assert (pub.publisher, pub.place, pub.year) == (
            norm(header.find(f".//{TEI}publisher").text),
            norm(header.find(f".//{TEI}pubPlace").text),
            header.find(f".//{TEI}date").text[:4],
        )
        assert pub.volume_id == idno and pub.edition
        assert draft.value("url") == (
            f"https://history.state.gov/historicaldocuments/{idno}/{div.get(XML_ID)}"
        )


def test_a_volume_of_an_unknown_edition_has_no_page_address() -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace('<idno type="frus">', '<idno type="isbn">')
    drafts = list(TeiReader().read(source_of(SAMPLE, text)))
    assert all(d.value("url") is None for d in drafts)
    pubs = [d.hints["published_in"] for d in drafts]
    assert all(p.edition is None and p.volume_id is None and p.title for p in pubs)


def test_a_header_without_a_title_gives_no_volume() -> None:
    text = re.sub(r"<title type=\"complete\">.*?</title>", "", SAMPLE.read_text(encoding="utf-8"))
    drafts = list(TeiReader().read(source_of(SAMPLE, text)))
    assert drafts and all("published_in" not in d.hints for d in drafts)


def test_documents_handed_to_workers_read_as_in_one_process() -> None:
    from fonds.readers.tei import draft_from_xml

    items = list(TeiReader().document_xml(source_of(SAMPLE)))
    assert [draft_from_xml(*item) for item in items] == read_all(SAMPLE)


def test_the_edition_is_found_among_other_ids_of_the_volume() -> None:
    text = SAMPLE.read_text(encoding="utf-8").replace(
        '<idno type="frus">', '<idno type="isbn">0-16-000000-0</idno><idno type="frus">'
    )
    drafts = list(TeiReader().read(source_of(SAMPLE, text)))
    assert all(
        d.value("url") and "historicaldocuments/frus1949v07p2/" in d.value("url") for d in drafts
    )
    assert all(d.hints["published_in"].year == "1976" for d in drafts)
