"""Uploads are ingested off the event loop, in a child process, under budgets: time, the
PDF's pages and expanded size, and a quota on the uploads kept. A refused upload leaves
nothing behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fonds.pipeline import ingest_file
from fonds.readers import pdf
from fonds.web.app import create_app
from fonds.web.state import WebLimits
from fonds.web.uploads import upload_folder
from tests.conftest import archive_at, open_archive
from tests.pdf_support import bomb_pdf, pdf_bytes

TOKEN = "a long enough token for the tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MEMO = "Memorandum on the Ongjin front\n\n12 May 1950\n\nThe army held the line at Ongjin.\n"


def _archive(folder: Path) -> str:
    (folder / "memo.txt").write_text(MEMO, encoding="utf-8")
    db = folder / "archive.db"
    store = open_archive(db)
    assert ingest_file(store, folder / "memo.txt").status == "added"
    store.close()
    return str(db)


def _client(db: str, **limits: float) -> TestClient:
    return TestClient(create_app(archive_at(db), write_token=TOKEN, limits=WebLimits(**limits)))  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FONDS_NER_MODEL", "none")  # the child process reads it when it starts
    return _archive(tmp_path)


def _documents(db: str) -> int:
    store = open_archive(db, readonly=True)
    try:
        return int(store.conn.execute("SELECT count(*) FROM documents").fetchone()[0])
    finally:
        store.close()


def _uploads(db: str) -> list[str]:
    folder = upload_folder(archive_at(db))
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    with _client(db) as c:
        yield c


def test_a_pdf_upload_is_read(client: TestClient, db: str) -> None:
    data = pdf_bytes(
        ["Telegram from Seoul to Washington", "June 2, 1950\nThe Ambassador met the President."]
    )
    response = client.post("/api/ingest?filename=telegram.pdf", content=data, headers=AUTH)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["reader"], result["documents"]) == ("pdf", 1)
    record = client.get(f"/api/documents/{result['ids'][0]}").json()
    assert record["title"] == "Telegram from Seoul to Washington"
    assert record["date"] == "1950-06-02"
    assert "The Ambassador met the President." in record["text"]


def test_a_pdf_bomb_is_refused_by_its_budget(client: TestClient, db: str) -> None:
    """60 KB that decompress to 60 MB: past the budget, refused in well under the time
    it would take to read, and the file is not kept."""
    before = _documents(db)
    response = client.post(
        "/api/ingest?filename=bomb.pdf", content=bomb_pdf(60_000_000), headers=AUTH
    )
    assert response.status_code == 422
    assert "expands past the reading budget" in response.json()["error"]["message"]
    assert _documents(db) == before and _uploads(db) == []


def test_a_pdf_over_the_page_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf, "MAX_PAGES", 3)
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf_bytes([f"Page {i}\nText of page {i}." for i in range(4)]))
    store = open_archive(tmp_path / "a.db")
    outcome = ingest_file(store, path)
    store.close()
    assert outcome.status == "failed"
    assert "a PDF of 4 pages, over the limit of 3" in (outcome.message or "")


def test_an_upload_over_its_time_budget_is_stopped_and_rolled_back(db: str) -> None:
    """The child is killed; no record and no file stay; the next upload gets a new child."""
    slow = "A long report\n\n1 June 1950\n\n" + "The army moved north along the river. " * 60_000
    with _client(db, upload_seconds=0.3) as client:
        before = _documents(db)
        response = client.post("/api/ingest?filename=long.txt", content=slow.encode(), headers=AUTH)
        assert response.status_code == 422, response.text
        message = response.json()["error"]["message"]
        assert "longer than the server's budget of 0.3 s" in message
        assert "nothing of it was kept" in message
        assert _documents(db) == before and _uploads(db) == []
    with _client(db, upload_seconds=60) as client:
        small = client.post(
            "/api/ingest?filename=note.txt", content=MEMO.encode() + b"x", headers=AUTH
        )
        assert small.status_code == 200 and small.json()["status"] == "added"


def test_uploads_have_a_quota(db: str) -> None:
    first = ("Note one\n\n1 May 1950\n\n" + "a " * 300).encode()
    second = ("Note two\n\n2 May 1950\n\n" + "b " * 300).encode()
    with _client(db, uploads_quota_bytes=1_000) as client:
        assert (
            client.post("/api/ingest?filename=one.txt", content=first, headers=AUTH).status_code
            == 200
        )
        # the same file again is not counted twice
        assert (
            client.post("/api/ingest?filename=one.txt", content=first, headers=AUTH).status_code
            == 200
        )
        full = client.post("/api/ingest?filename=two.txt", content=second, headers=AUTH)
        assert full.status_code == 413
        assert "upload space is full" in full.json()["error"]["message"]
    assert [name.split("-", 1)[1] for name in _uploads(db)] == ["one.txt"]


def test_a_failed_copy_keeps_the_file_of_an_earlier_upload(db: str) -> None:
    """A refused upload deletes only what it wrote: the same bytes uploaded earlier and
    ingested stay on disk, as their record names them."""
    with _client(db) as client:
        ok = client.post(
            "/api/ingest?filename=memo2.txt", content=MEMO.encode() + b"y", headers=AUTH
        )
        assert ok.status_code == 200
        kept = _uploads(db)
    with _client(db, upload_seconds=0.0) as client:
        again = client.post(
            "/api/ingest?filename=memo2.txt", content=MEMO.encode() + b"y", headers=AUTH
        )
        assert again.status_code == 422  # no time at all: refused
    assert _uploads(db) == kept
