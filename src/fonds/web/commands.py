"""The `fonds serve` command."""

from __future__ import annotations

import os
from typing import Any

import click

from fonds.cli_common import db_option, friendly_errors


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--write-token",
    default=None,
    metavar="TOKEN",
    help="Allow uploads and entity edits from clients holding TOKEN "
    "(default: $FONDS_WRITE_TOKEN; without one the server only reads).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes. Each answers requests on its own core; on a machine with "
    "several cores and many readers, one per core (the archive is read, not copied).",
)
@friendly_errors
def serve(db: str, host: str, port: int, write_token: str | None, workers: int) -> None:
    """The web interface and the JSON API (OpenAPI at /openapi.json).

    \b
    Examples:
      fonds serve --db fonds.db --port 8000
      fonds serve --db fonds.db --workers 2     # one process per core
    """
    from pathlib import Path

    import uvicorn

    from fonds.errors import StoreError
    from fonds.web.app import create_app

    if not Path(db).exists():
        raise StoreError(f"{db}: no such archive; create it with `fonds ingest PATH --db {db}`")
    token = write_token or os.environ.get("FONDS_WRITE_TOKEN") or None
    mode = "read-write (token required)" if token else "read-only"
    plural = f", {workers} workers" if workers > 1 else ""
    click.echo(f"fonds: serving {db} on http://{host}:{port}/ ({mode}{plural})", err=True)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "server_header": False,
        "h11_max_incomplete_event_size": 16 * 1024,
    }
    if workers == 1:
        uvicorn.run(create_app(db, write_token=token), **options)
        return
    # Workers are separate processes that import the app: hand them the archive and the
    # token through their environment (never on a command line, where `ps` shows it).
    os.environ["FONDS_SERVE_DB"] = str(Path(db).resolve())
    if token:
        os.environ["FONDS_WRITE_TOKEN"] = token
    else:
        os.environ.pop("FONDS_WRITE_TOKEN", None)
    uvicorn.run("fonds.web.app:app_from_environment", factory=True, workers=workers, **options)


def register(main: click.Group) -> None:
    main.add_command(serve)
