"""The `fonds search` and `fonds index` commands."""

from __future__ import annotations

import json

import click

from fonds.cli_common import db_option, friendly_errors, open_store


@click.command()
@click.argument("query")
@db_option
@click.option("--json", "as_json", is_flag=True, help="A JSON array of hits.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@friendly_errors
def search(query: str, db: str, as_json: bool, limit: int) -> None:
    """Ranked hits for QUERY.

    Example: fonds search '"Kim Il Sung" Ongjin' --json
    """
    from fonds.search.service import search as run_search

    store = open_store(db, must_exist=True)
    result = run_search(store, query, limit=limit)
    if as_json:
        click.echo(json.dumps([h.as_json() for h in result.hits], ensure_ascii=False, indent=1))
        return
    click.echo(f"{result.total} documents match")
    for hit in result.hits:
        click.echo(f"{hit.score:7.2f}  {hit.date or '':<10}  {hit.id}  {hit.title}")
        if hit.snippet:
            click.echo(f"          {hit.snippet}")




def register(main: click.Group) -> None:
    main.add_command(search)
