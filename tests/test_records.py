"""The record of each seed, field by field, against what the document states."""

from __future__ import annotations

from pathlib import Path

import pytest

from fonds.extract.record import build_record
from fonds.readers import choose_reader, load_source

from .conftest import SEEDS

EXPECTED = {
    "000": {
        "format": "legacy-text",
        "title": "Conversations Stalin with Kim Il Sung and Pak Hon-yong",
        "date": "1950-03-30/1950-04-25",
        "translator": None,
        "classification": None,
        "record_id": None,
        "archives": [("APRF", None, None, None, None)],
    },
    "001": {
        "format": "wilson-web",
        "title": "Telegram Shtykov to Vyshinsky on a Luncheon at the Ministry of Foreign Affairs of the DPRK",
        "date": "1950-01-19",
        "doc_type": "telegram",
        "classification": "Strictly secret",
        "credits": "Leon Levy Foundation",
        "record_id": None,
        "archives": [],
    },
    "002": {
        "format": "wilson-markdown",
        "title": "Information about the North Korean Workers Party Central Committee Meeting",
        "date": "1950-09-22",
        "doc_type": "telegram",
        "translator": "Gary Goldberg",
        "original_language": "Russian",
        "record_id": "114918",
        "url": "https://wilson-center-digital-archive.dvincitest.com/document/114918",
        "credits": "Leon Levy Foundation",
        "archives": [("TsAMO", "5", "918795", "125", "89-91")],
    },
    "003": {
        "format": "wilson-web",
        "title": "Telegram from the leader of the group of Soviet specialists in Northeast China to the "
        "Chairman of the USSR Council of Ministers about the results of the Chinese-Korean talks on "
        "military cooperation",
        "date": "1949-05-18",
        "doc_type": "telegram",
        "translator": "Gary Goldberg",
        "classification": None,
        "archives": [("APRF", "4", "1", "331", "59-61")],
    },
    "004": {
        "format": "wilson-web",
        "title": "Record of a Conversation between Stalin, Kim Il Sung, Pak Heon-yeong, Zhou Enlai, and Peng Dehuai",
        "date": "1952-09-04",
        "doc_type": "record of conversation",
        "translator": "Gary Goldberg",
        "archives": [
            ("APRF", "45", "1", "348", "71-82"),
            ("RGASPI", "558", "11", "348", "0071-0082"),
        ],
    },
}


def seed_path(prefix: str) -> Path:
    return next(SEEDS.glob(f"{prefix}_*.txt"))


@pytest.fixture(scope="module")
def records() -> dict[str, dict]:
    out = {}
    for prefix in EXPECTED:
        source = load_source(seed_path(prefix))
        reader = choose_reader(source)
        drafts = list(reader.read(source))
        assert len(drafts) == 1
        out[prefix] = {
            "reader": reader.name,
            "source": source,
            "record": build_record(source, drafts[0], source.path).as_json(),
        }
    return out


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_seed_record_fields(records: dict[str, dict], prefix: str) -> None:
    want = EXPECTED[prefix]
    got = records[prefix]["record"]
    assert records[prefix]["reader"] == want["format"]
    assert got["source"]["format"] == want["format"]
    for key, value in want.items():
        if key in ("format", "archives"):
            continue
        assert got[key] == value, key
    refs = [
        (r["archive"], r["fond"], r["opis"], r["delo"], r["pages"])
        for r in got["archival_refs"]
        if r["kind"] == "russian"
    ]
    assert refs == want["archives"]


def test_furniture_is_not_in_the_text(records: dict[str, dict]) -> None:
    for prefix in ("001", "003", "004"):
        text = records[prefix]["record"]["text"]
        for furniture in (
            "Skip to content",
            "get citation",
            "share document",
            "Record ID",
            "Associated People & Organizations",
            "welcomes reuse",
            "It appears your Web browser",
            "Original Uploaded Date",
        ):
            assert furniture not in text, (prefix, furniture)


def test_empty_labels_do_not_swallow_the_next_label(records: dict[str, dict]) -> None:
    rec = records["001"]["record"]
    assert rec["record_id"] is None
    assert rec["original_language"] is None


def test_summaries_are_the_archives(records: dict[str, dict]) -> None:
    assert records["000"]["record"]["summary"].startswith(
        "report prepared by the Central Committee"
    )
    assert records["001"]["record"]["summary"].startswith(
        "Shtykov reports a meeting with Kim Il Sung"
    )
    assert records["004"]["record"]["summary"].startswith(
        "Soviet, Chinese, and North Korean officials"
    )
    assert "Soviet, Chinese, and North Korean officials" not in records["004"]["record"]["text"]


def test_remarks_are_notes(records: dict[str, dict]) -> None:
    rec = records["000"]["record"]
    assert rec["notes"].startswith("North Korea's leaders were in Moscow")


def test_ocr_repairs_are_recorded_and_length_preserving(records: dict[str, dict]) -> None:
    rec = records["002"]["record"]
    assert "Kim II Sung" not in rec["text"] and "Kim Il Sung" in rec["text"]
    repairs = [r for r in rec["repairs"] if r["field"] == "text"]
    assert repairs and all(r["original"] == "II" and r["replacement"] == "Il" for r in repairs)
    for r in repairs:
        assert rec["text"][r["start"] : r["end"]] == "Il"
    cited = [r for r in rec["repairs"] if r["field"] == "citation"]
    assert cited and cited[0]["original"] == "II." and "ll. 89-91" in rec["citation"]


def test_evidence_spans_point_into_the_source(records: dict[str, dict]) -> None:
    for prefix in ("001", "002", "003", "004"):
        rec = records[prefix]["record"]
        text = records[prefix]["source"].text
        for fld in ("title", "date"):
            span = rec["evidence"].get(fld)
            if span is None:
                continue
            quoted = text[span["start"] : span["end"]]
            assert quoted, (prefix, fld)
            if fld == "title":
                # the title as the source writes it; an OCR repair keeps its length
                repaired = any(r["field"] == "title" for r in rec["repairs"])
                assert quoted == rec["title"] or (repaired and len(quoted) == len(rec["title"]))
            if fld == "date":
                assert rec["date"][:4] in quoted or quoted[-4:] in rec["date"]


def test_ids_are_stable_and_content_based(records: dict[str, dict]) -> None:
    source = load_source(seed_path("001"))
    draft = next(choose_reader(source).read(source))
    again = build_record(source, draft, "elsewhere/001.txt")
    assert again.id == records["001"]["record"]["id"]
