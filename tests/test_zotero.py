"""Zotero's ways in: RIS (per document, per archive) and the page's citation meta tags,
read back with a maintained RIS parser and the standard library's HTML parser."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import rispy
from fastapi.testclient import TestClient

from fonds.export.ris import ris_date, write_ris
from tests.conftest import archive_at, open_archive
from tests.test_web_support import Archive, Markup


def _record(archive: Archive, doc_id: str) -> dict:
    store = open_archive(archive.db)
    try:
        return store.get_record(doc_id)
    finally:
        store.close()


def test_ris_dates_keep_the_records_precision() -> None:
    assert ris_date("1950-04-25") == "1950/04/25/"
    assert ris_date("1950-04") == "1950/04//"
    assert ris_date("1950") == "1950///"
    assert ris_date("1950-03-30/1950-04-25") == "1950/03/30/"
    assert ris_date(None) is None and ris_date("") is None


def test_a_document_as_ris_reads_back_as_zotero_would(client: TestClient, archive: Archive) -> None:
    doc_id = archive.conversation
    record = _record(archive, doc_id)
    response = client.get(f"/documents/{doc_id}/cite.ris")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-research-info-systems")
    assert response.headers["content-disposition"] == f'attachment; filename="{doc_id}.ris"'
    [entry] = rispy.loads(response.text)
    assert entry["type_of_reference"] == "MANSCPT"
    assert entry["title"] == " ".join(record["title"].split())
    assert entry["date"].startswith(record["date"][:4] + "/")
    refs = [r for r in record["archival_refs"] if r.get("raw")]
    assert refs, "the seed cites its archive"
    assert entry["name_of_database"] == refs[0]["archive"]  # DB: Zotero's archive
    assert entry["accession_number"] == refs[0]["raw"]  # AN: Zotero's loc. in archive
    names = {e["name"] for e in record["entities"]}
    assert entry["keywords"] and set(entry["keywords"]) <= names
    assert "Kim Il Sung" in entry["keywords"]
    if record.get("translator"):
        assert record["translator"] in str(entry)


def test_hostile_text_stays_one_value_in_ris(client: TestClient, archive: Archive) -> None:
    text = client.get(f"/documents/{archive.hostile}/cite.ris").text
    [entry] = rispy.loads(text)
    assert entry["title"].startswith("<script>alert(1)</script> Telegram from Shtykov")
    assert all(line[:2].isupper() and line[2:6] == "  - " for line in text.splitlines() if line)


def test_every_record_of_the_archive_as_ris(archive: Archive, tmp_path: Path) -> None:
    store = open_archive(archive.db)
    records = list(store.iter_records())
    store.close()
    out = io.StringIO()
    assert write_ris(records, out, base_url="http://localhost:8000") == len(records)
    entries = rispy.loads(out.getvalue())
    assert [e["title"] for e in entries] == [
        " ".join((r.get("title") or "").split()) for r in records
    ]
    assert all(e["type_of_reference"] == "MANSCPT" for e in entries)
    assert all(e.get("urls") for e in entries)  # the record's page, or the archive's own
    # the command line writes the same file
    cli = [sys.executable, "-m", "fonds.cli", "export", "--db", archive_at(archive.db)]
    target = tmp_path / "archive.ris"
    subprocess.run([*cli, "--format", "ris", "--out", str(target)], check=True)
    assert len(rispy.loads(target.read_text("utf-8"))) == len(records)


def test_document_page_carries_citation_meta_tags(client: TestClient, archive: Archive) -> None:
    doc_id = archive.conversation
    record = _record(archive, doc_id)
    html = client.get(f"/documents/{doc_id}").text
    tags = Markup(html).tags
    meta: dict[str, list[str]] = {}
    for tag, attrs in tags:
        if tag == "meta" and attrs.get("name"):
            meta.setdefault(attrs["name"] or "", []).append(attrs.get("content") or "")
    assert meta["citation_title"] == [" ".join(record["title"].split())]
    assert meta["citation_date"][0].startswith(record["date"][:4])
    assert meta["DC.title"] == meta["citation_title"]
    assert "Kim Il Sung" in meta["DC.subject"]
    links = [a for t, a in tags if t == "link" and a.get("rel") == "alternate"]
    assert any(a.get("href", "").endswith("/cite.ris") for a in links)
    hostile = client.get(f"/documents/{archive.hostile}").text
    assert '<meta name="citation_title" content="&lt;script&gt;alert(1)&lt;/script&gt;' in hostile


def test_a_searchs_results_saved_as_ris(client: TestClient) -> None:
    html = client.get("/search?q=Stalin").text
    links = [a for t, a in Markup(html).tags if t == "a" and "results.ris" in a.get("href", "")]
    assert links, "the search page links its results as RIS"
    response = client.get(links[0]["href"])
    assert response.status_code == 200
    entries = rispy.loads(response.text)
    found = client.get("/api/search", params={"q": "Stalin", "limit": 100}).json()
    assert [e["title"] for e in entries] == [" ".join(h["title"].split()) for h in found["hits"]]
    assert all(e["urls"] for e in entries)  # the archive's own page, or this server's
    assert any(u.startswith("http://testserver/documents/") for e in entries for u in e["urls"])
    assert client.get("/search/results.ris").status_code == 400  # no search, no file


def test_csl_json_has_no_empty_strings_and_an_archive_when_the_record_names_one() -> None:
    from fonds.export.citations import csl_json

    ref = {"archive": "APRF", "raw": "APRF", "fond": None}
    item = csl_json({"id": "a", "title": "T", "archival_refs": [ref]})
    assert item["archive"] == "APRF" and item["archive_location"] == "APRF"
    cited = (
        '"Memo," November 19, 1952, Wilson Center Digital Archive, Foreign Relations of the '
        "United States, 1952–1954, Volume VIII, Document 660."
    )
    item = csl_json({"id": "b", "title": "T", "citation": cited})
    assert item["archive"] == "Wilson Center Digital Archive"
    assert item["archive_location"].endswith("Volume VIII, Document 660")
    item = csl_json({"id": "c", "title": "T", "citation": "x, 1950, Wilson Center Digital Archive"})
    assert item["archive"] == "Wilson Center Digital Archive" and "archive_location" not in item
    for value in item.values():
        assert value != ""


def test_tei_language_tags_and_a_source_description_for_every_record() -> None:
    from fonds.export.tei import language_tag, record_to_tei

    assert language_tag("Russian") == "ru" and language_tag("Korean") == "ko"
    assert language_tag("zh-Hant") == "zh-Hant" and language_tag("Martian") == "und"
    tei = record_to_tei(
        {
            "id": "x",
            "title": "Editorial Note",
            "original_language": "Russian",
            "source": {"path": "/data/frus1949v07p2.xml", "format": "tei", "part": "d5"},
        }
    )
    ns = {"t": "http://www.tei-c.org/ns/1.0"}
    [language] = tei.findall(".//t:language", ns)
    assert language.get("ident") == "ru"
    [desc] = tei.findall(".//t:sourceDesc", ns)
    assert len(desc) == 1 and "frus1949v07p2.xml, part d5" in "".join(desc.itertext())


def _printed(archive: Archive) -> tuple[dict, dict]:
    """A FRUS editorial note (no archive of its own) and a FRUS document with a file number."""
    store = open_archive(archive.db)
    try:
        records = list(store.iter_records())
    finally:
        store.close()
    printed = [r for r in records if r.get("published_in")]
    note = next(r for r in printed if r["title"] == "Editorial Note")
    filed = next(r for r in printed if any(x.get("archive") for x in r["archival_refs"]))
    return note, filed


def test_a_printed_document_is_cited_with_its_volume(client: TestClient, archive: Archive) -> None:
    note, filed = _printed(archive)
    volume = note["published_in"]
    assert volume["volume_id"] == "frus1949v07p2" and volume["editors"]
    item = client.get(f"/documents/{note['id']}/cite.json").json()[0]
    assert item["archive"] == volume["edition"]
    assert item["archive_location"] == f"frus1949v07p2, document {volume['number']}"
    assert item["container-title"] == volume["title"] and item["publisher"] == volume["publisher"]
    # the volume's editors are not the document's authors
    assert "editor" not in item and "author" not in item
    assert [e["literal"] for e in item["collection-editor"]] == volume["editors"]
    filed_item = client.get(f"/documents/{filed['id']}/cite.json").json()[0]
    assert filed_item["archive"] == filed["archival_refs"][0]["archive"]
    assert filed_item["container-title"] == volume["title"]

    [entry] = rispy.loads(client.get(f"/documents/{note['id']}/cite.ris").text)
    assert entry["secondary_title"] == volume["title"]
    assert entry["secondary_authors"] == volume["editors"]
    assert (entry["publisher"], entry["place_published"]) == (volume["publisher"], volume["place"])
    assert entry["name_of_database"] == volume["edition"]
    assert entry["urls"] == [note["url"]]
    assert note["url"].endswith("/frus1949v07p2/" + note["source"]["part"])

    citations = client.get(f"/api/documents/{note['id']}/citations").json()
    assert f"doc. {volume['number']}" in citations["chicago_note"]
    assert (
        "(Washington: United States Government Printing Office, 1976)" in citations["chicago_note"]
    )
    page = client.get(f"/documents/{note['id']}").text
    metas = {a.get("name"): a.get("content") for t, a in Markup(page).tags if t == "meta"}
    assert metas["DC.relation.ispartof"] == volume["title"]
    assert "Printed in" in page
