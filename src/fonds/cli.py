"""The command line: parses arguments, calls the library, formats the output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from fonds.cli_common import SETTINGS, db_option, friendly_errors, open_store


@click.group()
@click.version_option(package_name="fonds")
def main() -> None:
    """fonds: an archive engine for declassified historical documents.

    Example: fonds ingest corpus/ && fonds search "Kim Il Sung" && fonds serve
    """


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@click.option("--no-entities", is_flag=True, help="Skip entity resolution (faster).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@friendly_errors
def ingest(paths: tuple[Path, ...], db: str, no_entities: bool, quiet: bool) -> None:
    """Read files or folders (recursively), extract each record, store it.

    Idempotent: the same content twice is one record. Ends with a summary line;
    exit status 1 if any file failed.

    Example: fonds ingest corpus/seeds corpus/frus --db fonds.db
    """
    from tqdm import tqdm

    from fonds.pipeline import ingest as run_ingest
    from fonds.pipeline import iter_files

    missing = [p for p in paths if not p.exists()]
    store = open_store(db)
    annotate = None
    if not no_entities:
        from fonds.entities.stage import EntityStage

        annotate = EntityStage.for_store(store, ner=SETTINGS.ner_model).annotate
    files = list(iter_files([p for p in paths if p.exists()]))
    bar = tqdm(total=len(files), unit="file", disable=quiet or len(files) < 20, file=sys.stderr)

    def progress(outcome: Any) -> None:
        bar.update(1)
        if outcome.status == "failed":
            bar.write(f"failed: {outcome.message}", file=sys.stderr)

    summary = run_ingest(store, files, annotate, progress)
    bar.close()
    for p in missing:
        click.echo(f"failed: {p}: no such file or folder", err=True)
    failed = summary.count("failed") + len(missing)
    line = summary.line()
    if missing:
        line += f" (+{len(missing)} missing paths)"
    click.echo(line)
    store.close()
    sys.exit(1 if failed else 0)


@main.command()
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "tei"]),
    default="jsonl",
    show_default=True,
)
@click.option(
    "--out", type=click.Path(path_type=Path), help="File (or folder for tei); default stdout."
)
@friendly_errors
def export(db: str, fmt: str, out: Path | None) -> None:
    """Export every record.

    Example: fonds export --format jsonl --out records.jsonl
    """
    from fonds.export.csv import write_csv
    from fonds.export.jsonl import write_jsonl

    store = open_store(db, must_exist=True)
    records = store.iter_records()
    if fmt == "tei":
        from fonds.errors import ConfigError
        from fonds.export.tei import write_tei_folder

        if out is None:
            raise ConfigError("--format tei writes one file per record: give a folder with --out")
        n = write_tei_folder(records, out)
        click.echo(f"{n} TEI files written to {out}", err=True)
        return
    writer = write_jsonl if fmt == "jsonl" else write_csv
    if out is None:
        writer(records, sys.stdout)
        return
    with open(out, "w", encoding="utf-8", newline="") as fh:
        n = writer(records, fh)
    click.echo(f"{n} records written to {out}", err=True)


@main.command()
@db_option
@friendly_errors
def overview(db: str) -> None:
    """Counts by year, type, archive, language, and the files that failed.

    Example: fonds overview --db fonds.db
    """
    store = open_store(db, must_exist=True)
    click.echo(f"{store.count_documents()} documents in {db}")
    for title, rows in (
        ("year", store.counts_by("substr(date_start, 1, 4)")),
        ("type", store.counts_by("doc_type")),
        ("archive", store.counts_by_archive()),
        ("language", store.counts_by("original_language")),
        ("format", store.counts_by("source_format")),
    ):
        click.echo(f"\nby {title}:")
        for key, n in rows:
            click.echo(f"  {key if key is not None else '(none)':<32} {n:>7}")
    failed = store.failed_sources()
    if failed:
        click.echo(f"\n{len(failed)} files failed:")
        for f in failed:
            click.echo(f"  {f.message}")


@main.group()
def entity() -> None:
    """People, places and organizations: resolve, show, merge, split, undo."""


@entity.command("resolve")
@click.argument("name")
@db_option
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def entity_resolve(name: str, db: str, as_json: bool) -> None:
    """Which entity a surface form means (JSON null when none).

    Example: fonds entity resolve "Kim II Sung" --json
    """
    from fonds.entities.stage import EntityStage

    store = open_store(db) if Path(db).exists() else None
    stage = EntityStage.for_store(store, ner="none")
    found = stage.resolve_name(name)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False))
        return
    if found is None:
        click.echo(f"no entity known as {name!r}")
        return
    click.echo(f"{found['id']}  {found['name']} ({found['type']})")
    click.echo("  aka " + "; ".join(found["aliases"]))


def _register() -> None:
    """Commands owned by other packages (search, web) register on the main group here."""
    from fonds.search.commands import register as register_search
    from fonds.web.commands import register as register_web

    register_search(main)
    register_web(main)


_register()

if __name__ == "__main__":
    main()
