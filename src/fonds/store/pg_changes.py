"""How a server hears that a PostgreSQL archive changed, without asking it.

Before every search, fonds checks that the search index is in step with the archive: on
SQLite by a pragma (no I/O), on PostgreSQL by a query, a round trip to the server that
was a fifth of a fast search's time. Instead, every transaction that changes what search
shows (a record written, an entity or copy edited) sends a notice on the channel
``fonds_changes`` when it commits (triggers of ``pg_schema``, migration 2), and each
process keeps one connection that listens (``LISTEN``). The change marker is then the
number of notices heard: looking costs a poll of that connection's socket, no round trip.

A notice reaches the listener a few microseconds after its commit returns (measured on
one machine; across a network, a network's delay): a search that starts in that moment
sees the archive as it was just before, as if it had started a moment earlier. A commit
of the process's own is counted at once (``committed_here``): what a process wrote, its
next search sees. When the
listener cannot connect, or its connection breaks, the marker is read by query again
(``None`` here), and each new connection counts as a change: what was said while no one
listened is not missed.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time

import psycopg

from fonds.store.pg_schema import CHANGES_CHANNEL

RETRY_SECONDS = 5.0  # after a failed connection, read the marker by query this long


class ChangeListener:
    """One listening connection to a database, shared by a process's threads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.heard = 0  # notices heard, plus one for each new connection
        self.pid = os.getpid()
        self._conn: psycopg.Connection | None = None
        self._lock = threading.Lock()
        self._retry_at = 0.0

    def count(self) -> int | None:
        """Notices heard so far (it grows at every change), or None when not listening."""
        with self._lock:
            if self._conn is None:
                return self._connect()
            try:
                if select.select([self._conn.fileno()], [], [], 0)[0]:
                    for _ in self._conn.notifies(timeout=0):
                        self.heard += 1
                    # notices, or the server's goodbye, or both: this raises if the
                    # connection is gone (a notice that comes meanwhile is kept by
                    # psycopg for the next look)
                    self._conn.execute("SELECT 1")
            except (psycopg.Error, OSError, ValueError):
                self._drop()
                return None
            return self.heard

    def _connect(self) -> int | None:
        if time.monotonic() < self._retry_at:
            return None
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
            conn.execute(f"LISTEN {CHANGES_CHANNEL}")
        except psycopg.Error:
            self._retry_at = time.monotonic() + RETRY_SECONDS
            return None
        self._conn = conn
        self.heard += 1  # whatever changed before is read by the check that follows
        return self.heard

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self.heard += 1
        self._retry_at = time.monotonic() + RETRY_SECONDS
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()

    def heard_here(self) -> None:
        """A commit of this process's own: counted at once, not when its notice comes
        back, so that what a process wrote, its next search sees."""
        with self._lock:
            self.heard += 1

    def close(self) -> None:
        with self._lock:
            self._drop()


_LISTENERS: dict[str, ChangeListener] = {}
_REGISTRY_LOCK = threading.Lock()


def listener(url: str) -> ChangeListener:
    """This process's listener for the database at ``url`` (a forked child makes its own:
    a connection is never shared across processes)."""
    with _REGISTRY_LOCK:
        found = _LISTENERS.get(url)
        if found is None or found.pid != os.getpid():
            found = _LISTENERS[url] = ChangeListener(url)
        return found


def committed_here(url: str) -> None:
    """Tell this process's listener of ``url``, if it has one, of a commit made here."""
    found = _LISTENERS.get(url)
    if found is not None and found.pid == os.getpid():
        found.heard_here()
