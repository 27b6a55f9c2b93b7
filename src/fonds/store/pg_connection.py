"""A PostgreSQL connection with the face of a ``sqlite3.Connection``, so that fonds' SQL
and the code around it serve both stores.

It takes the SQL fonds writes for SQLite: ``?`` and ``?N`` placeholders become psycopg's
``%s`` and ``%(pN)s`` (outside string literals and quoted names), a literal ``%`` is
doubled, booleans are bound as integers (SQLite has no boolean), and a NUL in a string
as U+FFFD (PostgreSQL's text has no NUL). Rows answer by
position and by column name, like ``sqlite3.Row``. Transactions are the caller's, as with
SQLite in autocommit: ``BEGIN``, ``SAVEPOINT``, ``COMMIT`` are sent as written. What only
SQLite has (FTS5, ``PRAGMA``, blobs) is not translated: the PostgreSQL store does that
work its own way (``fonds.store.postgres``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import pq

from fonds.errors import StoreError, StoreLost
from fonds.store.pg_changes import committed_here

# PostgreSQL's text cannot hold the character NUL (SQLite's can): a NUL in a value to
# store or to look up (a fuzzed query) stands as U+FFFD, the character for what cannot be
# represented, rather than failing the statement.
NUL_STANDS_IN = "\ufffd"
# A string literal, a quoted name, a numbered or bare placeholder, or a percent sign.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?(\d+)?|%")


@lru_cache(maxsize=2048)
def translate(sql: str) -> tuple[str, bool]:
    """``sql`` with psycopg's placeholders, and whether they are named (``?N`` used)."""
    named = any(m.group(1) for m in _TOKEN.finditer(sql) if m.group().startswith("?"))
    count = 0

    def swap(m: re.Match[str]) -> str:
        nonlocal count
        token = m.group()
        if token == "%":
            return "%%"
        if not token.startswith("?"):
            return token  # a literal or a quoted name, as written
        count += 1
        if not named:
            return "%s"
        return f"%(p{m.group(1) or count})s"

    return _TOKEN.sub(swap, sql), named


def _bind(params: Sequence[Any] | None, named: bool) -> Any:
    if params is None:
        return None
    values = [
        int(v)
        if isinstance(v, bool)
        else v.replace("\x00", NUL_STANDS_IN)
        if isinstance(v, str) and "\x00" in v
        else v
        for v in params
    ]
    if named:
        return {f"p{n}": v for n, v in enumerate(values, 1)}
    return values


class Row(tuple):  # type: ignore[type-arg]
    """A result row: by position (``row[0]``), by name (``row["title"]``), ``keys()``, and
    ``dict(row)``, as ``sqlite3.Row``."""

    _index: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor: Any) -> Any:
    description = cursor.description
    if description is None:
        return tuple
    index = {d.name: n for n, d in enumerate(description)}

    def make(values: Sequence[Any]) -> Row:
        row = Row(values)
        row._index = index
        return row

    return make


class Cursor:
    """The result of one statement: rows to fetch or iterate, the count of rows changed."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def lastrowid(self) -> None:
        raise StoreError("PostgreSQL has no lastrowid: write INSERT … RETURNING id")

    def fetchone(self) -> Any:
        try:  # in a pipeline, fetching waits for the statement's result
            return self._cursor.fetchone()
        except psycopg.ProgrammingError:  # a statement that returns no rows
            return None

    def fetchall(self) -> list[Any]:
        try:
            return self._cursor.fetchall()
        except psycopg.ProgrammingError:
            return []

    def fetchmany(self, size: int = 1) -> list[Any]:
        try:
            return self._cursor.fetchmany(size)
        except psycopg.ProgrammingError:
            return []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PgConnection:
    """One psycopg connection in autocommit mode, spoken to as ``sqlite3.Connection``."""

    def __init__(self, url: str) -> None:
        try:
            self.raw = psycopg.connect(url, autocommit=True, row_factory=_row_factory)
        except psycopg.Error as err:
            raise ConnectionLost(f"cannot connect to PostgreSQL: {_first_line(err)}") from err
        self.url = url
        self.total_changes = 0
        self._unsaid = False  # wrote since this process's listener was last told
        self._pipeline: Any = None

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        # without parameters psycopg reads no placeholder (nor %): the SQL as written
        query, named = translate(sql) if params else (sql, False)
        try:
            cursor = self.raw.cursor()
            cursor.execute(query, _bind(params or None, named))  # type: ignore[arg-type]
        except psycopg.Error as err:
            raise translate_error(err, self.raw) from err
        if cursor.rowcount > 0 and not cursor.description:
            self.total_changes += cursor.rowcount
            self._unsaid = True
        self._tell_if_committed()
        return Cursor(cursor)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        query, named = translate(sql)
        try:
            cursor = self.raw.cursor()
            cursor.executemany(query, (_bind(r, named) for r in rows))
        except psycopg.Error as err:
            raise translate_error(err, self.raw) from err
        self.total_changes += max(cursor.rowcount, 0)
        self._unsaid = True
        self._tell_if_committed()
        return Cursor(cursor)

    def _tell_if_committed(self) -> None:
        """Once what this connection wrote is committed, this process's change listener
        counts it (``pg_changes.committed_here``)."""
        if (
            self._unsaid
            and self._pipeline is None
            and self.raw.info.transaction_status == pq.TransactionStatus.IDLE
        ):
            self._unsaid = False
            committed_here(self.url)

    def stream(self, sql: str, size: int = 1000) -> Iterator[Any]:
        """The rows of a query read ``size`` at a time from a cursor on the server, so
        that a table of millions is never in memory at once (in a transaction of its
        own, on this connection: a reader's)."""
        try:
            with self.raw.transaction(), self.raw.cursor(name="fonds_stream") as cursor:
                cursor.execute(sql)
                while rows := cursor.fetchmany(size):
                    yield from rows
        except psycopg.Error as err:
            raise translate_error(err, self.raw) from err

    @contextmanager
    def pipeline(self) -> Iterator[None]:
        """Statements sent without waiting for each one's answer, until a result is read
        or the block ends (one round trip for many statements)."""
        if self._pipeline is not None:
            yield
            return
        try:
            with self.raw.pipeline() as pipeline:
                self._pipeline = pipeline
                yield
        except psycopg.Error as err:
            raise translate_error(err, self.raw) from err
        finally:
            self._pipeline = None
        self._tell_if_committed()

    def flush(self) -> None:
        """Wait for the answers of the statements in flight; a failed one raises here."""
        if self._pipeline is not None:
            try:
                self._pipeline.sync()
            except psycopg.Error as err:
                raise translate_error(err, self.raw) from err

    def recover(self) -> None:
        """After a statement failed in a pipeline, the pipeline refuses every statement
        until it is synchronised: do so (the error was raised already, unless the
        connection is gone)."""
        try:
            self.flush()
        except ConnectionLost:
            raise
        except PgError:
            pass

    @property
    def in_transaction(self) -> bool:
        if self._pipeline is not None:
            self._pipeline.sync()  # the statements in flight answer: the state is known
        status = self.raw.info.transaction_status
        return status in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR)

    def commit(self) -> None:
        if self.in_transaction:
            self.execute("COMMIT")

    def rollback(self) -> None:
        if self.in_transaction:
            self.execute("ROLLBACK")

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> PgConnection:
        return self

    def __exit__(self, kind: Any, value: Any, tb: Any) -> None:
        """As ``with sqlite3.Connection``: commit on success, roll back on an error."""
        if kind is None:
            self.commit()
        else:
            self.rollback()


class PgError(StoreError):
    """PostgreSQL refused a statement or the connection was lost."""


class ConnectionLost(StoreLost):
    """The server went away mid-run (restarted, stopped, or the network cut)."""


def translate_error(err: psycopg.Error, conn: psycopg.Connection[Any]) -> StoreError:
    if conn.broken or conn.closed:
        return ConnectionLost(
            f"lost the connection to PostgreSQL ({_first_line(err)}); everything committed "
            "before stays: run the same command again to finish"
        )
    return PgError(f"PostgreSQL: {_first_line(err)}")


def _first_line(err: Exception) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]
