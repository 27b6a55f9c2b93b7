"""Ingest on an executor: workers read, extract and annotate documents; into SQLite this
process alone writes them, in order, one transaction a document (SQLite keeps one
writer); into PostgreSQL each worker writes its own (``WorkerConfig.writes``).

    planner (here):  for each group of small files (or one big file), a task: read them,
                     build their records, annotate them together
    workers:         run the tasks; a big TEI volume is parsed here and each of its
                     documents is sent as XML to the workers, and a big text's body is
                     sent in parts (fonds.entities.parts), so it uses every core too.
                     A writing worker commits the identities it made up (in their own
                     short transaction), names them as the archive does, then writes
                     each record in a transaction of its own and says how each file went
    writer (here):   takes the results in the order they were planned, makes the
                     identities the workers made up known, writes every record (or, when
                     the workers wrote, reports how each file went); a big text's
                     record, joined from parts annotated by several workers, is always
                     written here

The executor is any ``concurrent.futures.Executor`` whose workers can import fonds: a
process pool on one machine, a Dask cluster's (``distributed.Client.get_executor()``)
for several. A task carries all a worker needs (``WorkerConfig``); a worker builds its
entity stage once, on its first task, from the archive as it was when the run began.
Names that only the whole archive can decide are settled by the writer at the end
(``EntityStage.settle``), so N workers give what one process gives.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path

from fonds.entities.ner import NerModel, load_ner
from fonds.entities.parts import in_parts, part_bounds, part_record
from fonds.entities.stage import Discovery, EntityStage, store_discovered
from fonds.errors import FondsError, ReadError, StoreLost
from fonds.extract.record import build_record
from fonds.model import Draft, Record, SourceFile
from fonds.pipeline import (
    BATCH_SIZE,
    FileOutcome,
    fail_file,
    failure_message,
    finish_file,
    folder_message,
    store_in_parts,
    store_record,
)
from fonds.readers import choose_reader, load_source
from fonds.readers.remote import fetched, is_url, size_of
from fonds.readers.source import HEAD_BYTES, STREAM_OVER_BYTES
from fonds.readers.tei import DocumentXml, TeiReader, draft_from_xml
from fonds.store import open_store
from fonds.store.sqlite import EntityTables, SourceStatus, Store

# Tasks planned ahead of the writer, per worker: enough to keep every worker busy while
# the writer works, few enough that memory does not grow with the number of files.
AHEAD_PER_WORKER = 4
# Small files go to a worker in groups, annotated together: the recognizer on a batch of
# 16 documents costs two thirds of what it costs on each alone.
GROUP_FILES = 16
GROUP_BYTES = 1 << 20
# A document file bigger than this is read here, and a big body of it is annotated in
# parts spread over the workers (fonds.entities.parts): one big document does not hold
# one core alone, nor its mentions the writer's memory.
BIG_FILE_BYTES = 2 << 20


# The writer's part in entities: make what workers made up known, name it as known.
Absorb = Callable[[list[Record], list[Discovery]], None]
# Progress within one big document: (file, parts done, parts in all).
OnPart = Callable[[str, int, int], None]
# A big record's parts, each annotated, with its offset in the body.
Parts = Callable[[Record], Iterator[tuple[int, Record]]]


class WorkerLost(FondsError):
    """A worker process stopped (killed, or out of memory) before it answered."""


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker needs to annotate: the archive it reads entities from, the
    recognizer (None: the entity stage is off), the user's authority file; with
    ``writes``, the worker also writes what it read to the archive (a database every
    worker reaches: PostgreSQL). ``run`` tells one run from the next: a cluster's
    workers outlive runs, and what a worker keeps is for one run only."""

    db_path: str
    ner: str | None
    authority: str | None = None
    writes: bool = False
    run: str = ""


@dataclass
class FileRead:
    """What a worker made of one file: its records (annotated), or why it failed."""

    path: str
    sha256: str | None = None
    reader: str | None = None
    records: list[Record] = field(default_factory=list)
    error: str | None = None  # the file failed; ``records`` holds what was read before
    unchanged: bool = False


@dataclass
class FilesRead:
    """What a worker made of a group of files, and the identities it made up for them."""

    files: list[FileRead]
    discovered: list[Discovery]


@dataclass(frozen=True)
class Parallel:
    """How ``fonds.pipeline.ingest`` fans out: the executor, what its workers need, how
    the writer learns what they made up, and how many they are."""

    executor: Executor
    config: WorkerConfig
    stage: EntityStage | None  # the writer's: learns what workers made up, settles at the end
    workers: int
    on_part: OnPart | None = None  # told as a big document's parts come back

    def run(self, store: Store, files: Iterable[Path]) -> Iterator[FileOutcome]:
        return ingest_on(self, store, files)

    def absorb(self, records: list[Record], discovered: list[Discovery]) -> None:
        """The writer's part in entities: make what workers made up known, and name it in
        the records as it is known here."""
        if self.stage is not None:
            self.stage.learn(discovered)
            self.stage.restate(records)


# -- in a worker ------------------------------------------------------------------------

_STAGES: dict[WorkerConfig, EntityStage] = {}
_STORES: dict[WorkerConfig, Store] = {}
_RECOGNIZERS: dict[str, NerModel | None] = {}
# A worker's stage annotates one batch at a time: a Dask worker may run several tasks at
# once in threads (start them with --nthreads 1 for every core to annotate).
_STAGE_LOCK = threading.Lock()


def worker_init() -> None:
    """A pool's initializer: Ctrl-C (sent to the whole process group) is the writer's to
    handle; a worker goes on with its task until the writer stops the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """The executor on one machine: ``workers`` fresh interpreters (spawned, not forked:
    forking a process that has threads is unsafe) that leave Ctrl-C to the writer."""
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=worker_init)


def _stage(config: WorkerConfig) -> EntityStage | None:
    """This worker's entity stage, built on its first task."""
    if config.ner is None:
        return None
    stage = _STAGES.get(config)
    if stage is None:
        _STAGES.clear()  # an earlier run's (a cluster's workers outlive runs)
        if config.authority:
            os.environ["FONDS_AUTHORITY"] = config.authority
        stage = EntityStage.for_worker(config.db_path, "none")
        stage.ner = _recognizer(config.ner)
        _STAGES[config] = stage
    return stage


def _recognizer(name: str) -> NerModel | None:
    """This worker's recognizer, loaded once: for its entity stage and for the parts of
    big documents it is handed."""
    if name not in _RECOGNIZERS:
        _RECOGNIZERS[name] = load_ner(name)
    return _RECOGNIZERS[name]


def _store(config: WorkerConfig) -> Store:
    """This worker's connection to the archive, opened on its first writing task."""
    store = _STORES.get(config)
    if store is None:
        for old in _STORES.values():  # an earlier run's
            old.close()
        _STORES.clear()
        store = _STORES[config] = open_store(config.db_path)
    return store


def _drop_store(config: WorkerConfig) -> None:
    """Forget a connection that was lost: the next task (of a run again) opens another."""
    store = _STORES.pop(config, None)
    if store is not None:
        with contextlib.suppress(Exception):  # already broken
            store.close()


def write_task(config: WorkerConfig, group: list[Planned]) -> list[FileOutcome]:
    """Read, annotate and write a group of files; how each went. The identities this
    worker made up are committed first, on their own (so that no two workers' records
    wait on each other's), then each record in a transaction of its own."""
    done = read_task(config, [(p.display, p.known) for p in group])
    with _STAGE_LOCK:  # one connection a worker; a Dask worker's threads take turns
        store = _store(config)
        try:
            commit_discovered(store, done.discovered, config)

            def restate(records: list[Record], _: list[Discovery]) -> None:
                _restate(config, records)  # named as the archive names them

            with store.batch(records=1):
                return [
                    _write(store, p.display, p.previous, read, restate)
                    for p, read in zip(group, done.files, strict=True)
                ]
        except StoreLost:
            _drop_store(config)
            raise


def commit_discovered(store: Store, discovered: list[Discovery], config: WorkerConfig) -> None:
    """Write the identities a worker made up, in one short transaction, in id order: two
    workers adding the same ones add them in turn, never waiting on each other. Then
    take each one's name as the archive has it: another worker may have made it up
    first, in its own spelling (the records of both then name it alike)."""
    if not discovered:
        return
    ids = sorted({entity_id for entity_id, _, _ in discovered})
    tables = EntityTables(store)
    with store.transaction():
        for entity_id, etype, name in sorted(set(discovered)):
            store_discovered(tables, entity_id, etype, name)
    stage = _stage(config)
    if stage is None:
        return
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for entity_id, name in store.conn.execute(
            f"SELECT id, name FROM entities WHERE id IN ({marks})", chunk
        ):
            known = stage.index.entities.get(entity_id)
            if known is not None and known.name != name:
                known.name = name
                stage.index.add_name(entity_id, name)


def _restate(config: WorkerConfig, records: list[Record]) -> None:
    """Name each entity of records as this worker's stage knows it now."""
    stage = _stage(config)
    if stage is not None:
        stage.restate(records)


def read_task(config: WorkerConfig, files: list[tuple[str, str | None]]) -> FilesRead:
    """Read a group of files, build their records and annotate them together (the
    recognizer is fastest on batches); store nothing. Each file comes with the hash the
    archive holds for it, if any (then an unchanged file is not read)."""
    reads = [_read_file(path, known) for path, known in files]
    records = [record for read in reads for record in read.records]
    try:
        _, discovered = annotate_task(config, records)
    except Exception:  # each file on its own: a failure keeps nothing of its file only
        if (stage := _stage(config)) is not None:
            stage.take_discovered()  # what the failed batch made up is made up again
        discovered = []
        for read in reads:
            try:
                read.records, found = annotate_task(config, read.records)
                discovered += found
            except Exception as err:
                read.records, read.error = [], failure_message(read.path, err)
    return FilesRead(reads, discovered)


def _read_file(path: str, known_sha: str | None) -> FileRead:
    """Read one file (a URL: fetched here first) and build its records, not yet annotated."""
    if is_url(path):
        try:
            with fetched(path) as local:
                return _read_local(local, path, known_sha)
        except ReadError as err:
            return FileRead(path, error=str(err))
    return _read_local(Path(path), path, known_sha)


def _read_local(local: Path, path: str, known_sha: str | None) -> FileRead:
    read = FileRead(path)
    if local.is_dir():
        read.error = folder_message(local)
        return read
    try:
        source = load_source(local)  # a large file's head, when its reader streams
        read.sha256 = source.sha256
        if known_sha == source.sha256:
            read.unchanged = True
            return read
        reader = choose_reader(source)
        if source.streamed and not reader.streams:
            source = load_source(local, stream_over=None)
    except ReadError as err:  # said of the file as given (a URL's, not its fetched copy)
        read.error = str(err).replace(str(local), path)
        return read
    try:
        read.reader = reader.name
        for draft in reader.read(source):
            read.records.append(build_record(source, draft, path))
    except Exception as err:  # what was read before the failure is kept, as in one process
        read.error = failure_message(path, err)
    return read


def annotate_task(
    config: WorkerConfig, records: list[Record]
) -> tuple[list[Record], list[Discovery]]:
    """Annotate records (in batches, as one process does); the identities made up."""
    with _STAGE_LOCK:
        stage = _stage(config)
        if stage is None or not records:
            return records, []
        for start in range(0, len(records), BATCH_SIZE):
            stage.annotate(records[start : start + BATCH_SIZE])
        return records, stage.take_discovered()


@dataclass
class PartRead:
    """What a worker made of a batch of a volume's documents; a writing worker's
    ``written``: the ids of the records it wrote or found (in order), and how many of
    them another file already held (left as they were)."""

    records: list[Record]
    discovered: list[Discovery]
    error: str | None = None  # a document broke: ``records`` holds the ones before it
    written: list[str] = field(default_factory=list)
    existed: int = 0


def volume_task(
    config: WorkerConfig, source: SourceFile, display: str, items: list[DocumentXml | Draft]
) -> PartRead:
    """Read, extract and annotate a batch of a volume's documents given as XML."""
    records: list[Record] = []
    error = None
    try:
        for item in items:
            draft = item if isinstance(item, Draft) else draft_from_xml(*item)
            records.append(build_record(source, draft, display))
    except Exception as err:
        error = failure_message(display, err)
    try:
        records, discovered = annotate_task(config, records)
    except Exception as err:  # an annotation failure keeps nothing of the batch
        return PartRead([], [], failure_message(display, err))
    if not config.writes:
        return PartRead(records, discovered, error)
    with _STAGE_LOCK:
        store = _store(config)
        written: list[str] = []
        try:
            commit_discovered(store, discovered, config)
            _restate(config, records)
            with store.batch(records=1):
                existed = _store_records(store, records, None, written, display=display)
        except StoreLost:
            _drop_store(config)
            raise
        except Exception as err:  # a record that could not be written: the ones before stay
            return PartRead([], [], failure_message(display, err), written)
    return PartRead([], [], error, written, existed)


# -- the writer -------------------------------------------------------------------------


def ingest_on(run: Parallel, store: Store, files: Iterable[Path]) -> Iterator[FileOutcome]:
    """Ingest ``files`` with the executor's workers; yields each file's outcome in order.
    A worker that dies ends the run with ``WorkerLost``: what was written stays, and the
    same command run again finishes the rest (stored files are unchanged then)."""
    executor, config, absorb = run.executor, run.config, run.absorb
    ahead = max(2, run.workers * AHEAD_PER_WORKER)
    planned: deque[tuple[list[Planned], Future[FilesRead] | Future[list[FileOutcome]]]] = deque()
    group: list[Planned] = []
    group_bytes = 0
    display = "a file"

    def plan_group() -> None:
        nonlocal group, group_bytes
        if group:
            if config.writes:
                planned.append((group, executor.submit(write_task, config, group)))
            else:
                files = [(p.display, p.known) for p in group]
                planned.append((group, executor.submit(read_task, config, files)))
        group, group_bytes = [], 0

    def write_all() -> Iterator[FileOutcome]:
        """Hand the group being gathered to a worker, then write every planned group."""
        plan_group()
        while planned:
            yield from _write_group(store, *planned.popleft(), absorb)

    try:
        for path in files:
            display = str(path)
            previous = store.source_status(display)
            known = previous.sha256 if previous and previous.status == "ok" else None
            size = file_size(path)
            volume = _volume(path, size)
            if volume is not None:
                yield from write_all()
                if known == volume.sha256:
                    yield FileOutcome(display, "unchanged", previous.documents, previous.reader)  # type: ignore[union-attr]
                    continue
                yield _ingest_volume(run, store, display, volume, previous, ahead)
                continue
            if size > BIG_FILE_BYTES and run.stage is not None and config.ner is not None:
                yield from write_all()
                yield _ingest_big(run, store, Planned(display, previous, known), ahead)
                continue
            group.append(Planned(display, previous, known))
            group_bytes += size
            if len(group) >= GROUP_FILES or group_bytes >= GROUP_BYTES:
                plan_group()
                if len(planned) >= ahead:
                    yield from _write_group(store, *planned.popleft(), absorb)
        yield from write_all()
    except BrokenProcessPool as err:  # from a result, or from planning on a broken pool
        raise WorkerLost(
            f"a worker process stopped (killed, or out of memory?) while {display} or a file "
            "near it was read; everything written before stays. Run the same command again "
            "to finish: files already stored are skipped as unchanged."
        ) from err
    finally:
        for _, future in planned:
            future.cancel()


@dataclass(frozen=True)
class Planned:
    """A file handed to a worker: its name, and what the archive holds of it."""

    display: str
    previous: SourceStatus | None
    known: str | None  # the hash of the file as stored, when it was stored whole


def file_size(path: Path | str) -> int:
    """A file's size in bytes; 0 when it cannot be read (a worker reports why)."""
    if is_url(path):
        return size_of(str(path))
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def _volume(path: Path | str, size: int) -> SourceFile | None:
    """The source of a big TEI volume (read as a stream here, spread over the workers),
    or None for any other file (a worker reads it whole; a URL's too)."""
    if is_url(path):
        return None
    path = Path(path)
    try:
        if size <= STREAM_OVER_BYTES or not path.is_file():
            return None
        with path.open("rb") as fh:  # told by its head before the whole file is hashed
            head = fh.read(HEAD_BYTES).decode("utf-8", errors="ignore")
        if not TeiReader().match(str(path), head):
            return None
        source = load_source(path)
    except (OSError, ReadError):
        return None  # a worker reports it, as for any file
    return source if source.streamed and choose_reader(source).name == "tei" else None


def _write_group(
    store: Store,
    group: list[Planned],
    future: Future[FilesRead] | Future[list[FileOutcome]],
    absorb: Absorb,
) -> Iterator[FileOutcome]:
    """Write what a worker made of a group of files, file by file, in order (or, when
    the worker wrote them, say how each went)."""
    done = future.result()
    if isinstance(done, list):
        yield from done
        return
    absorb([], done.discovered)  # the identities first: every file's records name them
    for planned, read in zip(group, done.files, strict=True):
        yield _write(store, planned.display, planned.previous, read, absorb)


def _write(
    store: Store,
    display: str,
    previous: SourceStatus | None,
    read: FileRead,
    absorb: Absorb,
    parts: Parts | None = None,
) -> FileOutcome:
    """Write what was read of a file (annotated, but for a big body: ``parts`` annotates
    it while it is written) and say how the file went."""
    if read.unchanged and previous is not None:
        return FileOutcome(display, "unchanged", previous.documents, previous.reader)
    if read.sha256 is None:
        return fail_file(store, display, None, None, read.error or f"{display}: not read")
    absorb(read.records, [])
    old_ids = store.document_ids_for_path(display)
    new_ids: list[str] = []
    try:
        existed = _store_records(store, read.records, old_ids, new_ids, parts)
    except (BrokenProcessPool, StoreLost):
        raise
    except Exception as err:  # a part that failed: the file's records before it stay
        message = failure_message(display, err)
        return fail_file(store, display, read.sha256, read.reader, message, len(new_ids))
    if read.error:
        return fail_file(store, display, read.sha256, read.reader, read.error, len(new_ids))
    return finish_file(
        store, display, read.sha256, read.reader or "", previous, old_ids, new_ids, existed
    )


def _store_records(
    store: Store,
    records: list[Record],
    old_ids: set[str] | None,
    new_ids: list[str],
    parts: Parts | None = None,
    display: str = "",
) -> int:
    """Write a file's records, one transaction each, noting their ids in ``new_ids``;
    how many were already stored from another file (the same content, another name:
    not in ``old_ids``, the file's records before; or, without them, held by a file
    other than ``display``). With ``parts``, a big body is annotated in parts as it is
    written."""
    existed = 0
    for record in records:
        if old_ids is not None:
            elsewhere = store.has_document(record.id) and record.id not in old_ids
        else:
            elsewhere = store.source_of(record.id) not in (None, display)
        if elsewhere:
            existed += 1
        elif parts is not None and in_parts(record):
            store_in_parts(store, record, parts(record))
        else:
            store_record(store, record)
        new_ids.append(record.id)
    return existed


def _ingest_big(run: Parallel, store: Store, planned: Planned, ahead: int) -> FileOutcome:
    """One big document file (a whole volume's text): read here; its records annotated
    by the workers, a big body in parts (``fonds.entities.parts``) spread over them,
    each part's mentions written as it comes back, in order."""
    read = _read_file(planned.display, planned.known)
    if read.unchanged or read.sha256 is None or not read.records:
        return _write(store, planned.display, planned.previous, read, run.absorb)
    whole = [record for record in read.records if not in_parts(record)]
    if whole:
        try:
            annotated, discovered = run.executor.submit(annotate_task, run.config, whole).result()
        except BrokenProcessPool:
            raise
        except Exception as err:  # an annotation failure keeps nothing of the file
            read.records, read.error = [], failure_message(planned.display, err)
            return _write(store, planned.display, planned.previous, read, run.absorb)
        run.absorb([], discovered)
        done = iter(annotated)
        read.records = [r if in_parts(r) else next(done) for r in read.records]

    def parts(record: Record) -> Iterator[tuple[int, Record]]:
        return _parts_on_workers(run, record, planned.display, ahead)

    return _write(store, planned.display, planned.previous, read, run.absorb, parts)


def _parts_on_workers(
    run: Parallel, record: Record, display: str, ahead: int
) -> Iterator[tuple[int, Record]]:
    """A big record's parts, annotated by the workers (at most ``ahead`` at a time), each
    with its offset in the body, in order; what a worker made up is learned first."""
    bounds = part_bounds(record.text)
    running: deque[tuple[int, Future[tuple[list[Record], list[Discovery]]]]] = deque()
    done = 0

    def take() -> tuple[int, Record]:
        nonlocal done
        offset, future = running.popleft()
        (part,), discovered = future.result()
        run.absorb([part], discovered)
        done += 1
        if run.on_part:
            run.on_part(display, done, len(bounds))
        return offset, part

    try:
        for start, end in bounds:
            part = part_record(record, start, end)
            running.append((start, run.executor.submit(annotate_task, run.config, [part])))
            if len(running) >= ahead:
                yield take()
        while running:
            yield take()
    finally:
        for _, future in running:
            future.cancel()


def _ingest_volume(
    run: Parallel,
    store: Store,
    display: str,
    source: SourceFile,
    previous: SourceStatus | None,
    ahead: int,
) -> FileOutcome:
    """A TEI volume of thousands of documents: parsed here as a stream, each document
    div handed as XML to the workers (in batches) to read, extract and annotate, and
    written here in order."""
    executor, config, absorb = run.executor, run.config, run.absorb
    reader = TeiReader()
    old_ids = store.document_ids_for_path(display)
    new_ids: list[str] = []
    existed = 0
    meta = replace(source, text="")  # what a record takes from its source: hash, encoding
    batches: deque[Future[PartRead]] = deque()
    errors: list[str] = []

    def write_next() -> None:
        nonlocal existed
        part = batches.popleft().result()
        if config.writes:  # the worker wrote its batch
            new_ids.extend(part.written)
            existed += part.existed
        else:
            absorb(part.records, part.discovered)
            existed += _store_records(store, part.records, old_ids, new_ids)
        if part.error:
            errors.append(part.error)

    batch: list[DocumentXml | Draft] = []
    try:
        for item in reader.document_xml(source):
            batch.append(item)
            if len(batch) >= BATCH_SIZE:
                batches.append(executor.submit(volume_task, config, meta, display, batch))
                batch = []
                if len(batches) >= ahead:
                    write_next()
                if errors:
                    break
    except (BrokenProcessPool, StoreLost):
        raise
    except Exception as err:  # the documents read before the break are kept
        errors.append(failure_message(display, err))
    if batch and not errors:
        batches.append(executor.submit(volume_task, config, meta, display, batch))
    while batches:
        write_next()
    if errors:
        return fail_file(store, display, source.sha256, reader.name, errors[0], len(new_ids))
    return finish_file(
        store, display, source.sha256, reader.name, previous, old_ids, new_ids, existed
    )
