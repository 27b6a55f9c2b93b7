"""The ingest pipeline, in one read: read the source, clean it, extract the record,
resolve its entities, store it (the store keeps the search index in step).

    for each file: load → choose a reader → for each document: build the record →
    annotate entities and turns → write it (whole, in a transaction that holds a few
    hundred documents at a time)
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fonds.copies.links import link_copies, regroup
from fonds.counted import counted
from fonds.entities.parts import JoinedParts, annotated_parts, in_parts
from fonds.errors import FondsError, ReadError, StoreLost
from fonds.extract.record import build_record
from fonds.memory import release_free_memory
from fonds.model import Record
from fonds.readers import choose_reader, load_source
from fonds.readers.remote import fetched, is_url, list_files
from fonds.store.sqlite import SourceStatus, Store

if TYPE_CHECKING:
    from fonds.parallel import Parallel

Annotator = Callable[[list[Record]], None]
# Documents of one file annotated together: the recognizer runs once per batch.
BATCH_SIZE = 32
SKIP_NAMES = {".git", ".svn", "__pycache__", ".DS_Store", "node_modules", ".venv"}
# What a folder says about itself, not a document of the collection: skipped when the
# folder is walked (and said so), read when the file is named.
# Only the names such notes go by, with a text extension at most: "changes-in-policy.txt"
# is a document.
FOLDER_NOTES = re.compile(
    r"^(?:readme|licen[cs]e|copying|notice|changelog|changes|contributing|authors|"
    r"citation|code_of_conduct)(?:\.(?:md|markdown|txt|rst|adoc|org|cff))?$",
    re.IGNORECASE,
)


@dataclass
class FileOutcome:
    path: str
    status: str  # added | updated | unchanged | failed
    documents: int = 0
    reader: str | None = None
    message: str | None = None


@dataclass
class IngestSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # folder notes (README, LICENSE)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def documents(self) -> int:
        return sum(o.documents for o in self.outcomes)

    def line(self) -> str:
        """What the run did, by file (the parentheses count files), then how many
        documents those files hold."""
        files, documents = len(self.outcomes), self.documents
        return (
            f"{counted(files, 'file')} ({self.count('added')} added, "
            f"{self.count('updated')} updated, {self.count('unchanged')} unchanged, "
            f"{self.count('failed')} failed), {counted(documents, 'document')}"
        )


def is_folder_note(name: str) -> bool:
    """Whether a file name is a folder's notes about itself (README, LICENSE, ...)."""
    return FOLDER_NOTES.match(name) is not None


def iter_files(paths: Iterable[str | Path], skipped: list[Path] | None = None) -> Iterator[Path]:
    """Files under the given paths, recursively, in a stable order, each once (``corpus/seeds
    corpus`` names the seeds twice). Hidden files are skipped, and so are a folder's notes
    about itself (README, LICENSE: appended to ``skipped``); a file given by name is
    always read. A URL (``s3://bucket/folder``) is listed through fsspec, and its files
    are yielded as URLs (strings), read later by whoever reads them."""
    seen: set[Path] = set()
    seen_urls: set[str] = set()
    folders: dict[Path, Path] = {}  # each folder resolved once, not once a file in it

    def first_time(path: Path) -> bool:
        try:
            if path.is_symlink():
                key = path.resolve()
            else:
                folder = folders.get(path.parent)
                if folder is None:
                    folder = folders[path.parent] = path.parent.resolve()
                key = folder / path.name
        except OSError:  # reported by the reader, as any file that cannot be read
            return True
        if key in seen:
            return False
        seen.add(key)
        return True

    for given in paths:
        if is_url(given):  # a folder or a file of object storage (fonds.readers.remote)
            for url in list_files(str(given)):
                parts = url.split("://", 1)[1].split("/")
                name = parts[-1]
                if any(part.startswith(".") or part in SKIP_NAMES for part in parts[1:]):
                    continue
                if is_folder_note(name) and url != given:
                    if skipped is not None:
                        skipped.append(url)  # type: ignore[arg-type]
                    continue
                if url not in seen_urls:
                    seen_urls.add(url)
                    yield url  # type: ignore[misc]
            continue
        p = Path(given)
        if p.is_dir():
            unlisted: list[OSError] = []
            for root, dirs, files in os.walk(p, onerror=unlisted.append):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_NAMES and not d.startswith("."))
                for name in sorted(files):
                    if name.startswith(".") or name in SKIP_NAMES:
                        continue
                    path = Path(root) / name
                    if is_folder_note(name):
                        if skipped is not None and first_time(path):
                            skipped.append(path)
                        continue
                    if first_time(path):
                        yield path
            # A folder that cannot be listed is reported like a file that cannot be read.
            for err in unlisted:
                yield Path(err.filename or p)
        elif first_time(p):
            yield p


def ingest_file(store: Store, path: Path | str, annotate: Annotator | None = None) -> FileOutcome:
    """Ingest one file (a path, or a URL: fetched first); a bad file becomes a failed
    outcome, recorded in the store."""
    if is_url(path):
        try:
            with fetched(str(path)) as local:
                return _ingest_file(store, local, str(path), annotate)
        except ReadError as err:
            return fail_file(store, str(path), None, None, str(err))
    return _ingest_file(store, Path(path), str(path), annotate)


def _ingest_file(store: Store, path: Path, display: str, annotate: Annotator | None) -> FileOutcome:
    previous = store.source_status(display)
    if path.is_dir():
        return fail_file(store, display, None, None, folder_message(path))
    try:
        source = load_source(path)
    except ReadError as err:  # said of the file as given (a URL's, not its fetched copy)
        return fail_file(store, display, None, None, str(err).replace(str(path), display))
    if previous and previous.sha256 == source.sha256 and previous.status == "ok":
        return FileOutcome(display, "unchanged", previous.documents, previous.reader)
    reader = choose_reader(source)
    if source.streamed and not reader.streams:
        source = load_source(path, stream_over=None)  # TEI and plain text read as a stream
    old_ids = store.document_ids_for_path(display)
    new_ids: list[str] = []
    existed = 0
    batch: list[Record] = []
    writing = [False]  # a failure while storing stops the file; one while reading does not

    def flush() -> None:
        writing[0] = True
        whole = [record for record in batch if not in_parts(record)]
        if annotate is not None and whole:
            annotate(whole)
        for record in batch:
            if annotate is not None and in_parts(record):
                store_in_parts(store, record, annotated_parts(record, annotate))
            else:
                store_record(store, record)
            new_ids.append(record.id)
        batch.clear()
        writing[0] = False

    try:
        for draft in reader.read(source):
            record = build_record(source, draft, display)
            if store.has_document(record.id) and record.id not in old_ids:
                existed += 1  # the same content already came in under another name
                new_ids.append(record.id)
                continue
            batch.append(record)
            if len(batch) >= BATCH_SIZE:
                flush()
        flush()
    except StoreLost:  # no file is to blame: the run stops
        raise
    except Exception as err:  # a reader bug must not end the run either: it is data
        if not writing[0]:
            _keep_what_was_read(flush)
        message = failure_message(display, err)
        return fail_file(store, display, source.sha256, reader.name, message, len(new_ids))
    return finish_file(
        store, display, source.sha256, reader.name, previous, old_ids, new_ids, existed
    )


def folder_message(path: Path) -> str:
    """Why a path given as a file is not read: it is a folder (or one that cannot be listed)."""
    try:
        os.listdir(path)
        reason = "is a folder"
    except OSError as err:
        reason = f"a folder that cannot be listed ({err.strerror or err})"
    return f"{path}: {reason}"


def failure_message(display: str, err: Exception) -> str:
    """A reader's failure as the run reports it: a fonds error as it is, a bug as a bug."""
    if isinstance(err, FondsError):
        return str(err) if display in str(err) else f"{display}: {err}"
    return f"{display}: unexpected {type(err).__name__}: {err} (please report this)"


def store_record(store: Store, record: Record) -> None:
    """Write a record, and link it to its copies among the documents stored, in one
    transaction."""
    store.write_record(record, also=link_copies)


def store_in_parts(store: Store, record: Record, parts: Iterable[tuple[int, Record]]) -> None:
    """Write a big record whose body is annotated in parts (``fonds.entities.parts``):
    ``parts`` yields each part once annotated, with its offset in the body. Each part's
    mentions are written as it is joined, then the record, naming its entities only,
    and its copy links: all in one transaction, as for any record."""
    joined = JoinedParts()
    release_free_memory()  # what reading the body freed: the peak is the write's to make
    with store.transaction():
        store.delete_documents({record.id})  # its mentions as stored before, if it was
        for offset, part in parts:
            store.add_mentions(record.id, joined.add(part, offset))
        joined.finish(record)
        release_free_memory()  # what the parts freed, before SQLite copies the body
        store.write_record(record, also=link_copies, mentions_written=True)


def finish_file(
    store: Store,
    display: str,
    sha: str,
    reader: str,
    previous: SourceStatus | None,
    old_ids: set[str],
    new_ids: list[str],
    existed: int,
) -> FileOutcome:
    """Once every document of a file is stored: drop what the file no longer holds,
    record the file's status, and say whether it was added, updated or unchanged."""
    stale = old_ids - set(new_ids)
    if stale:
        _drop_stale(store, display, stale)
    if not new_ids:
        return fail_file(store, display, sha, reader, f"{display}: no document found")
    store.set_source_status(SourceStatus(display, sha, "ok", reader, None, len(new_ids)))
    if previous is not None and previous.status == "ok" and previous.sha256 != sha:
        status = "updated"
    elif existed == len(new_ids) or (previous is not None and previous.status == "ok"):
        status = "unchanged"
    else:
        status = "added"
    return FileOutcome(display, status, len(new_ids), reader)


def _keep_what_was_read(flush: Callable[[], None]) -> None:
    """Store the complete documents read before a file broke (a truncated TEI volume)."""
    try:
        flush()
    except Exception:  # the file is reported failed either way
        return


def _drop_stale(store: Store, path: str, stale: set[str]) -> None:
    """Delete the records an edited file no longer holds, unless another file holds the
    same content: then the record stays, and names that file as its source."""
    for doc_id in stale:
        other = store.other_holder(doc_id, path)
        if other:
            store.move_source(doc_id, other)
        else:
            with store.transaction():
                store.delete_documents({doc_id})
                regroup(store, {doc_id})  # its copies may stand for themselves again


def fail_file(
    store: Store, path: str, sha: str | None, reader: str | None, message: str, documents: int = 0
) -> FileOutcome:
    store.set_source_status(SourceStatus(path, sha, "failed", reader, message, documents))
    return FileOutcome(path, "failed", documents, reader, message)


def ingest(
    store: Store,
    paths: Iterable[str | Path],
    annotate: Annotator | None = None,
    progress: Callable[[FileOutcome], None] | None = None,
    settle: Callable[[], object] | None = None,
    parallel: Parallel | None = None,
) -> IngestSummary:
    """Ingest every file under ``paths``; never stops on a bad file. ``settle`` runs once
    at the end: what must be decided over the whole archive (the entity stage's
    ``settle``: a short name linked to the one fuller name it abbreviates). With
    ``parallel``, an executor's workers read and annotate (``fonds.parallel``): then
    ``annotate`` is not used here, and this process only writes."""
    summary = IngestSummary()
    files = iter_files(paths, summary.skipped)
    outcomes = (
        parallel.run(store, files)
        if parallel is not None
        else (ingest_file(store, path, annotate) for path in files)
    )
    with store.batch():  # records committed a few hundred at a time, each one whole
        for outcome in outcomes:
            summary.outcomes.append(outcome)
            if progress:
                progress(outcome)
    if settle is not None:
        settle()
    release_free_memory()  # what the documents and settling freed, before indexing
    from fonds.search.service import index_pending

    index_pending(store)
    return summary
