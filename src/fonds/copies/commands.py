"""The `fonds copies` commands: a document's copies, and links made or undone by hand."""

from __future__ import annotations

import json

import click

from fonds.cli_common import db_option, friendly_errors, open_store


@click.group(short_help="Copies of a document across sources: show, link, unlink.")
def copies() -> None:
    """The other copies of each document (found at ingest), and links made by hand."""


@copies.command("show", short_help="A document's copies, its group and what stands for it.")
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
@friendly_errors
def copies_show(doc_id: str, as_json: bool, db: str) -> None:
    """The copies of DOC_ID: each with its relation, overlap and whether a user linked
    it; the copy group (the same document kept several times) and its preferred record.

    Example: fonds copies show 59fe40854ed68dc6
    """
    from fonds.copies.links import copies_of, copy_group, preferred_of
    from fonds.errors import NotFound

    store = open_store(db, must_exist=True)
    if not store.has_document(doc_id):
        raise NotFound(f"no document with id {doc_id!r}")
    found = copies_of(store, doc_id)
    group = copy_group(store, doc_id)
    stands_for = preferred_of(store, doc_id) or (doc_id if len(group) > 1 else None)
    if as_json:
        click.echo(
            json.dumps(
                {"id": doc_id, "copies": found, "group": group, "preferred": stands_for},
                ensure_ascii=False,
            )
        )
        return
    if not found:
        click.echo(f"{doc_id}: no copies found")
        return
    titles = dict(
        store.conn.execute(
            f"SELECT id, title FROM documents WHERE id IN ({','.join('?' * len(found))})",
            [c["id"] for c in found],
        )
    )
    for c in found:
        hand = "  (by hand)" if c["by_hand"] else ""
        click.echo(
            f"{c['relation']:<13} {c['overlap']:>6.1%}  {c['id']}  {titles.get(c['id'], '')}{hand}"
        )
    if stands_for:
        click.echo(f"counted once, as {stands_for}")


@copies.command("link", short_help="Link two documents as one (or one holding the other).")
@click.argument("doc_id")
@click.argument("other_id")
@click.option("--contains", is_flag=True, help="DOC_ID holds OTHER_ID whole (not the same).")
@click.option("--translation", is_flag=True, help="The same document in another language.")
@db_option
@friendly_errors
def copies_link(doc_id: str, other_id: str, contains: bool, translation: bool, db: str) -> None:
    """Say that DOC_ID and OTHER_ID are one document (with --contains: DOC_ID quotes
    OTHER_ID whole; with --translation: one document in two languages). Kept when the files are read again; undo with
    `fonds copies undo`.

    Example: fonds copies link 59fe40854ed68dc6 ecef1b9c8431f36a
    """
    from fonds.copies.edits import link

    if contains and translation:
        raise click.UsageError("give --contains or --translation, not both")
    relation = "contains" if contains else "translation" if translation else "same"
    edit = link(open_store(db, must_exist=True), doc_id, other_id, relation)
    said = {
        "contains": "holds",
        "translation": "is in another language",
        "same": "is the same document as",
    }[relation]
    click.echo(f"edit {edit}: {doc_id} {said} {other_id}")


@copies.command("unlink", short_help="Say two documents are not copies (undoable).")
@click.argument("doc_id")
@click.argument("other_id")
@db_option
@friendly_errors
def copies_unlink(doc_id: str, other_id: str, db: str) -> None:
    """Say that DOC_ID and OTHER_ID are not copies of each other: their link goes, and
    stays gone when the files are read again. Undo with `fonds copies undo`.

    Example: fonds copies unlink 59fe40854ed68dc6 ecef1b9c8431f36a
    """
    from fonds.copies.edits import unlink

    edit = unlink(open_store(db, must_exist=True), doc_id, other_id)
    click.echo(f"edit {edit}: {doc_id} and {other_id} are not copies")


@copies.command("undo", short_help="Undo the last link or unlink made by hand.")
@db_option
@friendly_errors
def copies_undo(db: str) -> None:
    """Undo the last `fonds copies link` or `unlink`.

    Example: fonds copies undo
    """
    from fonds.copies.edits import undo

    done = undo(open_store(db, must_exist=True))
    click.echo(
        "nothing to undo"
        if done is None
        else f"undone: edit {done['edit']} ({done['action']} {' '.join(done['pair'])})"
    )


@copies.command("history", short_help="Every link and unlink made by hand.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
@friendly_errors
def copies_history(as_json: bool, db: str) -> None:
    """Every link and unlink made by hand, with what was undone.

    Example: fonds copies history
    """
    from fonds.copies.edits import history

    edits = history(open_store(db, must_exist=True))
    if as_json:
        click.echo(json.dumps(edits, ensure_ascii=False))
        return
    if not edits:
        click.echo("no links or unlinks made by hand yet")
    for edit in edits:
        state = f"undone {edit['undone_at']}" if edit["undone_at"] else "in force"
        click.echo(
            f"{edit['edit']:>4}  {edit['at']}  {edit['action']:<6} {edit['relation']:<8}  {state}"
        )
        for doc_id, title in zip(edit["pair"], edit["titles"], strict=True):
            click.echo(f"      {doc_id}  {title or '(no longer in the archive)'}")


@copies.command("relink", short_help="Find every document's copies again, at once.")
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes sketching the bodies (default: the number of cores).",
)
@db_option
@friendly_errors
def copies_relink(jobs: int | None, db: str) -> None:
    """Find every document's copies again over the whole archive, in one pass: for an
    archive ingested before fonds linked copies, or under older rules (an archive linked
    by a fonds without loose keys finds the short documents quoted whole in long ones
    after it). Links made by hand stay. The bodies' shingles are kept in the
    temporary folder during the pass (about 1 GB at a million documents).

    Example: fonds copies relink
    """
    import os

    from fonds.copies.relink import relink
    from fonds.counted import counted
    from fonds.parallel import process_pool

    store = open_store(db, must_exist=True)
    workers = jobs or os.cpu_count() or 1
    executor = process_pool(workers) if workers > 1 else None
    try:
        summary = relink(store, executor)
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    links = ", ".join(f"{counted(n, 'link')} {kind}" for kind, n in summary.links.items())
    took = sum(summary.seconds.values())
    click.echo(
        f"{counted(summary.documents, 'document')}: {counted(summary.candidates, 'pair')}"
        f" sharing a key, {links}; {counted(summary.grouped, 'copy')} counted with"
        f" another record ({took:.1f} s)"
    )


def register(main: click.Group) -> None:
    main.add_command(copies)
