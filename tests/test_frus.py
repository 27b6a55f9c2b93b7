"""All 41 documents of the FRUS excerpt through the whole pipeline (ingest, then export),
record by record against values computed here from the markup with a plain lxml parse.

Where the markup has no value the record must have none (null or []), never a guess:
the three editorial notes have no parties, no classification and no source note; the
letter to Rhee (d220) carries no classification; a memorandum of conversation has no
addressee.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree

from fonds.cli import main
from tests.conftest import archive_at

from .conftest import FRUS_TEI

TEI = "{http://www.tei-c.org/ns/1.0}"
FRUS = "{http://history.state.gov/frus/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
CLASSIFICATION = re.compile(r"\b(top secret|secret|confidential|restricted)\b")
DECIMAL_FILE = re.compile(r"^\d{3}\.\w")  # 795.00/6–2550, 501.BB Korea/1–549, 711.952/...
BY_WHOM = re.compile(r",?\s+by the .+\((?P<name>[^()]+)\)$")  # "Memorandum ..., by the X (Name)"


# --- what the markup says ------------------------------------------------------------------


def norm(text: str) -> str:
    """Single spaces; no space just inside brackets or before a full stop or comma."""
    text = " ".join(text.split())
    text = re.sub(r"([(\[]) | ([)\],])", lambda m: m.group(1) or m.group(2), text)
    return re.sub(r"(?<=\w) \.(?=\s|$)", ".", text)


def text_of(el: Any) -> str:
    """The element's words, its footnotes left out (their tails kept)."""
    el = copy.deepcopy(el)
    for note in list(el.iterdescendants(f"{TEI}note")):
        parent = note.getparent()
        previous = note.getprevious()
        if note.tail:
            if previous is not None:
                previous.tail = (previous.tail or "") + note.tail
            else:
                parent.text = (parent.text or "") + note.tail
        parent.remove(note)
    return norm("".join(el.itertext()))


def marked(head: Any, role: str) -> list[str]:
    people = [text_of(e) for e in head.iter(f"{TEI}persName") if e.get("type") == role]
    offices = [text_of(e) for e in head.iter(f"{TEI}gloss") if e.get("type") == role]
    return people or offices


def expected_of(div: Any) -> dict[str, Any]:
    """The record's fields as the markup of one document div gives them."""
    head = div.find(f"{TEI}head")
    title = text_of(head)
    when = None
    date_el = div.find(f"{TEI}opener/{TEI}dateline//{TEI}date")
    if date_el is not None:
        when = date_el.get("when")
    if when:
        date = start = end = when[:10]  # a day, the time of day dropped
    else:
        start = div.get(f"{FRUS}doc-dateTime-min")[:10]
        end = div.get(f"{FRUS}doc-dateTime-max")[:10]
        date = start if start == end else f"{start}/{end}"
    seg = div.find(f"{TEI}opener/{TEI}seg")
    words = norm(" ".join(seg.itertext())).casefold() if seg is not None else ""
    found = CLASSIFICATION.search(words)
    senders = marked(head, "from")
    if not senders:
        by = BY_WHOM.search(title)
        senders = [by.group("name")] if by else []
    note = div.find(f"{TEI}note[@type='source']")
    source_note = text_of(note) if note is not None else None
    return {
        "part": div.get(XML_ID),
        "title": title,
        "date": date,
        "date_start": start,
        "date_end": end,
        "classification": found.group(1).title() if found else None,
        "sender": "; ".join(senders) or None,
        "recipients": marked(head, "to"),
        "source_note": source_note,
    }


@pytest.fixture(scope="module")
def expected() -> list[dict[str, Any]]:
    divs = [d for d in etree.parse(str(FRUS_TEI)).iter(f"{TEI}div") if d.get("type") == "document"]
    return [expected_of(d) for d in divs]


@pytest.fixture(scope="module")
def frus_records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The excerpt through ``fonds ingest`` and ``fonds export``: records by TEI id."""
    db = str(tmp_path_factory.mktemp("frus") / "fonds.db")
    runner = CliRunner()
    ingested = runner.invoke(
        main, ["ingest", str(FRUS_TEI), "--db", archive_at(db), "--no-entities"]
    )
    assert ingested.exit_code == 0, ingested.output
    assert ingested.stdout.splitlines()[-1] == (
        "1 file (1 added, 0 updated, 0 unchanged, 0 failed), 41 documents"
    )
    exported = runner.invoke(main, ["export", "--db", archive_at(db), "--format", "jsonl"])
    assert exported.exit_code == 0, exported.output
    records = [json.loads(line) for line in exported.stdout.splitlines()]
    by_part = {r["source"]["part"]: r for r in records}
    assert len(by_part) == len(records)
    return by_part


# --- the checks ------------------------------------------------------------------------------


def test_41_documents_41_records(frus_records: dict, expected: list[dict]) -> None:
    assert len(expected) == 41
    assert list(frus_records) and sorted(frus_records) == sorted(e["part"] for e in expected)
    assert len({r["id"] for r in frus_records.values()}) == 41
    for record in frus_records.values():
        assert record["source"]["format"] == "tei"
        assert record["source"]["path"] == str(FRUS_TEI)
        assert record["text"].strip()


def test_title_is_the_head(frus_records: dict, expected: list[dict]) -> None:
    for want in expected:
        record = frus_records[want["part"]]
        assert record["title"] == want["title"], want["part"]
        assert not record["text"].startswith(want["title"]), want["part"]


# d213 is dated "Seoul, April 9, 1949—2 p.m." (<date when="1949-04-09T14:00:00+10:00">) and
# d216 "April 12, 1949—10 a.m." (+10:00), but their records say the day before: see
# test_a_dateline_with_a_time_keeps_its_own_day.
DATE_BUG = {"d213", "d216"}


def test_date(frus_records: dict, expected: list[dict]) -> None:
    for want in expected:
        if want["part"] in DATE_BUG:
            continue
        record = frus_records[want["part"]]
        assert record["date"] == want["date"], want["part"]
        assert (record["date_start"], record["date_end"]) == (
            want["date_start"],
            want["date_end"],
        ), want["part"]
    # spot checks on what the computation above yields
    assert frus_records["d196"]["date"] == "1949-01-27"  # when="1949-01-27T14:00:00+09:00"
    assert frus_records["d214"]["date"] == "1949-04-19"  # @when, though the text says April 9
    assert frus_records["d189"]["date"] == "1949-01-03/1949-12-30"  # no dateline: the bounds


def test_a_dateline_with_a_time_keeps_its_own_day(frus_records: dict, expected: list) -> None:
    by_part = {e["part"]: e for e in expected}
    assert (by_part["d213"]["date"], by_part["d216"]["date"]) == ("1949-04-09", "1949-04-12")
    for part in sorted(DATE_BUG):
        assert frus_records[part]["date"] == by_part[part]["date"], part


def test_classification(frus_records: dict, expected: list[dict]) -> None:
    for want in expected:
        assert frus_records[want["part"]]["classification"] == want["classification"], want["part"]
    counts = {c: sum(1 for e in expected if e["classification"] == c) for c in
              ("Top Secret", "Secret", "Confidential", None)}  # fmt: skip
    assert counts == {"Top Secret": 15, "Secret": 14, "Confidential": 8, None: 4}


def test_sender_and_recipients(frus_records: dict, expected: list[dict]) -> None:
    for want in expected:
        record = frus_records[want["part"]]
        sender = record["sender"]["name"] if record["sender"] else None
        assert sender == want["sender"], want["part"]
        assert [r["name"] for r in record["recipients"]] == want["recipients"], want["part"]
    by_part = {e["part"]: e for e in expected}
    assert by_part["d195"]["sender"] == "Secretary of State"  # an office, marked as a gloss
    assert by_part["d195"]["recipients"] == ["Royall"]
    assert by_part["d190"]["sender"] == "Butterworth"  # "..., by the Director ... (Butterworth)"


def test_source_note_is_a_decimal_file_reference(frus_records: dict, expected: list) -> None:
    decimal = 0
    for want in expected:
        refs = frus_records[want["part"]]["archival_refs"]
        note = want["source_note"]
        if note is None:
            assert refs == [], want["part"]
            continue
        if DECIMAL_FILE.match(note):
            decimal += 1
            file_number = note.split(":", 1)[0].strip()
            assert len(refs) == 1, (want["part"], refs)
            (ref,) = refs
            assert ref["kind"] == "decimal-file", want["part"]
            assert ref["file"] == file_number, want["part"]
            assert ref["archive"] == "NARA", want["part"]
            assert file_number in ref["raw"] and ref["raw"] in note, want["part"]
        else:  # "Executive Secretariat Files: NSC 8/2": kept, but not as a decimal file
            assert all(r["kind"] != "decimal-file" for r in refs), want["part"]
            assert note in [r["raw"] for r in refs], want["part"]
    assert decimal == 37
    assert frus_records["d200"]["archival_refs"][0]["file"] == "501.BB Korea/2–1249"
    assert frus_records["d191"]["archival_refs"][0]["file"] == "740.00119 Control (Korea)/1–1049"


def test_no_value_in_the_markup_means_none_in_the_record(
    frus_records: dict, expected: list[dict]
) -> None:
    no_parties = sorted(e["part"] for e in expected if e["sender"] is None)
    no_classification = sorted(e["part"] for e in expected if e["classification"] is None)
    no_note = sorted(e["part"] for e in expected if e["source_note"] is None)
    no_recipient = sorted(e["part"] for e in expected if not e["recipients"])
    editorial = ["d189", "d192", "d197"]
    assert no_parties == no_note == editorial
    assert no_classification == [*editorial, "d220"]
    memoranda_of_conversation = ["d190", "d198", "d199", "d204", "d215", "d229"]
    assert no_recipient == sorted(editorial + memoranda_of_conversation)
    for part in editorial:
        record = frus_records[part]
        assert record["title"] == "Editorial Note"
        assert (record["sender"], record["recipients"]) == (None, []), part
        assert (record["classification"], record["archival_refs"]) == (None, []), part
        assert record["doc_type"] is None, part
    assert frus_records["d220"]["classification"] is None
    for part in no_recipient:
        assert frus_records[part]["recipients"] == [], part


def test_telegrams_are_telegrams(frus_records: dict, expected: list[dict]) -> None:
    telegrams = [e for e in expected if (e["source_note"] or "").endswith(": Telegram")]
    assert len(telegrams) >= 20
    for want in telegrams:
        assert frus_records[want["part"]]["doc_type"] == "telegram", want["part"]
