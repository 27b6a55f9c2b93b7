"""Options and helpers shared by every command module of the CLI."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from fonds.errors import FondsError
from fonds.settings import load_settings

SETTINGS = load_settings()


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, an ellipsis where it was cut."""
    return text if len(text) <= width else text[: max(1, width - 1)].rstrip() + "…"


def column_width(values: list[str], least: int = 10, most: int = 24) -> int:
    """The width of a column that holds every value (a date range is wider than a day)."""
    return max(least, min(most, max((len(v) for v in values), default=0)))


def db_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db",
        default=SETTINGS.db,
        show_default=True,
        help="The archive: a SQLite file, or a PostgreSQL database (postgresql://user@host/db).",
    )(f)


def friendly_errors(f: Callable[..., Any]) -> Callable[..., Any]:
    """A fonds error becomes one line on stderr and exit status 2, never a traceback."""

    @wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except FondsError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(2)

    return wrapper


def open_store(db: str, must_exist: bool = False):
    """The archive ``--db`` names: a SQLite file, or a PostgreSQL server's database."""
    from fonds.errors import StoreError
    from fonds.store import open_store as open_target
    from fonds.store import store_exists

    if must_exist and not store_exists(db):
        raise StoreError(f"{db}: no such archive; create it with `fonds ingest PATH --db {db}`")
    return open_target(db)
