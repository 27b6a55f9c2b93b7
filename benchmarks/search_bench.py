"""Search benchmark (issue 8, item 6): fonds' query path against the floor and the anchor.

For one database made by ``gen_corpus.py``, in one run on the same data:

- **fonds**: ``fonds.search.service.search(store, query, limit=20)``, after
  ``fonds.search.service.rebuild_index(store)`` when that exists;
- **fts5** (the floor): plain SQLite FTS5 over the ``documents_fts`` table fonds keeps,
  bm25 + snippet, LIMIT 20, a GROUP BY count for facets;
- **tantivy** (the anchor): a fresh Tantivy index of title + text, default tokenizer,
  top 20 with a snippet generator, a terms aggregation for facets.

Each engine runs in its own process (so its peak RSS is its own): build, warm-up (every
query once), then every query 3 times; a query's latency is the median of its 3 runs,
and p50/p95/p99/max are taken over the 100 queries of a shape. Prints a table and writes
``benchmarks/results/search-<size>.json``.

    python benchmarks/search_bench.py benchmarks/work/100k.db
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import multiprocessing as mp
import os
import platform
import random
import re
import resource
import shutil
import sqlite3
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
SHAPES = ("common", "rare_name", "prefix", "phrase", "alias", "person_date", "facets")
ENGINES = ("fonds", "fonds+facets", "fts5", "tantivy")
_STOPWORD_TEXT = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
out over own same she should so some such than that the their theirs them themselves then
there these they this those through to too under until up upon very was we were what when
where which while who whom why will with would you your yours shall may must might said
one two three four five six seven eight nine ten new which made make however
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass
class BenchQuery:
    """One query, as fonds reads it and as the plain engines can express it."""

    shape: str
    fonds: str  # fonds' query language
    phrases: list[str]  # plain engines: OR of these phrases (a one-word phrase is a term)
    prefix: str | None = None  # plain engines: this prefix instead of phrases
    date_from: str | None = None  # ISO day bounds, inclusive
    date_to: str | None = None
    facets: bool = False  # also count matches by doc_type


# -- the query mix -----------------------------------------------------------------------------


def words_of(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text)


def sample_docs(conn: sqlite3.Connection, rng: random.Random, n: int) -> list[str]:
    top = conn.execute("SELECT max(rowid) FROM documents").fetchone()[0] or 0
    ids = sorted(rng.sample(range(1, top + 1), min(n, top)))
    rows: list[str] = []
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        marks = ",".join("?" * len(part))
        rows += [
            r[0]
            for r in conn.execute(
                f"SELECT text FROM documents WHERE rowid IN ({marks}) ORDER BY rowid", part
            )
        ]
    return rows


def doc_freq(texts: list[str]) -> Counter[str]:
    df: Counter[str] = Counter()
    for text in texts:
        df.update({w.lower() for w in words_of(text)})
    return df


def fts_count(conn: sqlite3.Connection, match: str) -> int:
    return conn.execute(
        "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?", (match,)
    ).fetchone()[0]


def common_words(df: Counter[str], k: int = 40) -> list[str]:
    good = [(w, n) for w, n in df.most_common(400) if w not in STOPWORDS and len(w) >= 4]
    return [w for w, _ in good[:k]]


def rare_names(
    conn: sqlite3.Connection, texts: list[str], df: Counter[str], rng: random.Random, k: int
) -> list[str]:
    """Capitalized words, never seen in lower case, in 1–50 documents of the whole corpus."""
    caps: Counter[str] = Counter()
    for text in texts:
        caps.update(re.findall(r"(?<=[a-z,;] )([A-Z][a-z]{4,})\b", text))
    lower = {w for t in texts for w in re.findall(r"\b[a-z]{5,}\b", t)}
    candidates = sorted(
        w
        for w in caps
        if w.lower() not in lower and df[w.lower()] <= 2 and w.lower() not in STOPWORDS
    )
    rng.shuffle(candidates)
    out: list[str] = []
    for word in candidates[: 4 * k]:
        if 1 <= fts_count(conn, f'"{word}"') <= 50:
            out.append(word)
        if len(out) >= k:
            break
    return out


def prefixes(df: Counter[str], n_docs: int, rng: random.Random, k: int) -> list[str]:
    words = sorted(
        w
        for w, n in df.items()
        if len(w) >= 7 and w not in STOPWORDS and 0.003 * n_docs <= n <= 0.05 * n_docs
    )
    picked = {w[:5] for w in rng.sample(words, min(len(words), 4 * k))}
    return ["genui", "instan", *sorted(picked)[: k - 2]]


def phrases(texts: list[str], rng: random.Random, k: int) -> list[str]:
    out: list[str] = []
    while len(out) < k:
        words = re.findall(r"\S+", rng.choice(texts))
        length = rng.choice((2, 2, 3))
        i = rng.randrange(max(1, len(words) - length))
        window = words[i : i + length]
        if (
            len(window) == length
            and all(re.fullmatch(r"[a-z]+", w) for w in window)
            and window[0] not in STOPWORDS
            and window[-1] not in STOPWORDS
        ):
            out.append(" ".join(window))
    return out


def phrase_of(name: str) -> str:
    return " ".join(re.findall(r"\w+", name))


@dataclass
class NameInfo:
    id: str
    name: str
    type: str
    held_out: str | None
    text_forms: list[str] = field(default_factory=list)
    docs: int = 0


def name_infos(conn: sqlite3.Connection, db: Path) -> list[NameInfo]:
    """Entities with the forms the text uses and the form held out of it (gen_corpus)."""
    manifest = Path(f"{db}.json")
    held = json.loads(manifest.read_text())["held_out_names"] if manifest.exists() else {}
    infos = {
        r[0]: NameInfo(r[0], r[1], r[2], held.get(r[0]))
        for r in conn.execute("SELECT id, name, type FROM entities")
    }
    rows = conn.execute(
        "SELECT entity_id, text, count(DISTINCT document_id) FROM mentions"
        " WHERE field = 'text' GROUP BY entity_id, text ORDER BY 1, 3 DESC"
    )
    for entity_id, text, docs in rows:
        if entity_id in infos:
            infos[entity_id].text_forms.append(text)
            infos[entity_id].docs += docs
    return [i for i in infos.values() if i.docs]


def alias_queries(infos: list[NameInfo], rng: random.Random, k: int) -> list[BenchQuery]:
    pool = [i for i in infos if i.held_out and i.type == "person"] or [
        i for i in infos if i.held_out
    ]
    out: list[BenchQuery] = []
    for info in rng.choices(pool, k=k) if pool else []:
        assert info.held_out is not None
        spellings = [info.held_out, *[f for f in info.text_forms if re.search(r"[A-Za-z]", f)]]
        out.append(BenchQuery("alias", info.held_out, [phrase_of(s) for s in spellings[:5]]))
    return out


def person_date_queries(
    conn: sqlite3.Connection, infos: list[NameInfo], rng: random.Random, k: int
) -> list[BenchQuery]:
    people = [i for i in infos if i.type == "person"] or infos
    out: list[BenchQuery] = []
    for info in rng.choices(people, weights=[i.docs for i in people], k=k):
        rows = conn.execute(
            "SELECT d.date_start FROM mentions m JOIN documents d"
            " ON d.id = m.document_id WHERE m.entity_id = ? LIMIT 200",
            (info.id,),
        ).fetchall()
        year, month = rng.choice(rows)[0][:7].split("-") if rows else ("1950", "01")
        lo, hi = ("01", "06") if int(month) <= 6 else ("07", "12")
        fonds_q = f'person:"{info.name}" date:{year}-{lo}..{year}-{hi}'
        last = "30" if hi == "06" else "31"
        out.append(
            BenchQuery(
                "person_date",
                fonds_q,
                [phrase_of(info.name)],
                date_from=f"{year}-{lo}-01",
                date_to=f"{year}-{hi}-{last}",
            )
        )
    return out


def cycle_to(items: list[str], n: int) -> list[str]:
    """The items in order, repeated to make n (each distinct one used when there are n)."""
    return [items[i % len(items)] for i in range(n)] if items else []


def make_queries(db: Path, n: int, seed: int) -> dict[str, list[BenchQuery]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rng = random.Random(seed)
    texts = sample_docs(conn, rng, 5000)
    df = doc_freq(texts)
    common = common_words(df)
    infos = name_infos(conn, db)
    mix = {
        "common": [BenchQuery("common", w, [w]) for w in rng.choices(common, k=n)],
        "rare_name": [
            BenchQuery("rare_name", w, [w])
            for w in cycle_to(rare_names(conn, texts, df, rng, n), n)
        ],
        "prefix": [
            BenchQuery("prefix", f"{p}*", [], prefix=p)
            for p in rng.choices(prefixes(df, len(texts), rng, 30), k=n)
        ],
        "phrase": [BenchQuery("phrase", f'"{p}"', [p]) for p in phrases(texts, rng, n)],
        "alias": alias_queries(infos, rng, n),
        "person_date": person_date_queries(conn, infos, rng, n),
        "facets": [BenchQuery("facets", w, [w], facets=True) for w in rng.choices(common, k=n)],
    }
    conn.close()
    return mix


# -- the engines --------------------------------------------------------------------------------

Runner = Callable[[BenchQuery], int]  # runs one query, returns the number of hits shown


def fts_match(q: BenchQuery) -> str:
    if q.prefix:
        return f"{q.prefix}*"
    return " OR ".join(f'"{p}"' for p in q.phrases)


FTS_TOP = (
    "SELECT d.id, d.title, d.date, bm25(documents_fts) AS score,"
    " snippet(documents_fts, 2, '[', ']', '…', 12)"
    " FROM documents_fts JOIN documents d ON d.rowid = documents_fts.rowid"
    " WHERE documents_fts MATCH ?{where} ORDER BY score LIMIT 20"
)
FTS_FACET = (
    "SELECT d.doc_type, count(*) FROM documents_fts JOIN documents d"
    " ON d.rowid = documents_fts.rowid WHERE documents_fts MATCH ?{where} GROUP BY d.doc_type"
)


def fts5_runner(db: Path) -> tuple[Runner, dict[str, Any]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
    info = {
        "index_bytes": conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'documents_fts%'"
        ).fetchone()[0]
    }

    def run(q: BenchQuery) -> int:
        args: list[Any] = [fts_match(q)]
        where = ""
        if q.date_from:
            where = " AND d.date_start BETWEEN ? AND ?"
            args += [q.date_from, q.date_to]
        rows = conn.execute(FTS_TOP.format(where=where), args).fetchall()
        if q.facets:
            conn.execute(FTS_FACET.format(where=where), args).fetchall()
        return len(rows)

    return run, info


def fts5_build(db: Path) -> dict[str, Any]:
    """Rebuild documents_fts from the documents table, as fonds' triggers would fill it."""
    conn = sqlite3.connect(db)
    t0 = time.perf_counter()
    with conn:
        conn.execute("INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')")
    seconds = time.perf_counter() - t0
    conn.close()
    return {"build_seconds": round(seconds, 2)}


def fts5_build_from_manifest(db: Path) -> dict[str, Any]:
    """With --no-fts-rebuild: the time gen_corpus.py took to fill documents_fts (same work)."""
    manifest = Path(f"{db}.json")
    seconds = (
        json.loads(manifest.read_text()).get("fts_fill_seconds") if manifest.exists() else None
    )
    if seconds is None:
        return {"build_skipped": "--no-fts-rebuild, and no fill time in the manifest"}
    return {"build_seconds": seconds, "build_seconds_from": "gen_corpus.py (fill, not timed here)"}


def tantivy_dir(db: Path) -> Path:
    return db.with_suffix(".tantivy")


def tantivy_schema() -> Any:
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("title", stored=True)
    sb.add_text_field("text", stored=True)
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_integer_field("date", indexed=True, fast=True)
    sb.add_text_field("doc_type", fast=True, tokenizer_name="raw")
    return sb.build()


def tantivy_build(db: Path, threads: int, heap_mb: int) -> dict[str, Any]:
    import tantivy

    path = tantivy_dir(db)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    t0 = time.perf_counter()
    index = tantivy.Index(tantivy_schema(), path=str(path))
    writer = index.writer(heap_mb * 1_000_000, threads)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    for doc_id, title, text, date, doc_type in conn.execute(
        "SELECT id, title, text, date_start, doc_type FROM documents"
    ):
        writer.add_document(
            tantivy.Document(
                id=doc_id,
                title=title,
                text=text,
                doc_type=doc_type or "",
                date=int((date or "0000-00-00").replace("-", "")),
            )
        )
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return {
        "build_seconds": round(seconds, 2),
        "index_bytes": size,
        "writer_threads": threads,
        "writer_heap_mb": heap_mb,
    }


def tantivy_query(index: Any, schema: Any, q: BenchQuery) -> Any:
    import tantivy

    if q.prefix:
        pattern = re.escape(q.prefix) + ".*"
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, tantivy.Query.regex_query(schema, f, pattern))
                for f in ("title", "text")
            ]
        )
    else:
        query = index.parse_query(" OR ".join(f'"{p}"' for p in q.phrases), ["title", "text"])
    if q.date_from and q.date_to:
        lo, hi = int(q.date_from.replace("-", "")), int(q.date_to.replace("-", ""))
        dates = tantivy.Query.range_query(schema, "date", tantivy.FieldType.Integer, lo, hi)
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query), (tantivy.Occur.Must, dates)]
        )
    return query


def tantivy_runner(db: Path) -> tuple[Runner, dict[str, Any]]:
    import tantivy

    schema = tantivy_schema()
    index = tantivy.Index(schema, path=str(tantivy_dir(db)))
    index.reload()
    searcher = index.searcher()

    def run(q: BenchQuery) -> int:
        query = tantivy_query(index, schema, q)
        hits = searcher.search(query, 20, count=False).hits
        snippets = tantivy.SnippetGenerator.create(searcher, query, schema, "text")
        for _score, address in hits:
            snippets.snippet_from_doc(searcher.doc(address)).to_html()
        if q.facets:
            searcher.aggregate(query, {"types": {"terms": {"field": "doc_type"}}})
        return len(hits)

    return run, {"segments": searcher.num_segments}


def fonds_module() -> Any:
    from fonds.search import service

    return service


def fonds_build(db: Path, server: str | None = None) -> dict[str, Any]:
    service = fonds_module()
    if not hasattr(service, "rebuild_index"):
        return {
            "build_skipped": "fonds.search.service.rebuild_index does not exist yet:"
            " no fonds index build measured (search runs on what the"
            " store has)"
        }
    from fonds.store import open_store
    from fonds.store.sqlite import Store

    if server is not None:  # the same archive in PostgreSQL (fonds transfer)
        from fonds.search.tantivy_index import index_path

        store = open_store(server)
        t0 = time.perf_counter()
        service.rebuild_index(store)
        seconds = time.perf_counter() - t0
        folder = index_path(store)
        store.close()
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder else 0
        return {"build_seconds": round(seconds, 2), "index_bytes": size, "store": "postgresql"}
    before = sibling_sizes(db)
    store = Store(db)
    t0 = time.perf_counter()
    service.rebuild_index(store)
    seconds = time.perf_counter() - t0
    store.close()
    after = sibling_sizes(db)
    # the index: every file or folder next to the database, plus what the database grew by
    beside = {k: v for k, v in after.items() if k != db.name}
    grown = max(0, after.get(db.name, 0) - before.get(db.name, 0))
    return {
        "build_seconds": round(seconds, 2),
        "index_bytes": sum(beside.values()) + grown,
        "index_files": sorted(beside),
        "database_grew_bytes": grown,
    }


def sibling_sizes(db: Path) -> dict[str, int]:
    """Sizes of the database and every file or folder next to it that starts with its name."""
    out: dict[str, int] = {}
    for p in db.parent.glob(db.name + "*"):
        if p.is_dir():
            out[p.name] = sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        elif p.is_file() and not p.name.endswith((".json", "-wal", "-shm")):
            out[p.name] = p.stat().st_size
    return out


def _fonds_caches(store: Any) -> list[Any]:
    """fonds' per-index caches of derived answers (facet counts, prefix completions)."""
    try:
        from fonds.search.engine import _files_for
    except ImportError:
        return []
    return [_files_for(store).cache]


def fonds_runner(
    db: Path, every_facet: bool = False, grouped: bool = False, server: str | None = None
) -> tuple[Runner, dict[str, Any]]:
    """fonds' whole query path. Facet counts are asked for where the floor and the anchor
    count too (the facets shape), or with ``every_facet`` for every query, as the web
    search page asks; ``grouped``: a document kept in several copies counted once, as
    the web search page and the API do by default (fonds.copies)."""
    from fonds.store import open_store

    service = fonds_module()
    store = open_store(server or db)
    params = inspect.signature(service.search).parameters

    if hasattr(service, "settle_for_serving"):  # what a server does when it starts
        service.warm(store)
        service.settle_for_serving()
    caches = _fonds_caches(store)

    def run(q: BenchQuery) -> int:
        for cache in caches:  # every query pays in full, as in the plain engines
            cache.clear()
        kwargs: dict[str, Any] = {"limit": 20}
        if "facets" in params:
            kwargs["facets"] = q.facets or every_facet
        if grouped and "once" in params:
            kwargs["once"] = True
        return len(service.search(store, q.fonds, **kwargs).hits)

    info = {
        "search_signature": str(inspect.signature(service.search)),
        "facets_requested": "facets" in params,
        "grouped": grouped and "once" in params,
    }
    return run, info


# -- measuring ----------------------------------------------------------------------------------


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    arr = np.array(values)
    return {
        "p50": float(np.percentile(arr, 50)),
        "p95": float(np.percentile(arr, 95)),
        "p99": float(np.percentile(arr, 99)),
        "max": float(arr.max()),
        "mean": float(arr.mean()),
    }


def time_query(run: Runner, q: BenchQuery, reps: int) -> tuple[float, int]:
    times: list[float] = []
    hits = 0
    for _ in range(reps):
        t0 = time.perf_counter()
        hits = run(q)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), hits


def measure_shape(run: Runner, queries: list[BenchQuery], reps: int) -> dict[str, Any]:
    latencies: list[float] = []
    hits: list[int] = []
    errors: Counter[str] = Counter()
    for q in queries:
        try:
            ms, n = time_query(run, q, reps)
        except Exception as err:
            errors[f"{type(err).__name__}: {str(err)[:160]}"] += 1
            continue
        latencies.append(ms)
        hits.append(n)
    return {
        "ms": {k: round(v, 3) for k, v in percentiles(latencies).items()},
        "queries": len(latencies),
        "with_hits": sum(1 for h in hits if h),
        "errors": dict(errors.most_common(3)),
        "error_count": sum(errors.values()),
    }


def warm_up(run: Runner, mix: dict[str, list[BenchQuery]]) -> None:
    for queries in mix.values():
        for q in queries:
            with contextlib.suppress(Exception):  # errors are counted when measured
                run(q)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_engine(
    engine: str, db: Path, mix: dict[str, list[BenchQuery]], opts: dict[str, Any]
) -> dict[str, Any]:
    """In a fresh process: build (when asked), warm up, measure every shape."""
    out: dict[str, Any] = {"loadavg_before": os.getloadavg()}
    out["database_read_seconds"] = read_through(db)
    try:
        if engine == "fts5":
            out |= fts5_build(db) if opts["fts_rebuild"] else fts5_build_from_manifest(db)
            run, info = fts5_runner(db)
            if opts.get("floor_queries"):  # the floor takes seconds a query at 1M
                mix = {shape: qs[: opts["floor_queries"]] for shape, qs in mix.items()}
                out["queries_per_shape"] = opts["floor_queries"]
        elif engine == "tantivy":
            out |= tantivy_build(db, opts["tantivy_threads"], opts["tantivy_heap_mb"])
            run, info = tantivy_runner(db)
        elif engine == "fonds+facets":  # searches the index the fonds engine built
            run, info = fonds_runner(
                db, every_facet=True, grouped=opts.get("grouped", False), server=opts["server"]
            )
        else:
            out |= fonds_build(db, opts["server"])
            run, info = fonds_runner(db, grouped=opts.get("grouped", False), server=opts["server"])
    except (ImportError, AttributeError) as err:
        return out | {"skipped": f"{engine}: {type(err).__name__}: {err}"}
    out |= info
    out["rss_after_build_mb"] = round(peak_rss_mb(), 1)
    if opts.get("settle"):  # the build's writes flushed and its after-work done first
        os.sync()
        time.sleep(opts["settle"])
        out["settled_seconds"] = opts["settle"]
    warm_up(run, mix)
    out["shapes"] = {shape: measure_shape(run, qs, opts["reps"]) for shape, qs in mix.items()}
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    out["loadavg_after"] = os.getloadavg()
    return out


def read_through(db: Path) -> float:
    """Read the database file once, so every engine builds from the page cache (an engine
    measured after another would otherwise find the pages the first one read)."""
    t0 = time.perf_counter()
    with open(db, "rb") as f:
        while f.read(1 << 22):
            pass
    return round(time.perf_counter() - t0, 1)


def run_isolated(
    engine: str, db: Path, mix: dict[str, list[BenchQuery]], opts: dict[str, Any]
) -> dict[str, Any]:
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(run_engine, (engine, db, mix, opts))


# -- reporting ----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import tantivy

    cpu = ""
    with Path("/proc/cpuinfo").open() as f:
        cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem / 2**30, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "tantivy": getattr(tantivy, "__version__", "?"),
        "platform": platform.platform(),
    }


def cell(result: dict[str, Any], shape: str) -> str:
    if "skipped" in result:
        return "skipped"
    s = result["shapes"][shape]
    ms = s["ms"]
    if not ms:
        return f"errors ({s['error_count']})"
    text = f"{ms['p50']:.1f} / {ms['p95']:.1f} / {ms['p99']:.1f}"
    return text + (f" ({s['error_count']} err)" if s["error_count"] else "")


def print_table(results: dict[str, Any]) -> None:
    engines = results["engines"]
    width = 28
    print(
        f"\n{results['documents']:,} documents — latency ms p50 / p95 / p99"
        " (hits: queries with ≥1 hit of the set)"
    )
    print("shape".ljust(14) + "".join(e.ljust(width) for e in engines))
    for shape in SHAPES:
        line = shape.ljust(14)
        for r in engines.values():
            c = cell(r, shape)
            if "shapes" in r:
                c += f" [{r['shapes'][shape]['with_hits']}]"
            line += c.ljust(width)
        print(line)
    for key, label in (
        ("build_seconds", "build s"),
        ("index_bytes", "index MB"),
        ("peak_rss_mb", "peak RSS MB"),
    ):
        line = label.ljust(14)
        for r in engines.values():
            v = r.get(key)
            shown = "—" if v is None else f"{v / 1e6:,.0f}" if key == "index_bytes" else f"{v:,}"
            line += shown.ljust(width)
        print(line)
    anchor = engines.get("tantivy", {}).get("shapes")
    for name in ("fonds", "fonds+facets"):
        mine = engines.get(name, {}).get("shapes")
        if not (anchor and mine):
            continue
        verdicts = []
        for shape in SHAPES:
            p95, floor = mine[shape]["ms"]["p95"], anchor[shape]["ms"]["p95"]
            limit = max(1.5 * floor, floor + 3.0)
            verdicts.append(f"{shape} {p95:.1f}/{limit:.1f} {'ok' if p95 <= limit else 'OVER'}")
        print(f"{name} p95 against max(1.5 × tantivy, tantivy + 3 ms): " + "; ".join(verdicts))
    for name, r in engines.items():
        for key in ("skipped", "build_skipped"):
            if key in r:
                print(f"note: {name}: {r[key]}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", type=Path, help="a database made by gen_corpus.py")
    ap.add_argument("--queries", type=int, default=100, help="queries per shape (100)")
    ap.add_argument("--reps", type=int, default=3, help="timed runs per query (3)")
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help="fonds,fonds+facets,fts5,tantivy (fonds+facets after fonds)",
    )
    ap.add_argument(
        "--no-fts-rebuild",
        action="store_true",
        help="do not time an FTS5 'rebuild' (it is slow at 1M)",
    )
    ap.add_argument(
        "--floor-queries",
        type=int,
        help="measure FTS5 (the floor) on only the first N queries of each shape",
    )
    ap.add_argument("--tantivy-threads", type=int, default=1)
    ap.add_argument("--tantivy-heap-mb", type=int, default=512)
    ap.add_argument(
        "--copies",
        choices=("all", "grouped"),
        default="all",
        help="fonds: every copy a hit (all), or a copy group one hit, as the web does (grouped)",
    )
    ap.add_argument(
        "--fonds-db",
        help="fonds engines: search this PostgreSQL copy of the database (fonds transfer),"
        " with the queries made from the SQLite file",
    )
    ap.add_argument(
        "--settle",
        type=float,
        default=0.0,
        help="seconds to wait after an engine's build before its warm-up (its writes flushed"
        " first), so that the build's after-work (write-back, a server's checkpoint) is not"
        " measured as search",
    )
    ap.add_argument("--out", type=Path, help="JSON results (benchmarks/results/search-<n>.json)")
    args = ap.parse_args(argv)
    if not args.db.exists():
        sys.exit(f"{args.db}: no such database (make one with gen_corpus.py)")

    conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    size = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    conn.close()
    t0 = time.perf_counter()
    mix = make_queries(args.db, args.queries, args.seed)
    print(
        f"{size:,} documents; query mix made in {time.perf_counter() - t0:.1f} s", file=sys.stderr
    )
    opts = {
        "reps": args.reps,
        "fts_rebuild": not args.no_fts_rebuild,
        "floor_queries": args.floor_queries,
        "tantivy_threads": args.tantivy_threads,
        "tantivy_heap_mb": args.tantivy_heap_mb,
        "grouped": args.copies == "grouped",
        "server": args.fonds_db,
        "settle": args.settle,
    }
    results: dict[str, Any] = {
        "documents": size,
        "database_bytes": args.db.stat().st_size,
        "machine": machine(),
        "method": {
            "queries_per_shape": args.queries,
            "floor_queries_per_shape": args.floor_queries or args.queries,
            "reps": args.reps,
            "seed": args.seed,
            "statistic": "per-query median of reps, then percentiles over the set",
            "limit": 20,
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "engines": {},
        "examples": {s: [asdict(q) for q in qs[:5]] for s, qs in mix.items()},
    }
    for engine in args.engines.split(","):
        t1 = time.perf_counter()
        print(f"{engine}: building and measuring…", file=sys.stderr)
        results["engines"][engine] = run_isolated(engine, args.db, mix, opts)
        print(f"{engine}: done in {time.perf_counter() - t1:.0f} s", file=sys.stderr)
    print_table(results)
    out = args.out or HERE / "results" / f"search-{size_label(size)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(f"\nwrote {out}", file=sys.stderr)


def size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


if __name__ == "__main__":
    main()
