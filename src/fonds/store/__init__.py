"""Where an archive is kept: a SQLite file (the embedded default) or a PostgreSQL
database (``--db postgresql://…``), behind one ``Store`` interface."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fonds.store.sqlite import Store

SERVER_SCHEMES = ("postgresql://", "postgres://")


def is_server_url(target: str | Path) -> bool:
    """Whether ``--db`` names a PostgreSQL server, not a SQLite file."""
    return str(target).startswith(SERVER_SCHEMES)


def open_store(target: str | Path, readonly: bool = False) -> Store:
    """The store ``--db`` names: a PostgreSQL URL, else the path of a SQLite file."""
    if is_server_url(target):
        try:
            from fonds.store.postgres import PgStore
        except ImportError as err:
            from fonds.errors import DependencyError

            raise DependencyError(
                f"a PostgreSQL archive needs psycopg: pip install 'fonds[server]' ({err})"
            ) from err

        return PgStore(str(target), readonly=readonly)
    from fonds.store.sqlite import Store

    return Store(target, readonly=readonly)


def store_exists(target: str | Path) -> bool:
    """Whether the archive is there to be read (a server's database is: it is made on
    first use)."""
    return is_server_url(target) or Path(target).exists()


def files_base(target: str | Path) -> str:
    """The path the archive's own files on this machine are named from (its search index
    ``<base>.index``, its vectors): a SQLite file's path; for a PostgreSQL database, a
    name under ``FONDS_INDEX_DIR`` (default ``~/.cache/fonds``): each machine that serves
    or searches the database keeps its own copy of the index, in step with the database."""
    if not is_server_url(target):
        return str(target)
    url = shown(target)  # a password names nothing
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", url.split("?")[0].rsplit("/", 1)[-1]) or "db"
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    folder = os.environ.get("FONDS_INDEX_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "fonds"
    )
    return os.path.join(folder, f"{name}-{digest}")


def shown(target: str | Path) -> str:
    """``--db`` as it may be printed: a server URL without its password."""
    return re.sub(r"(//[^:@/]*):[^@/]*@", r"\1:***@", str(target))


def stream_rows(conn: Any, sql: str, size: int = 1000) -> Iterator[Any]:
    """Every row of a query on a reader's connection (``Store.reader_connection``), read
    ``size`` at a time: from a cursor on the server for PostgreSQL, stepped through the
    file for SQLite. A table of millions is never in memory at once."""
    stream = getattr(conn, "stream", None)
    if stream is not None:
        yield from stream(sql, size)
        return
    cursor = conn.execute(sql)
    while rows := cursor.fetchmany(size):
        yield from rows
