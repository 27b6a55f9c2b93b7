"""A real server keeps answering while it works: `/api/status` stays under 250 ms while a
200 KB document is rendered six times in parallel and while a 5 MB upload is ingested
(before, the upload ran on the event loop and every request waited for it)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from fonds.entities.stage import EntityStage
from fonds.pipeline import ingest
from tests.conftest import open_archive
from tests.serve_support import running_server

pytestmark = pytest.mark.slow
TOKEN = "a token long enough to be accepted by fonds serve"
# A status request that waited for a render or an upload took seconds before; on the event
# loop it takes 10-80 ms here, and up to about 115 ms when seven threads contend for the
# interpreter lock on two cores (the bound of 100 ms failed about one run in three).
STATUS_BUDGET = 0.250
PARAGRAPH = (
    "On day {i} Kim Il Sung met Pak Hon Yong in Pyongyang, and Shtykov reported the talk "
    "to Moscow with the figures of the army's supply."
)


def _big_document(folder: Path, kilobytes: int) -> Path:
    paragraphs, size = [], 0
    while size < kilobytes * 1000:
        paragraphs.append(PARAGRAPH.format(i=len(paragraphs)))
        size += len(paragraphs[-1]) + 2
    path = folder / f"report-{kilobytes}.txt"
    path.write_text("A long report from Pyongyang\n\n" + "\n\n".join(paragraphs) + "\n")
    return path


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("responsive")
    path = _big_document(folder, 200)
    store = open_archive(folder / "archive.db")
    summary = ingest(store, [path], EntityStage.for_store(store, ner="none").annotate)
    assert summary.count("failed") == 0
    doc_id = next(iter(store.document_ids_for_path(str(path))))
    store.close()
    return folder / "archive.db", doc_id


def _status_times(base: str, busy: threading.Event, count: int = 15) -> list[float]:
    """Seconds each of ``count`` status requests took while ``busy`` is set."""
    times: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as client:
        while busy.is_set() and len(times) < count:
            start = time.perf_counter()
            assert client.get("/api/status").status_code == 200
            times.append(time.perf_counter() - start)
            time.sleep(0.05)
    return times


def test_status_answers_while_a_big_page_is_rendered_six_times(
    archive: tuple[Path, str],
) -> None:
    db, doc_id = archive
    with running_server(db) as base:
        busy = threading.Event()
        busy.set()
        rendered: list[int] = []

        def read_page() -> None:
            with httpx.Client(base_url=base, timeout=60) as client:
                for _ in range(4):
                    response = client.get(f"/documents/{doc_id}")
                    rendered.append(response.status_code)

        readers = [threading.Thread(target=read_page) for _ in range(6)]
        for t in readers:
            t.start()
        time.sleep(0.3)  # every thread is rendering by now
        times = _status_times(base, busy)
        for t in readers:
            t.join()
        assert rendered == [200] * 24
        assert len(times) >= 5 and max(times) < STATUS_BUDGET, times


def test_status_answers_while_a_five_megabyte_upload_is_ingested(
    archive: tuple[Path, str], tmp_path: Path
) -> None:
    db, _ = archive
    big = _big_document(tmp_path, 5_000).read_bytes()
    env = {"FONDS_WRITE_TOKEN": TOKEN, "FONDS_NER_MODEL": "none"}
    with running_server(db, env=env) as base:
        busy = threading.Event()
        busy.set()
        result: dict[str, object] = {}

        def upload() -> None:
            with httpx.Client(base_url=base, timeout=600) as client:
                response = client.post(
                    "/api/ingest?filename=big.txt",
                    content=big,
                    headers={"Authorization": f"Bearer {TOKEN}"},
                )
                result["status"] = response.status_code
                result["took"] = time.perf_counter() - started
            busy.clear()

        started = time.perf_counter()
        uploader = threading.Thread(target=upload)
        uploader.start()
        time.sleep(0.5)  # the body is sent and the ingest under way
        times = _status_times(base, busy, count=1_000)
        uploader.join()
        assert result["status"] == 200
        assert float(result["took"]) > 1.0  # long enough to have been measured during
        assert len(times) >= 5 and max(times) < STATUS_BUDGET, times
