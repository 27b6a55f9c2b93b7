"""Uploads are ingested in a child process, one at a time and under a time budget, so
the server keeps answering while a big or hostile file is read.

The child (started once, on the first upload, and kept) loads the entity stage once and
then ingests each upload it is sent into the archive, exactly as ``fonds ingest`` would.
The parent waits for it on a thread, never on the event loop. An upload that runs past
the budget has its child killed: SQLite rolls back the open transaction, nothing of that
upload stays, and the next upload starts a new child.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from fonds.errors import ReadError

# A new child imports fonds and loads the recognizer (about 2.5 s here) before its first
# upload; that is not counted in the upload's budget.
STARTUP_SECONDS = 120.0


class UploadBudgetExceeded(ReadError):
    """An upload took longer than the server allows; it was stopped and rolled back."""


def ingest_upload(db_path: str, path: str) -> dict[str, Any]:
    """Ingest one uploaded file into the archive (what the child runs for each upload)."""
    from fonds.entities.stage import EntityStage
    from fonds.pipeline import ingest_file
    from fonds.settings import load_settings
    from fonds.store import open_store

    store = open_store(db_path)
    try:
        stage = EntityStage.for_store(store, ner=load_settings().ner_model)
        outcome = ingest_file(store, Path(path), stage.annotate)
        if outcome.status != "failed":
            stage.settle()
        ids = sorted(store.document_ids_for_path(path))
    finally:
        store.close()
    return {
        "status": outcome.status,
        "documents": outcome.documents,
        "reader": outcome.reader,
        "ids": ids,
        "message": outcome.message,
    }


def _serve(conn: Connection) -> None:
    """The child's loop: one upload at a time, each acknowledged with ("started",) and
    answered with ("ok", result) or ("error", message); ends when the parent closes its
    end. The recognizer is loaded before the first job, outside any upload's budget."""
    from fonds.entities.ner import load_ner
    from fonds.settings import load_settings

    with contextlib.suppress(Exception):  # a job reports a missing model, as ingest does
        load_ner(load_settings().ner_model)
    while True:
        try:
            db_path, path = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(("started",))
        try:
            conn.send(("ok", ingest_upload(db_path, path)))
        except Exception as err:  # failures are data: the parent turns them into a 422
            conn.send(("error", f"{type(err).__name__}: {err}"))


class UploadWorker:
    """The child process that ingests uploads, started on first use, restarted after a
    budget was exceeded or the child died."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None

    def ingest(self, db_path: str, path: Path) -> dict[str, Any]:
        """Ingest ``path`` into ``db_path`` in the child; blocks the calling thread only."""
        with self._lock:
            conn = self._connection()
            conn.send((db_path, str(path)))
            if not conn.poll(STARTUP_SECONDS):
                self._stop()
                raise ReadError(f"{path.name}: the ingest process did not start; see the log")
            try:
                conn.recv()  # ("started",): the budget counts from here
            except (EOFError, OSError):
                self._stop()
                raise ReadError(
                    f"{path.name}: the ingest process could not start; see the server's log"
                ) from None
            if not conn.poll(self.seconds):
                self._stop()
                raise UploadBudgetExceeded(
                    f"{path.name}: the upload took longer than the server's budget of "
                    f"{self.seconds:g} s and was stopped; nothing of it was kept. Ingest a "
                    "file this big with `fonds ingest` on the server."
                )
            try:
                kind, payload = conn.recv()
            except (EOFError, OSError):
                self._stop()
                raise ReadError(
                    f"{path.name}: the ingest process stopped while reading this file; "
                    "nothing of it was kept"
                ) from None
        if kind != "ok":
            raise ReadError(f"{path.name}: {payload}")
        return payload  # type: ignore[no-any-return]

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _connection(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._conn is not None:
            return self._conn
        self._stop()
        # spawn, not fork: the server has threads, and a forked child inherits their locks
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child,), daemon=True, name="fonds-upload")
        process.start()
        child.close()
        self._process, self._conn = process, parent
        return parent

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        self._process, self._conn = None, None
