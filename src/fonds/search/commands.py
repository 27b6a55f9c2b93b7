"""The `fonds search` and `fonds index` commands: parse options, call the service, print."""

from __future__ import annotations

import json
import shutil

import click

from fonds.cli_common import SETTINGS, column_width, cut, db_option, friendly_errors, open_store
from fonds.counted import counted
from fonds.search.lexer import FIELDS

MODES = ("lexical", "semantic", "hybrid")  # as fonds.search.hybrid.MODES, imported lazily

FILTER_OPTIONS = FIELDS  # every field filter of the query language is also an option


def _filter_options(f):  # type: ignore[no-untyped-def]
    for name in reversed(FILTER_OPTIONS):
        f = click.option(
            f"--{name}",
            multiple=True,
            metavar="VALUE",
            help=f"Only documents with this {name} (same as {name}:VALUE).",
        )(f)
    return f


@click.command(short_help="Ranked documents for a query, in any spelling.")
@click.argument("query", required=False, default="")
@db_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='A JSON array of hits {"id", "score", "title", "date", "snippet", ...}.',
)
@click.option(
    "--json-full",
    is_flag=True,
    help="The whole result as JSON: hits, total, facets, truncated, timed_out.",
)
@click.option(
    "--limit", default=SETTINGS.search_limit, show_default=True, type=click.IntRange(1, 1000)
)
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0, 9999))
@click.option(
    "--sort",
    type=click.Choice(["relevance", "date", "-date"]),
    help="Order of hits (default: relevance; date when only filters are given).",
)
@_filter_options
@click.option("--from", "date_from", metavar="DATE", help="From this date (1950, 1950-04 ...).")
@click.option("--to", "date_to", metavar="DATE", help="Up to this date, inclusive.")
@click.option("--like", metavar="ID", help="Documents like this one (QUERY is ignored).")
@click.option("--no-facets", is_flag=True, help="Skip the counts by type, year, people ...")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="lexical",
    show_default=True,
    help="lexical: the query language. semantic, hybrid: QUERY is a question in plain "
    "language, answered by meaning, or by meaning fused with any of its words (needs the "
    "semantic extra).",
)
@friendly_errors
def search(
    query: str,
    db: str,
    as_json: bool,
    json_full: bool,
    limit: int,
    offset: int,
    sort: str | None,
    date_from: str | None,
    date_to: str | None,
    like: str | None,
    no_facets: bool,
    mode: str,
    **filters: tuple[str, ...],
) -> None:
    """Ranked documents for QUERY, in any spelling of a name.

    \b
    The query language:
      Kim Il Sung Ongjin        all words (a name in any romanization:
                                "Kim II Sung", "Pak Hon Yong", "Chou En-lai",
                                a cover name such as "Filippov")
      "Secretary of State"      a phrase
      Stalin OR Filippov        either (also: Stalin | Filippov)
      -Molotov   NOT Molotov    without
      negotiat*                 words starting with (3 letters at least)
      (Ongjin OR Kaesong) -Rhee grouping; AND binds tighter than OR
      person:"Kim Il"           documents about this person (also place:,
                                org:, sender:, recipient:)
      type:telegram archive:APRF lang:Russian classification:"Top Secret"
      date:1950-04..1950-06     date:1950   date:..1950-06   date:1949-04..
      sort:date  sort:-date  sort:relevance

    \b
    Questions in plain language (the semantic extra, pip install -e '.[semantic]'):
      --mode hybrid    the question's words OR-ed, fused with the documents
                       nearest in meaning (reciprocal rank fusion)
      --mode semantic  the documents nearest in meaning only
    In a question only filters (type:, date:, person: ...) are syntax; OR, NOT,
    quotes, -word and * are plain words. --sort does not apply.

    \b
    Examples:
      fonds search "Pak Hon Yong"
      fonds search 'Ongjin date:1950-01..1950-06 sort:date'
      fonds search 'sender:Shtykov "Kim Il Sung"' --json
      fonds search Kaesong --type telegram --from 1949-04 --to 1949-06
      fonds search --like ccb07baff76e2ac9
      fonds search 'who asked Stalin for permission to attack?' --mode hybrid
    """
    from fonds.search.hybrid import ask
    from fonds.search.query import render_filter
    from fonds.search.service import more_like_this

    if like and mode != "lexical":
        raise click.UsageError("--like finds documents like one document: drop --mode")
    store = open_store(db, must_exist=True)
    try:
        if like:
            result = more_like_this(store, like, limit=limit)
        else:
            parts = [query] if query.strip() else []
            for name in FILTER_OPTIONS:
                parts += [render_filter(name, value) for value in filters.get(name) or ()]
            if date_from or date_to:
                parts.append(f"date:{date_from or ''}..{date_to or ''}")
            result = ask(
                store,
                " ".join(parts),
                mode=mode,
                limit=limit,
                offset=offset,
                sort=sort,
                facets=not (no_facets or as_json),
            )
    finally:
        store.close()
    if json_full:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=1))
    elif as_json:
        click.echo(json.dumps([h.as_json() for h in result.hits], ensure_ascii=False, indent=1))
    else:
        _print_table(result, mode)


def _print_table(result, mode: str = "lexical") -> None:  # type: ignore[no-untyped-def]
    width = max(60, shutil.get_terminal_size((100, 20)).columns)
    first, last = result.offset + 1, result.offset + len(result.hits)
    shown = f"{first}–{last} of " if result.hits else ""
    if mode == "lexical":
        head = f"{counted(result.total, 'document')} match{'es' if result.total == 1 else ''} {result.query!r} ({result.sort}"
    else:
        head = f"{counted(result.total, 'document')} ranked for {result.query!r} ({mode}"
    click.echo(f"{shown}{head}, {result.took_ms:.0f} ms)")
    dates = column_width([hit.date or "undated" for hit in result.hits])
    for n, hit in enumerate(result.hits, start=first):
        head = f"{n:>3}. {hit.date or 'undated':<{dates}} {hit.id}  "
        click.echo(head + click.style(cut(hit.title, width - len(head)), bold=True))
        pad = " " * 5
        if hit.snippet:
            click.echo(pad + _highlight(hit.snippet, hit.highlights))
        details = [hit.doc_type or ""]
        if hit.matched:
            details.append("matched " + "; ".join(hit.matched))
        if result.sort == "relevance":
            details.append(f"score {hit.score:.2f}")
        click.echo(pad + click.style(" · ".join(d for d in details if d), dim=True))
    if result.truncated and result.hits:
        click.echo(f"… more: --offset {last}")
    if result.facets:
        about = " (estimated from a sample)" if result.facets_approximate else ""
        click.echo(f"\nfacets{about}:")
        for name, values in result.facets.items():
            if values:
                more = " …" if name in result.facets_truncated else ""
                line = " · ".join(f"{v.label} {v.count}" for v in values[:12])
                click.echo(f"  {name:<15}{cut(line, width - 17)}{more}")
    if result.timed_out:
        click.echo(f"(not counted in time: {', '.join(result.timed_out)})")


def _highlight(snippet: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for start, end in spans:
        out.append(snippet[pos:start])
        out.append(click.style(snippet[start:end], fg="yellow", bold=True))
        pos = end
    out.append(snippet[pos:])
    return "".join(out)


@click.group(short_help="The search index: rebuild, status, vectors.")
def index() -> None:
    """The search index beside the database (fonds.db → fonds.db.index/)."""


@index.command("rebuild", short_help="Rebuild the search index from the database.")
@db_option
@friendly_errors
def index_rebuild(db: str) -> None:
    """Rebuild the search index from the records in the database.

    Safe at any time: the records stay in SQLite and the index is derived from them.

    Example: fonds index rebuild --db fonds.db
    """
    import time

    from fonds.search.service import rebuild_index

    store = open_store(db, must_exist=True)
    started = time.perf_counter()
    try:
        n = rebuild_index(store)
    finally:
        store.close()
    click.echo(f"{counted(n, 'document')} indexed in {time.perf_counter() - started:.1f} s")


@index.command("vectors", short_help="Embed documents for questions, more like this.")
@db_option
@click.option("--full", is_flag=True, help="Embed every document again, not only new ones.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@friendly_errors
def index_vectors(db: str, full: bool, quiet: bool) -> None:
    """Embed the documents for questions in plain language and "more like this" by meaning.

    Needs the semantic extra. Without this command the first question embeds every
    document not yet embedded, inside that request (MiniLM: minutes per thousand
    documents on two cores); run it after an ingest to keep questions fast.

    Example: fonds index vectors --db fonds.db
    """
    import sys
    import time

    from tqdm import tqdm

    from fonds.search.semantic import build_vectors, get_embedder

    embedder = get_embedder()  # first: a missing extra is said before any work
    store = open_store(db, must_exist=True)
    started = time.perf_counter()
    bar = tqdm(unit="doc", disable=quiet, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        n = build_vectors(store, embedder, full=full, progress=progress)
    finally:
        bar.close()
        store.close()
    took = time.perf_counter() - started
    click.echo(f"{counted(n, 'document')} embedded with {embedder.name} in {took:.1f} s")


@index.command("status", short_help="Where the index is, and whether it is in step.")
@db_option
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def index_status(db: str, as_json: bool) -> None:
    """Where the index is, how many documents it holds, how many changes wait.

    Example: fonds index status --db fonds.db
    """
    from fonds.search.service import index_status as status

    store = open_store(db, must_exist=True)
    try:
        facts = status(store)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(facts))
        return
    for key, value in facts.items():
        click.echo(f"{key:<12} {value}")


def register(main: click.Group) -> None:
    main.add_command(search)
    main.add_command(index)
