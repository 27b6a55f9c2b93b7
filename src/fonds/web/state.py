"""What every request of the web app shares: the archive, the settings, the templates."""

from __future__ import annotations

import hmac
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from jinja2 import Environment, FileSystemLoader, select_autoescape

from fonds.errors import ConfigError, StoreError
from fonds.store import is_server_url, open_store, store_exists
from fonds.store.sqlite import Store
from fonds.web.upload_worker import UploadWorker

T = TypeVar("T")
MAX_CACHED = 256
WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


# A write token shorter than this is refused: it could be guessed.
MIN_TOKEN_CHARS = 16


def check_token(token: str | None) -> None:
    """Refuse a write token short enough to be guessed (the server and `fonds serve`)."""
    if token and len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(
            f"the write token has {len(token)} characters; give one of at least "
            f"{MIN_TOKEN_CHARS} (for example: python -c 'import secrets; "
            "print(secrets.token_urlsafe())')"
        )


# The deepest item any page or API listing may start at: a larger offset is a 4xx
# (FastAPI's bounds on every route's ``offset``), never an integer SQLite cannot take.
MAX_OFFSET = 10_000


@dataclass(frozen=True)
class WebLimits:
    """Named limits of the web app; each one is a setting, not a literal in a route."""

    max_body_bytes: int = 64 * 1024  # any request body but an upload
    max_upload_bytes: int = 20 * 1024 * 1024
    uploads_quota_bytes: int = 1024 * 1024 * 1024  # the uploads/ folder beside the archive
    upload_seconds: float = 300.0  # an upload's ingest is stopped (and rolled back) after
    max_query_chars: int = 2000
    page_size: int = 20
    max_page_size: int = 100
    max_offset: int = MAX_OFFSET
    network_nodes: int = 60
    timeline_documents: int = 50
    # The reader shows a long body in parts of at most this many characters (about 30
    # printed pages), so a document of any size opens at once.
    reader_part_chars: int = 100_000
    # Requests answered at once by one server process. Pages and searches are CPU work
    # under one interpreter lock: a few threads keep the core busy, forty only queue.
    request_threads: int = 6
    switch_interval: float = 0.001  # seconds a thread may hold the interpreter lock
    session_seconds: int = 12 * 3600  # a browser signed in with the token stays so this long
    # Load the semantic model (and embed documents missing from the vector index) while
    # starting, before the server says it is ready, so the first question is not the one
    # that waits 10-15 s for it. `fonds serve` does; in-process apps (tests) do not.
    warm_semantic: bool = False
    # once warm, move what is loaded out of the garbage collector's way (a server's
    # process only: ``fonds serve`` sets it; not for an app made inside another program)
    settle_after_warm: bool = False


@dataclass
class WebState:
    """The archive a server reads, its write token, and one read-only connection per thread."""

    db_path: str
    write_token: str | None = None
    limits: WebLimits = field(default_factory=WebLimits)
    _local: threading.local = field(default_factory=threading.local)
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    cache: dict[str, object] = field(default_factory=dict)
    cache_lock: threading.Lock = field(default_factory=threading.Lock)
    ready: threading.Event = field(default_factory=threading.Event)  # caches warmed
    semantic: str = "cold"  # the semantic model: cold, loading, ready, not installed
    _uploads: UploadWorker | None = None

    def upload_worker(self) -> UploadWorker:
        """The child process that ingests this server's uploads (started on first use)."""
        with self.cache_lock:
            if self._uploads is None:
                self._uploads = UploadWorker(self.limits.upload_seconds)
            return self._uploads

    def close(self) -> None:
        if self._uploads is not None:
            self._uploads.close()

    def reader(self) -> Store:
        """This thread's read-only store, opened on first use."""
        store = getattr(self._local, "store", None)
        if store is None:
            if not store_exists(self.db_path):
                raise StoreError(f"{self.db_path}: no such archive; run `fonds ingest` first")
            store = open_store(self.db_path, readonly=True)
            self._local.store = store
        return store

    @contextmanager
    def writer(self) -> Iterator[Store]:
        """A read-write store for one write, one writer at a time."""
        with self.write_lock:
            store = open_store(self.db_path)
            try:
                yield store
            finally:
                store.close()
                self.cache.clear()

    def version(self) -> str:
        """Changes whenever the archive changes (any commit touches the file or its
        write-ahead log): the key of cached views. Costs two stat calls, no query; on a
        PostgreSQL database, where other writers commit, one query."""
        if is_server_url(self.db_path):
            return str(self.reader().change_marker()[0])
        parts = []
        for suffix in ("", "-wal"):
            try:
                st = os.stat(self.db_path + suffix)
                parts.append(f"{st.st_mtime_ns}:{st.st_size}")
            except OSError:
                parts.append("-")
        return "/".join(parts)

    def cached_now(self, name: str) -> object | None:
        """The view ``name`` if it is cached for this version of the archive, else None."""
        return self.cache.get(f"{name}@{self.version()}")

    def cached(self, name: str, compute: Callable[[], T]) -> T:
        """A view computed once per version of the archive."""
        key = f"{name}@{self.version()}"
        if key in self.cache:
            return self.cache[key]  # type: ignore[return-value]
        value = compute()
        with self.cache_lock:
            if len(self.cache) > MAX_CACHED:
                self.cache.clear()
            self.cache[key] = value
        return value

    def token_ok(self, given: str | None) -> bool:
        if not self.write_token or not given:
            return False
        return hmac.compare_digest(given.encode(), self.write_token.encode())

    def session_value(self, now: float | None = None) -> str:
        """The cookie that marks a browser as holding the write token: the time it was
        issued, signed with the token (so a new token ends every session)."""
        if not self.write_token:
            return ""
        issued = str(int(time.time() if now is None else now))
        return f"{issued}.{self._sign(issued)}"

    def session_ok(self, value: str | None, now: float | None = None) -> bool:
        """Whether a session cookie is this server's, unexpired, compared in constant time."""
        if not self.write_token or not value or "." not in value:
            return False
        issued, _, signature = value.partition(".")
        if not issued.isdigit() or not hmac.compare_digest(signature, self._sign(issued)):
            return False
        age = (time.time() if now is None else now) - int(issued)
        return -60 <= age < self.limits.session_seconds  # a minute of clock skew

    def _sign(self, issued: str) -> str:
        assert self.write_token is not None
        message = b"fonds-session:" + issued.encode()
        return hmac.new(self.write_token.encode(), message, "sha256").hexdigest()


def template_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "xml", "svg"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates ship with the package: no stat call per render
    )
    return env
