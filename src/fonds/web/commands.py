"""The `fonds serve` command."""

from __future__ import annotations

import os

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
@friendly_errors
def serve(db: str, host: str, port: int, write_token: str | None) -> None:
    """The web interface and the JSON API (OpenAPI at /openapi.json).

    Example: fonds serve --db fonds.db --port 8000
    """
    from pathlib import Path

    import uvicorn

    from fonds.errors import StoreError
    from fonds.web.app import create_app

    if not Path(db).exists():
        raise StoreError(f"{db}: no such archive; create it with `fonds ingest PATH --db {db}`")
    token = write_token or os.environ.get("FONDS_WRITE_TOKEN") or None
    app = create_app(db, write_token=token)
    mode = "read-write (token required)" if token else "read-only"
    click.echo(f"fonds: serving {db} on http://{host}:{port}/ ({mode})", err=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        h11_max_incomplete_event_size=16 * 1024,
    )


def register(main: click.Group) -> None:
    main.add_command(serve)
