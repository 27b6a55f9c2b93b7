"""The `fonds serve` command."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import click

from fonds.cli_common import db_option, friendly_errors


@click.command(short_help="The web interface and the JSON API.")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--write-token",
    default=None,
    metavar="TOKEN",
    help="Allow uploads and entity edits from clients holding TOKEN (at least 16 "
    "characters). Other users of the machine see a command line: prefer "
    "$FONDS_WRITE_TOKEN or --write-token-file. Without a token the server only reads.",
)
@click.option(
    "--write-token-file",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="Read the write token from this file's first line.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="A host name clients use to reach the server (repeatable). Requests for any "
    "other name are refused (against DNS rebinding); --host and localhost are allowed.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes. Each answers requests on its own core; on a machine with "
    "several cores and many readers, one per core (the archive is read, not copied).",
)
@click.option(
    "--lazy-semantic",
    is_flag=True,
    help="Load the semantic model at the first plain-language question instead of while "
    "starting (saves about 300 MB per server process when nobody asks one).",
)
@friendly_errors
def serve(
    db: str,
    host: str,
    port: int,
    write_token: str | None,
    write_token_file: str | None,
    allowed_hosts: tuple[str, ...],
    workers: int,
    lazy_semantic: bool,
) -> None:
    """The web interface and the JSON API (OpenAPI at /openapi.json).

    \b
    Examples:
      fonds serve --db fonds.db --port 8000
      fonds serve --db fonds.db --workers 2     # one process per core
    """
    import uvicorn

    from fonds.errors import StoreError
    from fonds.store import is_server_url, shown, store_exists
    from fonds.web.app import create_app
    from fonds.web.state import WebLimits, check_token

    if not store_exists(db):
        raise StoreError(f"{db}: no such archive; create it with `fonds ingest PATH --db {db}`")
    if write_token:
        click.echo(
            "fonds: warning: a token on the command line is visible to every user of this "
            "machine (ps); set FONDS_WRITE_TOKEN or use --write-token-file instead",
            err=True,
        )
    token = write_token or _token_from_file(write_token_file) or os.environ.get("FONDS_WRITE_TOKEN")
    check_token(token)  # here too: worker processes build the app out of sight
    hosts = host_names(host, allowed_hosts)
    mode = "read-write (token required)" if token else "read-only"
    plural = f", {workers} workers" if workers > 1 else ""
    click.echo(f"fonds: serving {shown(db)} on http://{host}:{port}/ ({mode}{plural})", err=True)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "server_header": False,
        "h11_max_incomplete_event_size": 16 * 1024,
    }
    limits = WebLimits(warm_semantic=not lazy_semantic, settle_after_warm=True)
    if workers == 1:
        app = create_app(db, write_token=token, limits=limits, allowed_hosts=hosts)
        uvicorn.run(app, **options)
        return
    # Workers are separate processes that import the app: hand them the archive and the
    # token through their environment (never on a command line, where `ps` shows it).
    os.environ["FONDS_SERVE_DB"] = db if is_server_url(db) else str(Path(db).resolve())
    os.environ["FONDS_ALLOWED_HOSTS"] = ",".join(hosts)
    os.environ["FONDS_WARM_SEMANTIC"] = "0" if lazy_semantic else "1"
    if token:
        os.environ["FONDS_WRITE_TOKEN"] = token
    else:
        os.environ.pop("FONDS_WRITE_TOKEN", None)
    uvicorn.run("fonds.web.app:app_from_environment", factory=True, workers=workers, **options)


LOCAL_NAMES = ("127.0.0.1", "localhost", "::1")
ALL_INTERFACES = ("0.0.0.0", "::", "")


def host_names(host: str, allowed: tuple[str, ...]) -> list[str]:
    """The Host header values the server answers: the address it listens on, this
    machine's names when it listens on every interface, localhost, and ``allowed``."""
    names = [*LOCAL_NAMES, *allowed]
    if host in ALL_INTERFACES:
        names += [socket.gethostname(), socket.getfqdn()]
    else:
        names.append(host)
    return sorted(set(names))


def _token_from_file(path: str | None) -> str | None:
    if not path:
        return None
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return lines[0].strip() if lines and lines[0].strip() else None


def register(main: click.Group) -> None:
    main.add_command(serve)
