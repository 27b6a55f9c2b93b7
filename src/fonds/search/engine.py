"""Which index serves a store, kept fresh; and the per-store caches behind it.

Two things are expensive to build and cheap to keep: the entity index (the authority
file plus every name the store has learned) and the open Tantivy index. Both are
cached per database file. The entity index is rebuilt when the store's entity tables
change (new rows, or an edit logged in ``entity_edits``).

Before any search the index is brought in step: a missing or foreign index is
rebuilt from SQLite, and the queue of changed documents is drained.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fonds.entities.index import NameIndex
from fonds.errors import FondsError, StoreError
from fonds.search.base import SearchBackend
from fonds.search.plan import Planner
from fonds.search.tantivy_index import (
    ENTITY_CACHE,
    SEARCH_LOCK_WAIT_SECONDS,
    DocumentBuilder,
    IndexFiles,
    hits_in_step,
    in_step,
    index_path,
    needs_rebuild,
)
from fonds.search.tantivy_search import TantivyBackend
from fonds.store import is_server_url
from fonds.store.sqlite import Store


@dataclass
class _Entities:
    fingerprint: tuple
    index: NameIndex
    planner: Planner


_LOCK = threading.RLock()
_ENTITIES: dict[str, _Entities] = {}
_FILES: dict[str, IndexFiles] = {}
# Per open store: the change marker at the last check, and what that check found (the
# entity fingerprint; whether the index was in step at a generation). An unchanged
# marker means nothing was committed since, so the check's queries need not run again.
_CHECKED: weakref.WeakKeyDictionary[Store, dict[str, tuple]] = weakref.WeakKeyDictionary()


def _marker(store: Store) -> tuple[int, int] | None:
    try:
        return store.change_marker()
    except (sqlite3.Error, StoreError):
        return None


Marker = tuple[int, int] | None
UNREAD: Any = object()  # no marker given: the check reads one


def change_marker(store: Store) -> Marker:
    """The store's change marker, read once for all the checks of one search (on
    PostgreSQL each read is a round trip to the server)."""
    return _marker(store)


def _recall(store: Store, what: str, marker: tuple[int, int] | None) -> tuple | None:
    """What the last ``what`` check of this store found, if nothing changed since
    (``marker`` is taken before the caller looks, so a commit in between is never missed)."""
    seen = _CHECKED.get(store, {}).get(what)
    return seen[1] if marker is not None and seen is not None and seen[0] == marker else None


def _note(store: Store, what: str, marker: tuple[int, int] | None, found: tuple) -> None:
    if marker is not None:
        _CHECKED.setdefault(store, {})[what] = (marker, found)


_KEYS: weakref.WeakKeyDictionary[Store, str] = weakref.WeakKeyDictionary()


def _key(store: Store) -> str:
    """The cache key of a store: its index folder (the file's real path), fixed when the
    store is first searched."""
    key = _KEYS.get(store)
    if key is None:
        folder = index_path(store)
        key = _KEYS[store] = str(folder) if folder is not None else f"memory:{id(store)}"
    return key


def _entity_fingerprint(store: Store) -> tuple:
    try:
        return tuple(
            store.conn.execute(
                "SELECT (SELECT max(rowid) FROM entities), (SELECT max(rowid) FROM entity_names),"
                " (SELECT max(id) FROM entity_edits),"
                " (SELECT value FROM meta WHERE key = 'authority_fingerprint')"
            ).fetchone()
        )
    except sqlite3.Error:
        return ()


def entities_for(store: Store, marker: Marker = UNREAD) -> tuple[NameIndex, Planner]:
    """The entity index of a store (cached until its entity tables change); ``marker``:
    the store's change marker, read before (``change_marker``)."""
    key = _key(store)
    marker = _marker(store) if marker is UNREAD else marker
    known, cached = _recall(store, "entities", marker), _ENTITIES.get(key)
    if known and cached is not None and cached.fingerprint == known:  # no lock needed
        return cached.index, cached.planner
    with _LOCK:
        fingerprint = known or _entity_fingerprint(store)
        _note(store, "entities", marker, fingerprint)
        cached = _ENTITIES.get(key)
        if cached is not None and cached.fingerprint == fingerprint:
            return cached.index, cached.planner
        folder = index_path(store)
        index = _load_entities(folder, fingerprint)
        if index is None:
            index = _build_entities(store)
            fingerprint = _entity_fingerprint(store)  # building may sync the authority
            _save_entities(folder, fingerprint, index)
        entry = _Entities(fingerprint, index, Planner(index))
        _ENTITIES[key] = entry
        return entry.index, entry.planner


def _build_entities(store: Store) -> NameIndex:
    from fonds.entities.stage import EntityStage  # slow to import: only when needed

    try:
        return EntityStage.for_store(store, ner="none").index
    except (FondsError, sqlite3.Error):
        # a read-only store whose authority copy is stale: the bundled file still works
        return EntityStage.for_store(None, ner="none").index


# The entity index is also kept on disk beside the search index, so that a command
# like `fonds search` need not load the authority files (and their imports) each run.
# The key covers the store's entity tables and the files the index is made from.


def _sources_key(fingerprint: tuple) -> str:
    import fonds.data.authority
    import fonds.entities

    parts = [repr(fingerprint), os.environ.get("FONDS_AUTHORITY", "")]
    folders = [Path(fonds.data.authority.__file__).parent, Path(fonds.entities.__file__).parent]
    user = os.environ.get("FONDS_AUTHORITY")
    files = [p for folder in folders for p in sorted(folder.iterdir()) if p.is_file()]
    for path in files + ([Path(user)] if user else []):
        try:
            st = path.stat()
        except OSError:
            continue
        parts.append(f"{path}:{st.st_mtime_ns}:{st.st_size}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _load_entities(folder: Path | None, fingerprint: tuple) -> NameIndex | None:
    if folder is None or not fingerprint:
        return None
    try:
        with open(folder / ENTITY_CACHE, "rb") as fh:
            key, index = pickle.load(fh)
    except Exception:  # missing, partial or from another version of the code: rebuild
        return None
    return index if key == _sources_key(fingerprint) and isinstance(index, NameIndex) else None


def _save_entities(folder: Path | None, fingerprint: tuple, index: NameIndex) -> None:
    if folder is None or not fingerprint:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{ENTITY_CACHE}.{os.getpid()}"
        with open(tmp, "wb") as fh:
            pickle.dump((_sources_key(fingerprint), index), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / ENTITY_CACHE)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass  # only a cache


def _files_for(store: Store) -> IndexFiles:
    key = _key(store)
    with _LOCK:
        files = _FILES.get(key)
        if files is None:
            files = IndexFiles(index_path(store), keep_hits=is_server_url(store.path))
            _FILES[key] = files
        return files


def backend_for(
    store: Store,
    *,
    fresh: bool = True,
    names: NameIndex | None = None,
    marker: Marker = UNREAD,
) -> SearchBackend:
    """The search backend of a store; with ``fresh``, first brought in step with it.
    ``names`` is the store's entity index when the caller already holds it, ``marker``
    the change marker it read before."""
    if names is None:
        names, _ = entities_for(store, marker)
    backend = TantivyBackend(store, _files_for(store), DocumentBuilder(names))
    if fresh:
        bring_in_step(backend, for_search=True, marker=marker)
    return backend


def bring_in_step(
    backend: TantivyBackend, for_search: bool = False, marker: Marker = UNREAD
) -> int:
    """Rebuild a missing or foreign index, else apply the queue; return documents touched.

    For a search, an index that exists but cannot be written just now (another process
    holds its lock, or its folder is read-only) is searched as it is.
    """
    files, store = backend.files, backend.store
    files.refresh()
    if for_search:
        marker = _marker(store) if marker is UNREAD else marker
        if _recall(store, "in_step", marker) == (files.generation,):
            return 0
        if in_step(files, store):
            _note(store, "in_step", marker, (files.generation,))
            return 0
    if needs_rebuild(backend.files, backend.store):
        return backend.rebuild()
    if not for_search:
        touched = backend.index_pending()
        hits_in_step(files, store)
        return touched
    try:
        return backend.index_pending(wait=SEARCH_LOCK_WAIT_SECONDS)
    except (StoreError, OSError):
        return 0


def forget(store: Store) -> None:
    """Drop the caches of a store (tests, or after its files were replaced)."""
    key = _key(store)
    with _LOCK:
        _ENTITIES.pop(key, None)
        _FILES.pop(key, None)
        _CHECKED.pop(store, None)
        _KEYS.pop(store, None)
