"""The JSON API and the write side: structures, pagination, errors, tokens and limits."""

from __future__ import annotations

import hmac
import importlib.util
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from fonds.errors import ConfigError
from fonds.store.sqlite import Store
from fonds.web import corpus
from fonds.web.app import create_app
from fonds.web.state import WebLimits
from tests.conftest import archive_at, open_archive
from tests.test_web_support import PLACES, Archive, copy_archive

HIT_KEYS = {
    "id",
    "score",
    "title",
    "date",
    "doc_type",
    "snippet",
    "highlights",
    "matched",
    "also_in",
}
TOKEN = "correct horse battery staple"


@pytest.fixture
def writable(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """A server with a write token over a copy of the archive (writes change it); its
    upload process is stopped at the end (the app's lifespan runs)."""
    monkeypatch.setenv("FONDS_NER_MODEL", "none")
    db = copy_archive(archive, tmp_path / "copy.db")
    app = create_app(archive_at(db), write_token=TOKEN, limits=WebLimits(max_upload_bytes=200_000))
    with TestClient(app) as client:
        yield client


def error(status: int, message: str) -> dict:
    return {"error": {"status": status, "message": message}}


# -- reading ---------------------------------------------------------------------------


def test_search_structure_and_pagination(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "Korea", "limit": 2})
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {
        "query",
        "total",
        "offset",
        "limit",
        "truncated",
        "timed_out",
        "hits",
        "facets",
        "facets_approximate",
    }
    assert (page["query"], page["offset"], page["limit"]) == ("Korea", 0, 2)
    assert page["total"] > 2 and len(page["hits"]) == 2
    assert all(set(hit) == HIT_KEYS for hit in page["hits"])
    for name, values in page["facets"].items():
        assert all(set(v) == {"value", "label", "count"} for v in values), name
    second = client.get("/api/search", params={"q": "Korea", "limit": 2, "offset": 2}).json()
    assert second["total"] == page["total"] and second["offset"] == 2
    assert {h["id"] for h in second["hits"]}.isdisjoint({h["id"] for h in page["hits"]})


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"q": ""}, "type a word or a name to search for"),
        ({"q": "x" * 2001}, "the limit is 2000"),
        ({"q": "Kim", "limit": 0}, "limit"),
        ({"q": "Kim", "limit": "many"}, "limit"),
        ({"q": "Kim", "offset": -1}, "offset"),
        ({"q": "Kim", "sort": "alphabet"}, "sort: Input should be 'relevance', 'date' or '-date'"),
        (
            {"q": "Kim", "mode": "psychic"},
            "mode: Input should be 'lexical', 'hybrid' or 'semantic'",
        ),
        ({}, "q: Field required"),
    ],
)
def test_search_errors_are_400_json(client: TestClient, params: dict, fragment: str) -> None:
    response = client.get("/api/search", params=params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error"} and body["error"]["status"] == 400
    assert fragment in body["error"]["message"]


def test_document_is_the_record(client: TestClient, archive: Archive) -> None:
    store = open_archive(archive.db, readonly=True)
    expected = store.get_record(archive.conversation)
    store.close()
    expected["source"]["path"] = Path(expected["source"]["path"]).name  # no server path
    expected["copies"] = []  # no other copy of it in this archive
    assert client.get(f"/api/documents/{archive.conversation}").json() == expected
    assert client.get("/api/documents/nope").json() == error(404, "no document with id 'nope'")


def test_similar_and_citations(client: TestClient, archive: Archive) -> None:
    similar = client.get(f"/api/documents/{archive.conversation}/similar?limit=3").json()
    assert set(similar) == {"id", "method", "hits"} and similar["id"] == archive.conversation
    assert 0 < len(similar["hits"]) <= 3
    assert archive.conversation not in {h["id"] for h in similar["hits"]}
    assert client.get("/api/documents/nope/similar").status_code == 404
    cites = client.get(f"/api/documents/{archive.conversation}/citations").json()
    assert set(cites) == {"chicago_note", "chicago_bibliography", "bibtex", "csl_json"}
    assert cites["csl_json"]["archive"] == "APRF"
    assert cites["csl_json"]["archive_location"] == "f. 45, o. 1, d. 348, ll. 71-82"


def test_entities_list_and_entity(client: TestClient, archive: Archive) -> None:
    found = client.get("/api/entities", params={"q": "Ir Sen"}).json()
    assert found["entities"][0]["id"] == "person-kim-il-sung" and found["total"] >= 1
    people = client.get("/api/entities", params={"type": "person", "limit": 5}).json()
    assert len(people["entities"]) == 5 and all(e["type"] == "person" for e in people["entities"])
    counts = [e["documents"] for e in people["entities"]]
    assert counts == sorted(counts, reverse=True)
    assert client.get("/api/entities", params={"type": "ghost"}).status_code == 400

    kim = client.get("/api/entities/person-kim-il-sung", params={"limit": 3}).json()
    assert set(kim) == {
        "id",
        "type",
        "name",
        "origin",
        "aliases",
        "names",
        "facts",
        "offices",
        "document_count",
        "sent",
        "merged_from",
        "years",
        "co_mentioned",
        "documents",
    }
    assert (kim["id"], kim["name"], kim["type"]) == ("person-kim-il-sung", "Kim Il Sung", "person")
    assert {"Kim Ir Sen", "김일성"} <= set(kim["aliases"])
    assert (
        kim["offices"][0]["title"]
        == "Chairman of the Provisional People's Committee of North Korea"
    )
    store = open_archive(archive.db, readonly=True)
    n = store.conn.execute(
        "SELECT count(DISTINCT document_id) FROM mentions WHERE entity_id = ?",
        ("person-kim-il-sung",),
    ).fetchone()[0]
    store.close()
    assert kim["document_count"] == kim["documents"]["total"] == n
    assert len(kim["documents"]["items"]) == 3
    assert sum(y["documents"] for y in kim["years"]) <= n
    people = [c["id"] for c in kim["co_mentioned"] if c["type"] == "person"]
    assert people[0] == "person-joseph-stalin"
    assert client.get("/api/entities/person-nobody").json() == error(
        404, "no entity with id 'person-nobody'"
    )


def test_timeline_counts_every_dated_document(client: TestClient, archive: Archive) -> None:
    store = open_archive(archive.db, readonly=True)
    by_month = dict(
        store.conn.execute(
            "SELECT substr(date_start, 1, 7), count(*) FROM documents WHERE date_start IS NOT NULL"
            " GROUP BY 1"
        ).fetchall()
    )
    # a document dated by a span of months is drawn across them, not in its first month
    spanning = store.conn.execute(
        "SELECT substr(date_start, 1, 7), substr(date_end, 1, 7), count(*) FROM documents"
        " WHERE substr(date_end, 1, 7) > substr(date_start, 1, 7) GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    within_month = dict(by_month)
    for month, _, n in spanning:
        within_month[month] -= n
    undated = store.conn.execute(
        "SELECT count(*) FROM documents WHERE date_start IS NULL"
    ).fetchone()[0]
    store.close()
    by_year: dict[str, int] = {}
    for key, n in by_month.items():
        by_year[key[:4]] = by_year.get(key[:4], 0) + n
    line = client.get("/api/timeline", params={"limit": 5}).json()
    first, last = min(by_month), max(by_month)
    months = [
        f"{y}-{m:02d}"
        for y in range(int(first[:4]), int(last[:4]) + 1)
        for m in range(1, 13)
        if first <= f"{y}-{m:02d}" <= last
    ]
    assert {k: v for k, v in line.items() if k != "documents"} == {
        "from": None,
        "to": None,
        "person": None,
        "granularity": "month",
        "total": sum(by_month.values()),
        "undated": undated,
        "buckets": [{"key": m, "count": within_month.get(m, 0)} for m in months],
        "spans": [{"from": a, "to": b, "count": n} for a, b, n in spanning],
    }
    assert spanning  # the bundled FRUS excerpt's editorial notes span 1949
    wide = client.get("/api/timeline", params={"from": "1940", "to": "1952"}).json()
    assert wide["granularity"] == "year"
    assert wide["buckets"] == [
        {"key": str(y), "count": by_year.get(str(y), 0)} for y in range(1940, 1953)
    ]
    assert len(line["documents"]["items"]) == 5
    month = client.get("/api/timeline", params={"from": "1950", "to": "1950"}).json()
    assert month["granularity"] == "month" and len(month["buckets"]) == 12
    in_buckets = sum(b["count"] for b in month["buckets"])
    assert in_buckets + sum(s["count"] for s in month["spans"]) == by_year["1950"]
    assert by_year["1950"] == month["total"]
    kim = client.get("/api/timeline", params={"person": "person-kim-il-sung"}).json()
    assert 0 < kim["total"] < line["total"]
    assert client.get("/api/timeline", params={"from": "1950-13-99x"}).json() == error(
        400, "from='1950-13-99x' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD"
    )


def test_network(client: TestClient, archive: Archive) -> None:
    net = client.get("/api/network").json()
    assert set(net) == {"nodes", "edges", "total_nodes", "truncated"}
    edge = next(
        e
        for e in net["edges"]
        if (e["source"], e["target"]) == ("person-terentii-shtykov", "person-andrey-vyshinsky")
    )
    assert edge["kind"] == "wrote" and archive.luncheon in {d["id"] for d in edge["documents"]}
    assert edge["weight"] == len(edge["documents"])
    ids = {n["id"] for n in net["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in net["edges"])
    met = client.get("/api/network", params={"kind": "met"}).json()
    assert met["edges"] and all(e["kind"] == "met" for e in met["edges"])
    pair = {"person-joseph-stalin", "person-kim-il-sung"}
    assert any({e["source"], e["target"]} == pair for e in met["edges"])
    around = client.get("/api/network", params={"person": "person-joseph-stalin"}).json()
    assert all("person-joseph-stalin" in (e["source"], e["target"]) for e in around["edges"])
    assert client.get("/api/network", params={"kind": "loved"}).status_code == 400


def test_places(client: TestClient, archive: Archive) -> None:
    store = open_archive(archive.db, readonly=True)
    expected = {
        r[0]: (r[1], r[2])
        for r in store.conn.execute(
            "SELECT id, CAST(json_extract(data_json, '$.lat') AS REAL),"
            " CAST(json_extract(data_json, '$.lon') AS REAL)"
            " FROM entities WHERE type = 'place' AND json_extract(data_json, '$.lat') IS NOT NULL"
            " AND id IN (SELECT entity_id FROM mentions)"
        )
    }
    store.close()
    places = client.get("/api/places").json()
    assert set(places) == {"places", "without_coordinates"}
    assert {p["id"]: (p["lat"], p["lon"]) for p in places["places"]} == expected
    assert len(expected) >= len(PLACES)
    assert all(
        set(p) == {"id", "name", "lat", "lon", "kind", "documents"} and p["documents"] > 0
        for p in places["places"]
    )
    counts = [p["documents"] for p in places["places"]]
    assert counts == sorted(counts, reverse=True)


def test_openapi_lists_the_api(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {
        "/api/search",
        "/api/documents/{doc_id}",
        "/api/documents/{doc_id}/similar",
        "/api/entities",
        "/api/entities/{entity_id}",
        "/api/timeline",
        "/api/network",
        "/api/places",
        "/api/ingest",
        "/api/entities/merge",
        "/api/entities/split",
        "/api/copies/link",
        "/api/copies/unlink",
        "/api/copies/undo",
    } <= set(schema["paths"])
    # the pages are not in it; the citation files are (for Zotero and other programs)
    pages = [p for p in schema["paths"] if not p.startswith("/api/")]
    assert pages == ["/documents/{doc_id}/cite.{fmt}"]
    cite = schema["paths"][pages[0]]["get"]
    fmt = next(p for p in cite["parameters"] if p["name"] == "fmt")
    assert fmt["schema"]["enum"] == ["bib", "json", "ris", "txt"]
    assert "application/x-research-info-systems" in cite["responses"]["200"]["content"]
    # errors as the server answers them: 400 (never FastAPI's 422), 404 for an unknown id
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            assert "422" not in operation["responses"] or path == "/api/ingest", path
            assert "400" in operation["responses"], path
            names_ids = "{" in path or path in ("/api/copies/link", "/api/copies/unlink")
            assert ("404" in operation["responses"]) == names_ids, path
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    # example ids are real: they answer 200
    document = schema["paths"]["/api/documents/{doc_id}"]["get"]["parameters"][0]
    assert client.get(f"/api/documents/{document['example']}").status_code == 200
    entity = schema["paths"]["/api/entities/{entity_id}"]["get"]["parameters"][0]
    assert client.get(f"/api/entities/{entity['example']}").status_code == 200
    # dates: the pattern the server checks
    timeline = {p["name"]: p for p in schema["paths"]["/api/timeline"]["get"]["parameters"]}
    pattern = re.compile(timeline["from"]["schema"]["pattern"])
    assert all(pattern.match(v) for v in ("", "1950", "1950-06", "1950-06-25"))
    assert not any(pattern.match(v) for v in ("1950-13", "1950-6", "June 1950", "19500"))
    for bad in ("1950-13", "1950-6"):
        assert client.get("/api/timeline", params={"from": bad}).status_code == 400
        assert client.get("/api/search", params={"q": "Kim", "from": bad}).status_code == 400
    assert client.get("/docs").status_code == 404  # the docs page would load a CDN


# -- failures --------------------------------------------------------------------------


def test_server_error_is_generic_json_or_page(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(store: Store) -> None:
        raise RuntimeError("secret detail /etc/shadow")

    monkeypatch.setattr(corpus, "places", broken)
    client = TestClient(create_app(archive_at(archive.db)), raise_server_exceptions=False)
    response = client.get("/api/places")
    assert response.status_code == 500
    assert response.json() == error(500, "internal error: the server could not answer this request")
    page = client.get("/map")
    assert page.status_code == 500 and "<h1>Server error</h1>" in page.text
    assert "secret" not in page.text and "Traceback" not in page.text
    assert "content-security-policy" in page.headers


def test_missing_archive_is_503_without_its_path(tmp_path: Path) -> None:
    client = TestClient(create_app(archive_at(tmp_path / "missing.db")))
    response = client.get("/api/documents/x")
    assert response.status_code == 503 and "missing.db" not in response.text
    assert client.get("/").status_code == 503


# -- writing ---------------------------------------------------------------------------


def test_read_only_server_refuses_writes(client: TestClient) -> None:
    for path in ("/api/ingest", "/api/entities/merge", "/api/entities/split", "/api/entities/undo"):
        response = client.post(path, content=b"{}", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 403, path
        assert "read-only" in response.json()["error"]["message"]
    assert client.put("/api/documents/x").status_code == 405


def test_writes_need_the_token(writable: TestClient) -> None:
    response = writable.post("/api/ingest?filename=a.txt", content=b"Some text")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["status"] == 401
    wrong = writable.post(
        "/api/entities/merge",
        json={"source": "a", "target": "b"},
        headers={"Authorization": "Bearer guess"},
    )
    assert wrong.json() == error(403, "the token given is not this server's write token")


def test_upload_is_ingested(writable: TestClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    text = (
        "Telegram from Shtykov to Vyshinsky\n\n3 May 1950\n\nKim Il Sung spoke to me about "
        "Ongjin. He said the army was ready.\n\nThe talk covered the supply of arms.\n"
    )
    response = writable.post(
        "/api/ingest",
        params={"filename": "../../etc/evil name.txt"},
        content=text.encode(),
        headers=auth,
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["file"], result["status"], result["documents"]) == ("evil_name.txt", "added", 1)
    record = writable.get(f"/api/documents/{result['ids'][0]}").json()
    assert record["title"] == "Telegram from Shtykov to Vyshinsky"
    assert "person-kim-il-sung" in {e["id"] for e in record["entities"]}
    # the same file again is unchanged; a multipart upload works too
    again = writable.post(
        "/api/ingest", params={"filename": "evil name.txt"}, content=text.encode(), headers=auth
    ).json()
    assert again["ids"] == result["ids"]
    multipart = writable.post(
        "/api/ingest",
        headers=auth,
        files={
            "file": (
                "note.txt",
                b"A note on Seoul\n\nThe mission met on 2 June 1950.\n",
                "text/plain",
            )
        },
    )
    assert multipart.status_code == 200 and multipart.json()["file"] == "note.txt"


def test_upload_limits_and_bad_files(writable: TestClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    big = writable.post("/api/ingest?filename=big.txt", content=b"x" * 200_001, headers=auth)
    assert big.status_code == 413 and big.json()["error"]["status"] == 413
    assert writable.post("/api/ingest", content=b"", headers=auth).status_code == 400
    binary = writable.post(
        "/api/ingest?filename=x.png", content=b"\x89PNG\r\n\x1a\n" + bytes(64), headers=auth
    )
    assert binary.status_code == 422 and "binary" in binary.json()["error"]["message"]
    no_field = writable.post("/api/ingest", headers=auth, files={"other": ("a.txt", b"x")})
    assert no_field.json() == error(400, "no form field named 'file' in the upload")


def test_request_bodies_are_limited(writable: TestClient) -> None:
    response = writable.post(
        "/api/entities/merge",
        content=b"{" + b" " * 70_000 + b"}",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_merge_split_and_undo(writable: TestClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    if importlib.util.find_spec("fonds.entities.edits") is None:
        merged = writable.post(
            "/api/entities/merge",
            headers=auth,
            json={"source": "place-test-station", "target": "place-test-atoll"},
        )
        assert merged.status_code == 501
        return
    merged = writable.post(
        "/api/entities/merge",
        headers=auth,
        json={"source": "place-test-station", "target": "place-test-atoll"},
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["into"] == "place-test-atoll"
    moved = writable.get("/entities/place-test-station", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (301, "/entities/place-test-atoll")
    assert (
        writable.get("/api/entities/place-test-station").json()["merged_from"]
        == "place-test-station"
    )
    undone = writable.post("/api/entities/undo", headers=auth).json()["undone"]
    assert undone["action"] == "merge" and undone["source"] == "place-test-station"
    assert writable.get("/entities/place-test-station").status_code == 200

    mixed = writable.post(
        "/api/entities/merge",
        headers=auth,
        json={"source": "place-test-atoll", "target": "person-kim-il-sung"},
    )
    assert mixed.json() == error(400, "cannot merge a place into a person")
    ghost = writable.post(
        "/api/entities/merge",
        headers=auth,
        json={"source": "person-nobody", "target": "person-kim-il-sung"},
    )
    assert ghost.json() == error(404, "no entity with id 'person-nobody'")

    split = writable.post(
        "/api/entities/split",
        headers=auth,
        json={"entity": "person-kim-il-sung", "names": ["Kim"], "new_name": "Kim (unknown)"},
    )
    assert split.status_code == 200, split.text
    new_id = split.json()["result"]
    assert writable.get(f"/api/entities/{new_id}").json()["name"] == "Kim (unknown)"
    empty = writable.post(
        "/api/entities/split", headers=auth, json={"entity": "person-kim-il-sung", "names": []}
    )
    assert empty.status_code == 400


def test_browser_sign_in_shows_edit_forms(writable: TestClient) -> None:
    assert writable.post("/login", data={"token": "guess"}).status_code == 403
    signed = writable.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert signed.status_code == 303
    assert "httponly" in signed.headers["set-cookie"].lower()
    assert "samesite=strict" in signed.headers["set-cookie"].lower()
    page = writable.get("/entities/person-kim-il-sung")
    assert "Edit this entity" in page.text
    foreign = writable.post(
        "/entities/person-kim-il-sung/merge",
        data={"target": "x"},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert foreign.status_code == 403
    writable.post("/logout")
    assert "Edit this entity" not in writable.get("/entities/person-kim-il-sung").text


def test_serve_command() -> None:
    from fonds.cli import main

    runner = CliRunner()
    help_text = runner.invoke(main, ["serve", "--help"]).output
    assert "--write-token" in help_text and "fonds serve --db fonds.db" in help_text
    missing = runner.invoke(main, ["serve", "--db", "/nonexistent/fonds.db"])
    assert missing.exit_code == 2 and "no such archive" in missing.output


def test_status_reports_readiness_after_warming(archive: Archive) -> None:
    with TestClient(create_app(archive_at(archive.db))) as started:  # runs the lifespan (warm-up)
        deadline = time.monotonic() + 60
        status = started.get("/api/status").json()
        while not status["ready"] and time.monotonic() < deadline:
            time.sleep(0.05)
            status = started.get("/api/status").json()
        assert status["ready"] is True
        assert status["documents"] == open_archive(archive.db, readonly=True).count_documents()
        assert status["writable"] is False and status["process"] == os.getpid()


def test_worker_processes_build_the_app_from_their_environment(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fonds.errors import StoreError
    from fonds.web.app import app_from_environment

    monkeypatch.delenv("FONDS_SERVE_DB", raising=False)
    with pytest.raises(StoreError, match="FONDS_SERVE_DB"):
        app_from_environment()
    monkeypatch.setenv("FONDS_SERVE_DB", archive_at(archive.db))
    monkeypatch.setenv("FONDS_WRITE_TOKEN", "s3cret-and-long-enough")
    monkeypatch.setenv("FONDS_ALLOWED_HOSTS", "archive.example.org,localhost")
    worker = TestClient(app_from_environment(), base_url="http://archive.example.org")
    assert TestClient(worker.app, base_url="http://evil.example").get("/").status_code == 400
    assert worker.get("/api/search", params={"q": "Korea"}).status_code == 200
    assert worker.get("/api/status").json()["writable"] is True
    denied = worker.post("/api/entities/merge", json={"source": "x", "target": "y"})
    assert denied.status_code == 401  # the token is required, and none was sent


def test_serve_accepts_workers() -> None:
    from fonds.cli import main

    help_text = CliRunner().invoke(main, ["serve", "--help"]).output
    assert "--workers" in help_text
    bad = CliRunner().invoke(main, ["serve", "--workers", "0"])
    assert bad.exit_code == 2


def test_bad_requests_found_by_the_probe_are_4xx(writable: TestClient) -> None:
    """Each was a 500 before: an offset past SQLite's integers, a form with too many
    fields, a UTF-16 upload with an odd trailing byte; a refused upload stays on disk."""
    too_deep = writable.get("/entities/person-kim-il-sung?offset=9223372036854775808")
    assert too_deep.status_code == 400
    assert writable.get("/api/entities?offset=10001").status_code == 400
    assert writable.get("/entities?offset=10001").status_code == 400
    form = "&".join(f"f{i}=x" for i in range(100))
    crowded = writable.post(
        "/login", content=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert crowded.status_code == 400
    auth = {"Authorization": f"Bearer {TOKEN}"}
    odd = "Telegram from Seoul".encode("utf-16") + b"\x00"
    broken = writable.post("/api/ingest?filename=odd.txt", content=odd, headers=auth)
    assert broken.status_code == 422 and "UTF-16" in broken.json()["error"]["message"]
    uploads = Path(writable.app.state.fonds.db_path).resolve().parent / "uploads"
    assert not any(p.name.endswith("odd.txt") for p in uploads.glob("*"))


def test_a_record_names_its_source_by_file_name(client: TestClient, archive: Archive) -> None:
    """The API does not tell who asks where the server keeps its files."""
    doc_id = client.get("/api/search", params={"q": "Stalin"}).json()["hits"][0]["id"]
    source = client.get(f"/api/documents/{doc_id}").json()["source"]
    assert source["path"] and "/" not in source["path"] and "\\\\" not in source["path"]
    assert Path(str(archive.db)).parent.name not in source["path"]


# -- deployment safety -----------------------------------------------------------------


def test_session_cookies_expire_and_are_signed_with_their_time(writable: TestClient) -> None:
    """The cookie names when it was issued and is signed with the token; an old cookie,
    a changed signature, and the former fixed cookie (an HMAC without a time) are refused."""
    from fonds.web.pages import SESSION_COOKIE

    signed = writable.post("/login", data={"token": TOKEN}, follow_redirects=False)
    cookie = signed.cookies[SESSION_COOKIE]
    issued, _, signature = cookie.partition(".")
    assert abs(int(issued) - time.time()) < 60 and len(signature) == 64
    assert "max-age=43200" in signed.headers["set-cookie"].lower()
    state = writable.app.state.fonds  # type: ignore[attr-defined]
    page = "/entities/person-kim-il-sung"

    def signed_in(value: str) -> bool:
        writable.cookies.set(SESSION_COOKIE, value)
        return "Edit this entity" in writable.get(page).text

    assert signed_in(cookie)
    expired = state.session_value(now=time.time() - state.limits.session_seconds - 1)
    assert not signed_in(expired)
    assert not signed_in(f"{issued}.{'0' * 64}")
    assert not signed_in(f"{int(issued) + 1}.{signature}")  # the time is signed too
    fixed = hmac.new(TOKEN.encode(), b"fonds-session", "sha256").hexdigest()
    assert not signed_in(fixed)
    assert signed_in(cookie)


def test_other_host_names_are_refused(archive: Archive) -> None:
    """A DNS-rebinding page sends its own name as Host: 400, and never a redirect to it."""
    from fonds.web.commands import host_names

    hosts = host_names("127.0.0.1", ("archive.example.org",))
    assert set(hosts) == {"127.0.0.1", "localhost", "::1", "archive.example.org"}
    assert {"0.0.0.0", "::"}.isdisjoint(host_names("0.0.0.0", ()))
    assert socket.gethostname() in host_names("0.0.0.0", ())
    app = create_app(archive_at(archive.db), allowed_hosts=hosts)
    evil = TestClient(app, base_url="http://evil.example")
    refused = evil.get("/search?q=Kim", follow_redirects=False)
    assert refused.status_code == 400 and "location" not in refused.headers
    assert "content-security-policy" in refused.headers
    assert TestClient(app, base_url="http://localhost:8000").get("/").status_code == 200
    named = TestClient(app, base_url="http://archive.example.org")
    assert named.get("/api/status").status_code == 200


def test_write_tokens_must_be_long_and_stay_off_the_command_line(
    archive: Archive, tmp_path: Path
) -> None:
    from fonds.cli import main

    with pytest.raises(ConfigError, match="at least 16"):
        create_app(archive_at(archive.db), write_token="letmein")
    runner = CliRunner()
    short = runner.invoke(
        main, ["serve", "--db", archive_at(archive.db), "--write-token", "letmein"]
    )
    assert short.exit_code == 2 and "at least 16" in short.output
    assert "visible to every user of this machine" in short.output
    token_file = tmp_path / "token"
    token_file.write_text("short-in-a-file\n")
    from_file = runner.invoke(
        main, ["serve", "--db", archive_at(archive.db), "--write-token-file", str(token_file)]
    )
    assert from_file.exit_code == 2 and "has 15 characters" in from_file.output
    assert "visible" not in from_file.output


def test_the_schema_lists_every_sort_and_mode_the_search_accepts(client: TestClient) -> None:
    params = {
        p["name"]: p["schema"]
        for p in client.get("/openapi.json").json()["paths"]["/api/search"]["get"]["parameters"]
    }
    assert params["sort"]["enum"] == ["relevance", "date", "-date"]
    assert params["mode"]["enum"] == ["lexical", "hybrid", "semantic"]
    for sort in params["sort"]["enum"]:  # every value listed is answered
        assert client.get("/api/search", params={"q": "Kim", "sort": sort}).status_code == 200
