"""The command line: parses arguments, calls the library, formats the output."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import uuid
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fonds.cli_common import SETTINGS, column_width, cut, db_option, friendly_errors, open_store
from fonds.counted import counted
from fonds.errors import ConfigError
from fonds.store import is_server_url, shown, store_exists

if TYPE_CHECKING:
    from fonds.entities.stage import EntityStage
    from fonds.store.sqlite import Store

SMALL_RUN_FILES = 32
SMALL_RUN_BYTES = 2_000_000


@click.group(context_settings={"max_content_width": 100})
@click.version_option(package_name="fonds")
def main() -> None:
    """fonds: an archive engine for declassified historical documents.

    Example: fonds ingest corpus/ && fonds search "Kim Il Sung" && fonds serve
    """


@main.command(short_help="Read files and folders into the archive.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@db_option
@click.option("--no-entities", is_flag=True, help="Skip entity resolution (faster).")
@click.option(
    "--authority",
    type=click.Path(exists=True, dir_okay=False),
    help="Your own authority file (YAML, as in fonds/data/authority), added to the bundled one.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 256),
    default=None,
    help="Worker processes that read and annotate (default: one per core). A small run "
    f"(under {SMALL_RUN_FILES} files and {SMALL_RUN_BYTES // 1_000_000} MB) uses one process.",
)
@click.option(
    "--cluster",
    envvar="FONDS_DASK_SCHEDULER",
    default=None,
    metavar="ADDRESS",
    help="A Dask scheduler (tcp://host:8786) whose workers read and annotate, instead of "
    "local processes; needs --db postgresql://… (every worker reads the archive there).",
)
@friendly_errors
def ingest(
    paths: tuple[str, ...],
    db: str,
    no_entities: bool,
    authority: str | None,
    quiet: bool,
    jobs: int | None,
    cluster: str | None,
) -> None:
    """Read files or folders (recursively), extract each record, store it.

    PATHS may also be URLs of object storage read through fsspec (s3://bucket/folder,
    with s3fs installed), listed here and read by whoever reads each file. A folder's notes about itself (README, LICENSE, CHANGELOG, ...) are skipped, and
    said so; name such a file to ingest it. Idempotent: the same content twice is one record. Ends with a summary line (files
    added, updated, unchanged, failed; then the documents they hold); exit status 1 if
    any file failed.

    Example: fonds ingest corpus/seeds corpus/frus --db fonds.db --jobs 2
    """
    from tqdm import tqdm

    from fonds.parallel import BIG_FILE_BYTES, file_size
    from fonds.pipeline import ingest as run_ingest
    from fonds.pipeline import iter_files

    if authority:
        os.environ["FONDS_AUTHORITY"] = authority
    if cluster and not is_server_url(db):
        raise ConfigError(
            "--cluster needs --db postgresql://…: the cluster's workers read the archive "
            "from the database every machine reaches, not from a file on this one"
        )
    from fonds.readers.remote import is_url

    given: list[Path | str] = [p if is_url(p) else Path(p) for p in paths]  # URLs: fsspec
    missing = [p for p in given if isinstance(p, Path) and not p.exists()]
    store = open_store(db)
    skipped: list[Path] = []
    files = list(iter_files([p for p in given if p not in missing], skipped))
    for note in skipped:
        click.echo(f"skipped: {note} (a folder's notes; name the file to ingest it)", err=True)
    sizes = [file_size(f) for f in files]
    workers = 2 if cluster else _workers(jobs, len(files), sum(sizes))  # a cluster's: below
    annotate = settle = stage = None
    if not no_entities:
        from fonds.entities.stage import EntityStage

        # With workers, they recognize names; this process only learns and settles.
        stage = EntityStage.for_store(store, ner=SETTINGS.ner_model if workers == 1 else "none")
        # Workers that write to PostgreSQL make identities up there: settling reads them.
        writes = workers > 1 and is_server_url(db)
        annotate, settle = stage.annotate, partial(_settle, stage, store if writes else None)
    big = workers > 1 and max(sizes, default=0) > BIG_FILE_BYTES  # see fonds.parallel
    few = len(files) < 20 and not big  # a big document's parts move the bar too
    bar = tqdm(total=len(files), unit="file", disable=quiet or few, file=sys.stderr)

    def on_part(name: str, done: int, total: int) -> None:
        bar.set_postfix_str(f"{Path(name).name}: part {done}/{total}")

    def progress(outcome: Any) -> None:
        bar.update(1)
        if outcome.status == "failed":
            bar.write(f"failed: {outcome.message}", file=sys.stderr)

    try:
        with _executor(workers, cluster) as (executor, workers):
            parallel = None
            if executor is not None:
                from fonds.parallel import Parallel, WorkerConfig

                config = WorkerConfig(
                    db if is_server_url(db) else str(Path(db).resolve()),
                    None if no_entities else SETTINGS.ner_model,
                    os.environ.get("FONDS_AUTHORITY"),
                    writes=is_server_url(db),  # SQLite keeps one writer: this process
                    run=uuid.uuid4().hex,
                )
                parallel = Parallel(executor, config, stage, workers, on_part)
            summary = run_ingest(store, files, annotate, progress, settle, parallel)
    except KeyboardInterrupt:
        bar.close()  # before the message (the finally closes it again, harmlessly)
        store.close()
        click.echo(
            "stopped: every document written so far is kept; run the same command again "
            "to finish (stored files are skipped as unchanged)",
            err=True,
        )
        sys.exit(130)
    finally:
        bar.close()
    for p in missing:
        click.echo(f"failed: {p}: no such file or folder", err=True)
    failed = summary.count("failed") + len(missing)
    line = summary.line()
    if missing:
        line += f" (+{len(missing)} missing paths)"
    if skipped:
        line += f"; {len(skipped)} skipped (README, LICENSE: folder notes)"
    click.echo(line)
    store.close()
    sys.exit(1 if failed else 0)


def _settle(stage: EntityStage, written_by_workers: Store | None = None) -> None:
    """Settle the run's names, then let the stage go of them: the search index, built
    next, loads its own. When workers wrote the records (``written_by_workers``: the
    archive), the identities they made up are read from it first."""
    if written_by_workers is not None:
        stage = type(stage).for_store(written_by_workers, ner="none", sync=False)
    stage.settle()
    stage.close()


def _workers(jobs: int | None, files: int, size: int) -> int:
    """How many worker processes: ``--jobs``, else one per core; one process for a
    small run (``files`` files of ``size`` bytes in all), where starting workers (2-3 s
    each) would cost more than it saves."""
    if jobs is not None:
        return jobs
    if files < SMALL_RUN_FILES and size < SMALL_RUN_BYTES:
        return 1
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


@contextlib.contextmanager
def _executor(workers: int, cluster: str | None = None) -> Any:
    """The executor and how many tasks it runs at once: a Dask cluster's (``cluster``),
    else a process pool of ``workers`` (none for one), shut down without waiting for
    queued work when the run stops early."""
    if cluster:
        from fonds.cluster import cluster_executor

        with cluster_executor(cluster) as (executor, slots):
            yield executor, slots
        return
    if workers <= 1:
        yield None, workers
        return
    from fonds.parallel import process_pool

    executor = process_pool(workers)
    try:
        yield executor, workers
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown(wait=True)


@main.command(short_help="Every record as JSONL, CSV, TEI or RIS.")
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "tei", "ris"]),
    default="jsonl",
    show_default=True,
)
@click.option(
    "--out", type=click.Path(path_type=Path), help="File (or folder for tei); default stdout."
)
@friendly_errors
def export(db: str, fmt: str, out: Path | None) -> None:
    """Export every record: JSONL (the record schema), CSV (one row a record), TEI P5
    (one file per record into the folder --out names, or one teiCorpus file when --out
    ends in .xml) or RIS (for Zotero, EndNote or Mendeley).

    \b
    Examples:
      fonds export --format jsonl --out records.jsonl
      fonds export --format tei --out tei/          # a folder of <id>.xml files
      fonds export --format tei --out archive.xml   # one teiCorpus file
    """
    from fonds.copies.links import with_copies
    from fonds.export.csv import write_csv
    from fonds.export.jsonl import write_jsonl

    store = open_store(db, must_exist=True)
    records = with_copies(store, store.iter_records())
    if fmt == "tei":
        from fonds.errors import ConfigError
        from fonds.export.tei import write_tei_corpus, write_tei_folder

        if out is None:
            raise ConfigError(
                "--format tei needs --out: a folder (one file per record) or a file "
                "ending in .xml (one teiCorpus file)"
            )
        if out.suffix.lower() == ".xml" and not out.is_dir():
            n = write_tei_corpus(records, out, f"Records of {Path(db).name}")
            click.echo(f"{counted(n, 'record')} written to {out} (one teiCorpus file)", err=True)
            return
        if out.exists() and not out.is_dir():
            raise ConfigError(
                f"{out} is a file: --format tei writes one file per record into a folder "
                "(or give a name ending in .xml for one teiCorpus file)"
            )
        n = write_tei_folder(records, out)
        click.echo(f"{n} TEI files written to the folder {out}", err=True)
        return
    if fmt == "ris":
        from fonds.export.ris import write_ris

        writer = write_ris
    else:
        writer = write_jsonl if fmt == "jsonl" else write_csv
    if out is None:
        writer(records, sys.stdout)
        return
    with open(out, "w", encoding="utf-8", newline="") as fh:
        n = writer(records, fh)
    click.echo(f"{counted(n, 'record')} written to {out}", err=True)


@main.command(short_help="Move an archive from its SQLite file into PostgreSQL.")
@db_option
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="An empty PostgreSQL database: postgresql://user@host/dbname.",
)
@friendly_errors
def transfer(db: str, target: str) -> None:
    """Copy every record, entity, edit and copy link of the archive in --db (a SQLite file)
    into an empty PostgreSQL database, as they are: nothing is read or annotated again.
    The search index is rebuilt there at the first search (or `fonds index rebuild`).

    Example: fonds transfer --db fonds.db --to postgresql://fonds@dbhost/archive
    """
    from fonds.store import open_store as open_target
    from fonds.store import shown
    from fonds.store.postgres import PgStore
    from fonds.store.transfer import transfer as copy_archive

    if is_server_url(db) or not is_server_url(target):
        raise ConfigError("transfer copies a SQLite file (--db) into PostgreSQL (--to URL)")
    source = open_store(db, must_exist=True)
    store = open_target(target)
    assert isinstance(store, PgStore)
    done = copy_archive(
        source, store, lambda t, n: click.echo(f"  {t:<16} {n:>10,} rows", err=True)
    )
    click.echo(f"{done.rows['documents']} documents transferred to {shown(target)}")
    store.close()
    source.close()


@main.command(short_help="Counts by year, type, archive and language.")
@db_option
@friendly_errors
def overview(db: str) -> None:
    """Counts by year, type, archive, language, and the files that failed.

    Example: fonds overview --db fonds.db
    """
    store = open_store(db, must_exist=True)
    every, once = store.count_documents(), store.count_documents(once=True)
    copies = f", and {counted(every - once, 'copy')} of them" if every > once else ""
    click.echo(f"{counted(once, 'document')} in {shown(db)}{copies}")
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
        click.echo(f"\n{counted(len(failed), 'file')} failed:")
        for f in failed:
            click.echo(f"  {f.message}")


@main.group(short_help="People, places and organizations: look up, edit.")
def entity() -> None:
    """People, places and organizations: resolve, show, merge, split, undo."""


@entity.command("resolve", short_help="Which entity a name means (JSON null when none).")
@click.argument("name")
@db_option
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def entity_resolve(name: str, db: str, as_json: bool) -> None:
    """Which entity a surface form means (JSON null when none).

    Example: fonds entity resolve "Kim II Sung" --json
    """
    from fonds.entities.stage import EntityStage

    store = open_store(db) if store_exists(db) else None
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


@entity.command("show", short_help="One entity: names, offices, documents, links.")
@click.argument("entity")
@db_option
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def entity_show(entity: str, db: str, as_json: bool) -> None:
    """Names, offices, documents over time and co-mentioned entities of ENTITY: its id,
    or a name in any spelling `fonds entity resolve` reads.

    \b
    Examples:
      fonds entity show person-kim-il-sung
      fonds entity show "Kim II Sung"
    """
    from fonds.entities.profile import entity_profile
    from fonds.entities.stage import EntityStage
    from fonds.errors import NotFound

    store = open_store(db, must_exist=True)
    entity_id = entity
    if not store.conn.execute("SELECT 1 FROM entities WHERE id = ?", (entity,)).fetchone():
        found = EntityStage.for_store(store, ner="none").resolve_name(entity)
        if found is None:
            raise NotFound(f"no entity has the id or the name {entity!r}")
        entity_id = found["id"]
    profile = entity_profile(store, entity_id)
    if as_json:
        click.echo(json.dumps(profile, ensure_ascii=False, indent=1))
        return
    if "merged_into" in profile:
        click.echo(f"{entity_id} was merged into {profile['merged_into']}")
        return
    click.echo(f"{profile['name']}  ({profile['type']}, {profile['id']})")
    if profile["description"]:
        click.echo(f"  {profile['description']}")
    if profile["names"]:
        click.echo("  names: " + "; ".join(profile["names"]))
    if profile["seen_as"]:
        click.echo("  written in the archive as: " + "; ".join(profile["seen_as"]))
    for office in profile["offices"]:
        click.echo(f"  {office['title']}: {office.get('from') or '?'} – {office.get('to') or '?'}")
    click.echo(f"  {counted(len(profile['documents']), 'document')}")
    for year, n in sorted(profile["documents_by_year"].items()):
        click.echo(f"    {year}: {n}")
    shown = profile["documents"][:20]
    dates = column_width([d["date"] or "undated" for d in shown])
    for doc in shown:
        click.echo(f"    {doc['date'] or 'undated':<{dates}} {doc['id']}  {cut(doc['title'], 70)}")
    if profile["co_mentioned"]:
        click.echo("  most often mentioned with:")
        for other in profile["co_mentioned"]:
            click.echo(f"    {other['documents']:>4}  {other['name']} ({other['id']})")


@entity.command("merge", short_help="Merge one entity into another (undoable).")
@click.argument("source_id")
@click.argument("target_id")
@db_option
@friendly_errors
def entity_merge(source_id: str, target_id: str, db: str) -> None:
    """Merge SOURCE_ID into TARGET_ID (undo with `fonds entity undo`).

    Example: fonds entity merge person-pak-hon-yong-2 person-pak-hon-yong
    """
    from fonds.entities.edits import merge

    edit = merge(open_store(db, must_exist=True), source_id, target_id)
    click.echo(f"edit {edit}: merged {source_id} into {target_id}")


@entity.command("split", short_help="Move some names of an entity to a new one.")
@click.argument("entity_id")
@click.argument("names", nargs=-1, required=True)
@click.option("--name", "new_name", help="Name of the new entity (default: the first form).")
@db_option
@friendly_errors
def entity_split(entity_id: str, names: tuple[str, ...], new_name: str | None, db: str) -> None:
    """Move the mentions written as NAMES from ENTITY_ID to a new entity.

    Example: fonds entity split person-kim-il-sung "Kim Il" --name "Kim Il"
    """
    from fonds.entities.edits import split

    new_id = split(open_store(db, must_exist=True), entity_id, list(names), new_name)
    click.echo(f"split {', '.join(names)} off {entity_id} as {new_id}")


@entity.command("undo")
@db_option
@friendly_errors
def entity_undo(db: str) -> None:
    """Undo the last merge or split.

    Example: fonds entity undo
    """
    from fonds.entities.edits import undo

    done = undo(open_store(db, must_exist=True))
    click.echo(
        "nothing to undo" if done is None else f"undone: edit {done['edit']} ({done['action']})"
    )


@entity.command("history", short_help="Every merge and split, and what was undone.")
@db_option
@friendly_errors
def entity_history(db: str) -> None:
    """Every merge and split, with what was undone.

    Example: fonds entity history
    """
    from fonds.entities.edits import describe, history

    edits = history(open_store(db, must_exist=True))
    if not edits:
        click.echo("no merges or splits yet")
    for edit in edits:
        state = f"undone {edit['undone_at']}" if edit["undone_at"] else "in force"
        mentions = counted(edit["mentions"], "mention")
        click.echo(f"{edit['edit']:>4}  {edit['at']}  {edit['action']:<6} {mentions:>13}  {state}")
        click.echo(f"      {describe(edit)}")


def _register() -> None:
    """Commands owned by other packages (search, web) register on the main group here."""
    from fonds.copies.commands import register as register_copies
    from fonds.search.commands import register as register_search
    from fonds.web.commands import register as register_web

    register_search(main)
    register_copies(main)
    register_web(main)


_register()

if __name__ == "__main__":
    main()
