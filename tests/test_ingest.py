"""Ingest end to end, through the library and the command line: the same folder twice
changes nothing, an edited file updates its record, the same content under two names is
one record, each document is written in one transaction, the summary line and exit
status, the exports and the overview."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from fonds.cli import main
from fonds.errors import NotFound
from fonds.model import FORMATS
from fonds.pipeline import ingest
from fonds.store import shown
from fonds.store.sqlite import Store
from tests.conftest import archive_at, open_archive

from .conftest import FRUS_TEI, SEEDS, SHARED

# The record's fields as CONTRACT.md lists them ("The record" table).
CONTRACT_FIELDS = [
    "id", "source", "title", "date", "doc_type", "summary", "citation", "archival_refs",
    "translator", "original_language", "classification", "record_id", "url", "credits",
    "sender", "recipients", "text", "notes", "entities", "turns",
]  # fmt: skip
CONTRACT = SHARED / "CONTRACT.md"
DOC_TYPES = {
    "telegram", "letter", "record of conversation", "report", "memorandum", "minutes",
    "resolution", "speech", "diary", "note", "other",
}  # fmt: skip
SUMMARY = re.compile(
    r"^(?P<files>\d+) files? \((?P<added>\d+) added, (?P<updated>\d+) updated, "
    r"(?P<unchanged>\d+) unchanged, (?P<failed>\d+) failed\), (?P<documents>\d+) documents?"
)

MEMO = (
    "Memorandum on the border incident\n\n"
    "The Ambassador in Korea reported that fighting broke out near Kaesong at dawn.\n\n"
    "He asked for instructions.\n"
)


# --- helpers ------------------------------------------------------------------------------


def cli(*args: str) -> Result:
    """Run ``fonds`` in process; a traceback would be a test failure, never swallowed."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"fonds {' '.join(args)} raised") from result.exception
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    return result


def summary_of(result: Result) -> dict[str, int]:
    lines = [ln for ln in result.stdout.splitlines() if SUMMARY.match(ln)]
    assert len(lines) == 1, result.stdout
    return {k: int(v) for k, v in SUMMARY.match(lines[0]).groupdict().items()}


def records(db: Path) -> dict[str, dict[str, Any]]:
    store = open_archive(db)
    try:
        return {r["id"]: r for r in store.iter_records()}
    finally:
        store.close()


def fts_hits(db: Path, word: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?", (word,)
        ).fetchone()[0]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The five seeds and the FRUS excerpt (41 documents) in one folder: 6 files, 46 records."""
    root = tmp_path / "archive"
    shutil.copytree(SEEDS, root / "seeds")
    (root / "frus").mkdir()
    shutil.copy(FRUS_TEI, root / "frus" / FRUS_TEI.name)
    return root


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeds and FRUS excerpt ingested once (no entities), plus one file that failed."""
    root = tmp_path_factory.mktemp("archive")
    shutil.copytree(SEEDS, root / "in" / "seeds")
    shutil.copy(FRUS_TEI, root / "in" / FRUS_TEI.name)
    (root / "in" / "quoted.txt").write_text(
        'Note on "quotes", commas, and lines\n\nFirst line, with "quotes".\nSecond line.\n\n'
        "Second paragraph; <b>markup</b> kept.\n",
        encoding="utf-8",
    )
    (root / "in" / "zero.txt").write_bytes(b"")
    store = open_archive(root / "fonds.db")
    summary = ingest(store, [root / "in"])
    store.close()
    assert summary.count("failed") == 1 and summary.documents == 47, summary.outcomes
    return root / "fonds.db"


# --- idempotence ----------------------------------------------------------------------------


def test_the_same_folder_twice_changes_nothing(folder: Path, tmp_path: Path) -> None:
    store = open_archive(tmp_path / "fonds.db")
    first = ingest(store, [folder])
    assert [o.status for o in first.outcomes] == ["added"] * 6
    assert first.documents == 46 and store.count_documents() == 46
    before = records(tmp_path / "fonds.db")
    sources = store.conn.execute("SELECT path, sha256, status, documents FROM sources").fetchall()

    second = ingest(store, [folder])
    assert [o.status for o in second.outcomes] == ["unchanged"] * 6
    assert [o.documents for o in second.outcomes] == [o.documents for o in first.outcomes]
    assert second.line() == "6 files (0 added, 0 updated, 6 unchanged, 0 failed), 46 documents"
    assert store.count_documents() == 46
    again = store.conn.execute("SELECT path, sha256, status, documents FROM sources").fetchall()
    assert [tuple(r) for r in again] == [tuple(r) for r in sources]
    store.close()
    assert records(tmp_path / "fonds.db") == before


def test_the_same_folder_twice_through_the_cli(folder: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "fonds.db")
    first = cli("ingest", str(folder), "--db", archive_at(db), "--no-entities", "-q")
    assert first.exit_code == 0, first.stderr
    assert summary_of(first) == {
        "files": 6, "documents": 46, "added": 6, "updated": 0, "unchanged": 0, "failed": 0,
    }  # fmt: skip
    second = cli("ingest", str(folder), "--db", archive_at(db), "--no-entities", "-q")
    assert second.exit_code == 0, second.stderr
    assert second.stdout.strip().splitlines()[-1] == (
        "6 files (0 added, 0 updated, 6 unchanged, 0 failed), 46 documents"
    )
    assert len(records(Path(db))) == 46


# --- updates ----------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_an_edited_file_updates_its_record(tmp_path: Path) -> None:
    memo = tmp_path / "in" / "memo.txt"
    memo.parent.mkdir()
    memo.write_text(MEMO, encoding="utf-8")
    db = tmp_path / "fonds.db"
    store = open_archive(db)
    assert [o.status for o in ingest(store, [memo.parent]).outcomes] == ["added"]
    (old_id,) = records(db)

    memo.write_text(MEMO.replace("Kaesong", "Ongjin"), encoding="utf-8")
    outcome = ingest(store, [memo.parent]).outcomes[0]
    assert (outcome.status, outcome.documents) == ("updated", 1)
    assert not store.has_document(old_id)
    with pytest.raises(NotFound):
        store.get_record(old_id)
    (new,) = records(db).values()
    assert new["id"] != old_id
    assert "fighting broke out near Ongjin at dawn" in new["text"]
    assert "Kaesong" not in new["text"]
    assert new["source"]["path"] == str(memo)
    # the full-text index follows: the old wording is gone from it, the new one is in
    assert (fts_hits(db, "Kaesong"), fts_hits(db, "Ongjin")) == (0, 1)
    store.close()


def test_an_edited_tei_volume_replaces_all_its_records(tmp_path: Path) -> None:
    volume = tmp_path / "in" / FRUS_TEI.name
    volume.parent.mkdir()
    shutil.copy(FRUS_TEI, volume)
    db = tmp_path / "fonds.db"
    store = open_archive(db)
    ingest(store, [volume.parent])
    old = records(db)
    assert len(old) == 41
    text = volume.read_text(encoding="utf-8")
    phrase = "closed sessions and one open meeting"
    assert text.count(phrase) == 1
    volume.write_text(text.replace(phrase, "closed sessions and two open meetings"), "utf-8")
    outcome = ingest(store, [volume.parent]).outcomes[0]
    assert (outcome.status, outcome.documents) == ("updated", 41)
    new = records(db)
    assert len(new) == 41 and not set(new) & set(old)  # no stale record of the old version
    by_part = {r["source"]["part"]: r for r in new.values()}
    assert "closed sessions and two open meetings" in by_part["d200"]["text"]
    assert phrase not in by_part["d200"]["text"]
    store.close()


# --- the same content under two names ------------------------------------------------------


def test_the_same_content_under_two_names_is_one_record(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.txt").write_text(MEMO, encoding="utf-8")
    (inbox / "b-copy.txt").write_text(MEMO, encoding="utf-8")
    db = tmp_path / "fonds.db"
    store = open_archive(db)
    first = ingest(store, [inbox])
    assert store.count_documents() == 1
    assert Counter(o.status for o in first.outcomes) == {"added": 1, "unchanged": 1}
    second = ingest(store, [inbox])
    assert [o.status for o in second.outcomes] == ["unchanged", "unchanged"]
    assert store.count_documents() == 1
    store.close()


def test_editing_one_of_two_copies_keeps_the_other(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.txt").write_text(MEMO, encoding="utf-8")
    (inbox / "b.txt").write_text(MEMO, encoding="utf-8")
    db = tmp_path / "fonds.db"
    store = open_archive(db)
    ingest(store, [inbox])
    (inbox / "a.txt").write_text(MEMO.replace("Kaesong", "Ongjin"), encoding="utf-8")
    ingest(store, [inbox])
    ingest(store, [inbox])  # and a later run does not bring it back either
    texts = sorted(r["text"] for r in records(db).values())
    store.close()
    assert len(texts) == 2, texts
    assert any("Kaesong" in t for t in texts) and any("Ongjin" in t for t in texts)


# --- one transaction a document ------------------------------------------------------------


class _FailingConnection:
    """A connection that fails the first write to a child table of ``documents`` (after the
    document's own row went in), as a full disk or a killed process would mid-record."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.fired = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)

    def __enter__(self) -> Any:
        return self.conn.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self.conn.__exit__(*exc)

    def _check(self, sql: str) -> None:
        if re.search(r"INSERT\s+INTO\s+(archival_refs|mentions|turns)\b", sql, re.I):
            self.fired = True
            raise sqlite3.OperationalError("database or disk is full (simulated)")

    def execute(self, sql: str, *args: Any) -> Any:
        self._check(sql)
        return self.conn.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        self._check(sql)
        return self.conn.executemany(sql, *args)


def _rows(conn: sqlite3.Connection, table: str, doc_id: str) -> int:
    sql = f"SELECT count(*) FROM {table} WHERE document_id = ?"
    return conn.execute(sql, (doc_id,)).fetchone()[0]


def _assert_whole_records(db: Path) -> dict[str, dict[str, Any]]:
    """Every stored document has all its reference and mention rows, and no row is orphaned."""
    stored = records(db)
    with sqlite3.connect(db) as conn:
        for doc_id, record in stored.items():
            assert _rows(conn, "archival_refs", doc_id) == len(record["archival_refs"]), doc_id
            mentions = sum(len(e["mentions"]) for e in record["entities"])
            assert _rows(conn, "mentions", doc_id) == mentions, doc_id
        for table in ("archival_refs", "mentions", "turns"):
            orphans = conn.execute(
                f"SELECT count(*) FROM {table} WHERE document_id NOT IN (SELECT id FROM documents)"
            ).fetchone()[0]
            assert orphans == 0, table
        indexed = conn.execute("SELECT count(*) FROM documents_fts").fetchone()[0]
        assert indexed == len(stored)
    return stored


@pytest.mark.sqlite_only
@pytest.mark.parametrize("how", ["mid-transaction", "before-writing"])
def test_a_crash_on_the_second_document_leaves_no_half_record(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fonds.entities.stage import EntityStage

    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(FRUS_TEI, inbox / "a-volume.tei.xml")
    (inbox / "b-memo.txt").write_text(MEMO, encoding="utf-8")
    db = tmp_path / "fonds.db"
    store = open_archive(db)
    stage = EntityStage.for_store(store, ner="none")  # mentions from the authority file

    real_write = Store.write_record
    calls: list[str] = []
    failing = _FailingConnection(store.conn)

    def write_record(self: Store, record: Any, also: Any = None) -> None:
        calls.append(record.source.get("part") or record.source["path"])
        if len(calls) != 2:
            return real_write(self, record, also)
        if how == "before-writing":
            raise RuntimeError("simulated crash")
        self.conn = failing
        try:
            return real_write(self, record, also)
        finally:
            self.conn = failing.conn

    monkeypatch.setattr(Store, "write_record", write_record)
    summary = ingest(store, [inbox], stage.annotate)
    assert calls[:2] == ["d189", "d190"]
    assert failing.fired == (how == "mid-transaction")

    volume, memo = summary.outcomes
    assert volume.status == "failed"
    assert volume.message and str(inbox / "a-volume.tei.xml") in volume.message
    assert ("disk is full" if how == "mid-transaction" else "simulated crash") in volume.message
    assert memo.status == "added"  # the run went on with the next file

    stored = _assert_whole_records(db)
    parts = {r["source"].get("part") or r["source"]["path"] for r in stored.values()}
    assert parts == {"d189", str(inbox / "b-memo.txt")}
    with sqlite3.connect(db) as conn:  # the failed document left no row anywhere
        assert (
            conn.execute("SELECT count(*) FROM documents WHERE source_part = 'd190'").fetchone()[0]
            == 0
        )
        status = conn.execute(
            "SELECT status, message FROM sources WHERE path = ?", (str(inbox / "a-volume.tei.xml"),)
        ).fetchone()
    assert status[0] == "failed" and status[1] == volume.message

    # Once the fault is gone, the next run stores the whole volume, every record whole.
    monkeypatch.setattr(Store, "write_record", real_write)
    again = ingest(store, [inbox], stage.annotate)
    assert [o.status for o in again.outcomes][1] == "unchanged"
    assert again.outcomes[0].documents == 41
    stored = _assert_whole_records(db)
    assert len(stored) == 42
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM mentions").fetchone()[0] > 41
        assert conn.execute("SELECT count(*) FROM archival_refs").fetchone()[0] >= 35
    store.close()


def test_a_file_that_failed_before_is_not_reported_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(FRUS_TEI, inbox / FRUS_TEI.name)
    store = open_archive(tmp_path / "fonds.db")
    real_write = Store.write_record
    calls: list[int] = []

    def write_record(self: Store, record: Any, also: Any = None) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("simulated crash")
        real_write(self, record, also)

    monkeypatch.setattr(Store, "write_record", write_record)
    assert ingest(store, [inbox]).outcomes[0].status == "failed"
    monkeypatch.setattr(Store, "write_record", real_write)
    outcome = ingest(store, [inbox]).outcomes[0]
    store.close()
    assert outcome.status in {"added", "updated"}, outcome


# --- summary line and exit status ----------------------------------------------------------


def test_summary_line_and_exit_status(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "memo.txt").write_text(MEMO, encoding="utf-8")
    shutil.copy(FRUS_TEI, inbox / FRUS_TEI.name)
    db = str(tmp_path / "fonds.db")
    ok = cli("ingest", str(inbox), "--db", archive_at(db), "--no-entities")
    assert ok.exit_code == 0
    assert ok.stdout.splitlines()[-1] == (
        "2 files (2 added, 0 updated, 0 unchanged, 0 failed), 42 documents"
    )
    assert "failed:" not in ok.stderr

    (inbox / "empty.txt").write_bytes(b"")
    bad = cli("ingest", str(inbox), "--db", archive_at(db), "--no-entities")
    assert bad.exit_code == 1
    assert bad.stdout.splitlines()[-1] == (
        "3 files (0 added, 0 updated, 2 unchanged, 1 failed), 42 documents"
    )
    assert f"failed: {inbox / 'empty.txt'}: the file is empty" in bad.stderr

    (inbox / "empty.txt").unlink()
    (inbox / "memo.txt").write_text(MEMO + "\nA second thought.\n", encoding="utf-8")
    edited = cli("ingest", str(inbox), "--db", archive_at(db), "--no-entities")
    assert edited.exit_code == 0
    assert summary_of(edited) == {
        "files": 2, "documents": 42, "added": 0, "updated": 1, "unchanged": 1, "failed": 0,
    }  # fmt: skip


@pytest.mark.slow  # loads the spaCy model of the entity stage
def test_the_default_run_with_entities_ends_the_same_way(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "memo.txt").write_text(MEMO, encoding="utf-8")
    db = str(tmp_path / "fonds.db")
    result = cli("ingest", str(inbox), "--db", db)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "1 file (1 added, 0 updated, 0 unchanged, 0 failed), 1 document"
    )


# --- export ----------------------------------------------------------------------------------


def test_contract_fields_are_the_contract_table() -> None:
    if not CONTRACT.exists():
        pytest.skip(f"no {CONTRACT} here")
    text = CONTRACT.read_text(encoding="utf-8")
    table = text.split("## The record", 1)[1]
    fields = re.findall(r"^\| `(\w+)` \|", table, re.M)
    assert fields == CONTRACT_FIELDS


def _check_contract_record(record: dict[str, Any]) -> None:
    assert set(CONTRACT_FIELDS) <= set(record), set(CONTRACT_FIELDS) - set(record)
    assert isinstance(record["id"], str) and record["id"]
    assert {"path", "sha256", "format"} <= set(record["source"])
    assert record["source"]["format"] in FORMATS
    assert re.fullmatch(r"[0-9a-f]{64}", record["source"]["sha256"])
    assert isinstance(record["title"], str) and record["title"]
    assert isinstance(record["text"], str)
    if record["date"] is not None:
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?(/\d{4}(-\d{2}(-\d{2})?)?)?", record["date"])
    assert record["doc_type"] is None or record["doc_type"] in DOC_TYPES
    for key in (
        "summary",
        "citation",
        "translator",
        "original_language",
        "classification",
        "record_id",
        "url",
        "credits",
        "notes",
    ):
        assert record[key] is None or isinstance(record[key], str), key
    for ref in record["archival_refs"]:
        assert {"archive", "fond", "opis", "delo", "pages", "raw"} <= set(ref)
    for party in ([record["sender"]] if record["sender"] else []) + record["recipients"]:
        assert {"id", "name"} <= set(party)
    for entity in record["entities"]:
        assert {"id", "name", "type", "aliases", "mentions"} <= set(entity)
        assert entity["type"] in {"person", "organization", "place"}
    for turn in record["turns"]:
        assert {"speakers", "start", "end"} <= set(turn)


def test_export_jsonl_one_line_a_record(archive_db: Path, tmp_path: Path) -> None:
    expected = records(archive_db)
    assert len(expected) == 47
    result = cli("export", "--db", archive_at(archive_db), "--format", "jsonl")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 47
    got = [json.loads(line) for line in lines]
    assert {r["id"] for r in got} == set(expected)
    for record in got:
        _check_contract_record(record)
        assert record.pop("copies") == []  # no two documents here are copies
        assert record == expected[record["id"]]
    assert Counter(r["source"]["format"] for r in got)["tei"] == 41

    out = tmp_path / "records.jsonl"
    to_file = cli("export", "--db", archive_at(archive_db), "--format", "jsonl", "--out", str(out))
    assert to_file.exit_code == 0 and "47 records written" in to_file.stderr
    assert out.read_text(encoding="utf-8") == result.stdout


def test_export_csv_one_row_a_record(archive_db: Path, tmp_path: Path) -> None:
    expected = records(archive_db)
    out = tmp_path / "records.csv"
    result = cli("export", "--db", archive_at(archive_db), "--format", "csv", "--out", str(out))
    assert result.exit_code == 0
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 47
    assert {
        "id",
        "title",
        "date",
        "doc_type",
        "classification",
        "sender",
        "recipients",
        "archival_refs",
        "text",
    } <= set(rows[0])
    for row in rows:
        record = expected[row["id"]]
        assert row["title"] == record["title"]
        assert row["date"] == (record["date"] or "")
        assert row["classification"] == (record["classification"] or "")
        assert row["sender"] == ((record["sender"] or {}).get("name") or "")
        assert row["text"] == record["text"]  # newlines, quotes and commas survive
        printed = record.get("published_in")
        assert bool(row["published_in"]) == bool(printed)
        if printed:
            assert row["published_in"].startswith(printed["title"] + ", ed. ")
            assert row["published_in"].endswith(f"doc. {printed['number']}")
    assert list(rows[0])[-1] == "published_in"  # the columns before it keep their places
    assert sum(bool(row["published_in"]) for row in rows) == 41  # the FRUS excerpt
    quoted = next(r for r in rows if r["title"].startswith("Note on"))
    assert quoted["text"] == (
        'First line, with "quotes". Second line.\n\nSecond paragraph; <b>markup</b> kept.'
    )
    stdout = cli("export", "--db", archive_at(archive_db), "--format", "csv")
    assert list(csv.DictReader(io.StringIO(stdout.stdout))) == rows


def test_export_tei_to_a_folder_or_to_one_corpus_file(archive_db: Path, tmp_path: Path) -> None:
    from lxml import etree

    tei = "{http://www.tei-c.org/ns/1.0}"
    expected = records(archive_db)
    one = tmp_path / "archive.xml"
    result = cli("export", "--db", archive_at(archive_db), "--format", "tei", "--out", str(one))
    assert result.exit_code == 0 and "one teiCorpus file" in result.stderr
    root = etree.parse(str(one)).getroot()
    assert root.tag == f"{tei}teiCorpus" and root[0].tag == f"{tei}teiHeader"
    ids = [el.get("{http://www.w3.org/XML/1998/namespace}id") for el in root.iter(f"{tei}TEI")]
    assert sorted(ids) == sorted(f"fonds-{i}" for i in expected)

    folder = tmp_path / "tei"
    result = cli("export", "--db", archive_at(archive_db), "--format", "tei", "--out", str(folder))
    assert result.exit_code == 0 and "to the folder" in result.stderr
    assert sorted(p.stem for p in folder.iterdir()) == sorted(expected)

    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine", encoding="utf-8")
    result = cli("export", "--db", archive_at(archive_db), "--format", "tei", "--out", str(a_file))
    assert result.exit_code == 2 and "is a file" in result.stderr
    assert a_file.read_text(encoding="utf-8") == "mine"  # nothing overwritten
    result = cli("export", "--db", archive_at(archive_db), "--format", "tei")
    assert result.exit_code == 2 and "--out" in result.stderr


def test_every_command_has_a_whole_summary_in_the_help() -> None:
    import click

    from fonds.cli import main

    def walk(group: click.Group) -> list[tuple[str, click.Command]]:
        found = []
        for name, command in group.commands.items():
            found.append((name, command))
            if isinstance(command, click.Group):
                found += walk(command)
        return found

    commands = walk(main)
    assert len(commands) >= 14
    for name, command in commands:
        summary = command.get_short_help_str(limit=60)
        assert not summary.endswith("..."), f"{name}: {summary}"
        assert summary.endswith(".") and summary[0].isupper(), f"{name}: {summary}"
    for args in ([], ["entity"], ["index"]):
        listing = cli(*args, "--help").stdout.split("Commands:", 1)[1]
        assert "..." not in listing


@pytest.mark.sqlite_only
def test_export_of_a_missing_archive_is_a_clear_error(tmp_path: Path) -> None:
    result = cli("export", "--db", archive_at(tmp_path / "nothing.db"), "--format", "jsonl")
    assert result.exit_code == 2
    assert "nothing.db" in result.stderr and "no such archive" in result.stderr
    assert not (tmp_path / "nothing.db").exists()


# --- overview --------------------------------------------------------------------------------


def test_overview_prints_counts(archive_db: Path) -> None:
    stored = list(records(archive_db).values())
    result = cli("overview", "--db", archive_at(archive_db))
    assert result.exit_code == 0
    out = result.stdout
    assert out.splitlines()[0] == f"47 documents in {shown(archive_at(archive_db))}"
    sections = {}
    for block in out.split("\nby ")[1:]:
        title, *lines = block.strip("\n").splitlines()
        sections[title.rstrip(":")] = dict(
            (m.group(1).strip(), int(m.group(2)))
            for m in (re.match(r"^\s+(.+?)\s+(\d+)$", ln) for ln in lines)
            if m
        )
    assert {"year", "type", "archive", "language", "format"} <= set(sections)
    years = Counter((r.get("date_start") or "")[:4] or "(none)" for r in stored)
    assert sections["year"] == dict(years)
    assert sections["year"]["1949"] >= 41
    types = Counter(r["doc_type"] or "(none)" for r in stored)
    assert sections["type"] == dict(types)
    formats = Counter(r["source"]["format"] for r in stored)
    assert sections["format"] == dict(formats)
    assert sections["format"]["tei"] == 41
    assert sections["archive"]["NARA"] >= 35  # the FRUS source notes (decimal files)
    assert "1 file failed:" in out and "zero.txt: the file is empty" in out


def test_a_folders_notes_are_skipped_and_said_so(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    (folder / "README.md").write_text("# My collection\n\nNotes on where these came from.\n")
    (folder / "LICENSE").write_text("Public domain.\n")
    (folder / "sub" / "CHANGELOG.md").write_text("# Changes\n\n- added two memos\n")
    (folder / "sub" / "memo.txt").write_text("Memorandum\n\nKim Il Sung met Stalin in Moscow.\n")
    (folder / "changes-in-policy.txt").write_text("Changes in policy\n\nNot a folder note.\n")
    db = str(tmp_path / "f.db")
    result = cli("ingest", str(folder), "--db", archive_at(db), "--no-entities", "--quiet")
    assert result.exit_code == 0
    assert result.stdout.strip() == (
        "2 files (2 added, 0 updated, 0 unchanged, 0 failed), 2 documents; "
        "3 skipped (README, LICENSE: folder notes)"
    )
    for name in ("README.md", "LICENSE", "CHANGELOG.md"):
        assert f"skipped: {folder}" in result.stderr and name in result.stderr
    named = cli(
        "ingest", str(folder / "README.md"), "--db", archive_at(db), "--no-entities", "--quiet"
    )
    assert named.stdout.strip() == "1 file (1 added, 0 updated, 0 unchanged, 0 failed), 1 document"


def test_counts_take_the_number_of_their_noun() -> None:
    from fonds.counted import counted

    assert counted(1, "document") == "1 document" and counted(0, "document") == "0 documents"
    assert counted(2, "person") == "2 people" and counted(1, "person") == "1 person"
    assert counted(1500, "file") == "1500 files"


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    db = str(tmp_path / "f.db")
    seed = SEEDS / "001_fb4c437bd42e66bf.txt"
    result = cli(
        "ingest",
        str(SEEDS),
        str(SEEDS.parent),
        str(seed),
        "--db",
        archive_at(db),
        "--no-entities",
        "-q",
    )
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "6 files (6 added, 0 updated, 0 unchanged, 0 failed), 46 documents"
    )


def test_a_file_linked_into_a_walked_folder_is_read_once(tmp_path: Path) -> None:
    from fonds.pipeline import iter_files

    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("Title: A\n\nOne text.\n", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text("Title: B\n\nAnother.\n", encoding="utf-8")
    (folder / "sub" / "link-to-a.txt").symlink_to(folder / "a.txt")
    alias = tmp_path / "alias"
    alias.symlink_to(folder, target_is_directory=True)
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files([folder, alias])]
    assert found == ["corpus/a.txt", "corpus/sub/b.txt"]
