"""The `fonds serve` command."""

from __future__ import annotations

import click

from fonds.cli_common import db_option, friendly_errors


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@friendly_errors
def serve(db: str, host: str, port: int) -> None:
    """The web interface and the JSON API (OpenAPI at /openapi.json).

    Example: fonds serve --db fonds.db --port 8000
    """
    raise click.ClickException("the web interface is not built yet")


def register(main: click.Group) -> None:
    main.add_command(serve)
