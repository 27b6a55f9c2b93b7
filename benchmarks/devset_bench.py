"""fonds on the development set of documents it was never tuned on, against plain spaCy.

    python benchmarks/devset_bench.py [--model NAME] [--errors] [--json out.json]
                                      [--only PART] [--no-baseline]

The development set is ``tests/devset/*/``: each part holds ``docs/``, a hand-made
``gold.json`` in the format of ``../shared/gold/seeds.json`` and a ``MANIFEST.md`` naming
every source. This script

1. ingests every part's documents into one temporary fonds database with the entity
   stage on (recognizer ``--model``, the default one otherwise) and times it;
2. scores the exported records against the merged gold with the rules of
   ``../shared/eval/score.py``: titles, dates, senders and recipients right, people
   recall and precision, places and organizations recall, same-/different-entity checks;
3. runs plain spaCy NER (the same model, whole pipeline) over the same record fields, as
   Aleph and Datashare do, and scores it the same way.

The test ``tests/test_devset.py`` runs ``../shared/eval/score.py`` itself on the same set.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import entity_bench as eb  # the scorer and the spaCy baseline live there

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "tests" / "devset"
METADATA = ("title", "date", "doc_type", "classification")


def parts(only: str | None = None) -> list[Path]:
    """The folders of the development set that hold a gold file."""
    return sorted(p.parent for p in DEVSET.glob("*/gold.json") if only in (None, p.parent.name))


def merged_gold(folders: list[Path]) -> dict[str, Any]:
    """One gold file for every part (document keys are file names, unique across parts)."""
    out: dict[str, Any] = {"documents": {}, "same_entity": [], "different_entities": []}
    for folder in folders:
        gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
        for key, doc in gold["documents"].items():
            if key in out["documents"]:
                raise ValueError(f"{folder.name}: document key {key} is also in another part")
            out["documents"][key] = doc
        out["same_entity"] += gold.get("same_entity", [])
        out["different_entities"] += gold.get("different_entities", [])
    return out


def ingest(
    db: Path, paths: list[Path], model: str, surfaces: list[str], resolved: dict[str, str | None]
) -> tuple[list[dict[str, Any]], float]:
    """Ingest ``paths`` with the entity stage on; the records as exported and the seconds.
    Each of ``surfaces`` is resolved as ``fonds entity resolve`` would, into ``resolved``."""
    from fonds.entities.stage import EntityStage
    from fonds.pipeline import ingest as run_ingest
    from fonds.store.sqlite import Store

    store = Store(db)
    try:
        started = time.perf_counter()
        stage = EntityStage.for_store(store, ner=model)
        summary = run_ingest(store, paths, stage.annotate, settle=stage.settle)
        seconds = time.perf_counter() - started
        failed = [o.message for o in summary.outcomes if o.status == "failed"]
        if failed:
            raise RuntimeError(f"ingest failed: {failed}")
        records = list(store.iter_records())
        resolver = EntityStage.for_store(store, ner="none")
        for surface in surfaces:
            found = resolver.resolve_name(surface)
            resolved[surface] = found["id"] if found else None
        return records, seconds
    finally:
        store.close()


def metadata_checks(gold_docs: dict[str, Any], records: dict[str, dict]) -> dict[str, list]:
    """Per field, the (document, got, accepted) of every check, right or wrong."""
    out: dict[str, list] = {f: [] for f in (*METADATA, "sender", "recipients")}
    for key, g in gold_docs.items():
        rec = records[key]
        for fld in METADATA:
            if fld not in g:
                continue
            got = rec.get(fld)
            ok = (
                (got in (None, ""))
                if g[fld] is None
                else (got is not None and eb.fold(got) in {eb.fold(v) for v in g[fld]})
            )
            out[fld].append((key, ok, got, g[fld]))
        for role in ("sender", "recipients"):
            got = rec.get(role)
            got = got if isinstance(got, list) else ([got] if got else [])
            names = {eb.fold(p.get("name", "")) for p in got if p}
            for group in g.get(role, []):
                ok = bool(names & {eb.fold(n) for n in group})
                out[role].append((key, ok, sorted(names), group))
    return out


def run(model: str, only: str | None, baseline: bool) -> dict[str, Any]:
    folders = parts(only)
    if not folders:
        raise SystemExit(f"no development set under {DEVSET}")
    gold = merged_gold(folders)
    with tempfile.TemporaryDirectory() as tmp:
        surfaces = [x for g in gold["same_entity"] + gold["different_entities"] for x in g]
        resolved: dict[str, str | None] = {}
        records, seconds = ingest(
            Path(tmp) / "dev.db", [f / "docs" for f in folders], model, surfaces, resolved
        )
    # As score.py matches them: by file name, the last record of a file winning.
    by_key = {Path((r.get("source") or {}).get("path", "")).name: r for r in records}
    missing = sorted(set(gold["documents"]) - set(by_key))
    if missing:
        raise SystemExit(f"gold documents not ingested: {missing}")
    docs = {k: by_key[k] for k in gold["documents"]}
    fonds_entities = {k: r.get("entities") or [] for k, r in docs.items()}
    result: dict[str, Any] = {
        "model": model,
        "parts": [f.name for f in folders],
        "documents": len(docs),
        "ingest_seconds": round(seconds, 2),
        "documents_per_second": round(len(records) / seconds, 2) if seconds else None,
        "metadata": metadata_checks(gold["documents"], docs),
        "fonds": eb.score(gold["documents"], fonds_entities),
        "identity": eb.identity_checks(gold, fonds_entities.values(), resolved),
        "gold": gold["documents"],
        "entities": fonds_entities,
    }
    if baseline:
        recs = list(docs.values())
        spacy = eb.spacy_entities(recs, eb.spacy_docs(recs))
        by_id = {r["id"]: k for k, r in docs.items()}
        spacy_by_key = {by_id[r["id"]]: spacy[eb.doc_key(r)] for r in recs}
        result["spacy"] = eb.score(gold["documents"], spacy_by_key)
    return result


def table(res: dict[str, Any]) -> str:
    lines = [
        f"development set: {res['documents']} documents ({', '.join(res['parts'])}), "
        f"recognizer {res['model']}, ingest {res['ingest_seconds']} s "
        f"({res['documents_per_second']} documents/s)",
        "",
        "| check | right |",
        "|---|---:|",
    ]
    for fld, checks in res["metadata"].items():
        if checks:
            right = sum(1 for c in checks if c[1])
            lines.append(f"| {fld} | {right} / {len(checks)} |")
    passed, total, _ = res["identity"]
    lines.append(f"| same-/different-entity checks | {passed} / {total} |")
    lines += [
        "",
        "| system | people P | people R | places R | orgs R |",
        "|---|---:|---:|---:|---:|",
    ]
    for label in ("fonds", "spacy"):
        s = res.get(label)
        if s is None:
            continue
        j = s.as_json()
        lines.append(
            f"| {label} | {j['people_precision']:.3f} ({s.correct}/{s.predicted}) | "
            f"{j['people_recall']:.3f} ({s.found}/{s.gold}) | "
            f"{(j['places_recall'] or 0):.3f} ({s.places_found}/{s.places}) | "
            f"{(j['organizations_recall'] or 0):.3f} ({s.orgs_found}/{s.orgs}) |"
        )
    return "\n".join(lines)


def errors(res: dict[str, Any]) -> str:
    out = []
    for fld, checks in res["metadata"].items():
        for key, ok, got, accepted in checks:
            if not ok:
                out.append(f"{fld:14s} {key}: got {got!r}, accepted {accepted}")
    s = res["fonds"]
    out += [f"person missed  {doc}: {name}" for doc, name in s.misses]
    out += [f"person extra   {doc}: {name} {texts}" for doc, name, texts in s.false_positives]
    out += [f"identity       {f}" for f in res["identity"][2]]
    for key, g in res["gold"].items():
        entities = res["entities"][key]
        for etype, field_name in (("place", "places"), ("organization", "organizations")):
            for group in g.get(field_name, []):
                if not eb._found(entities, group, etype):
                    out.append(f"{etype:14s} {key}: {group[0]} missed")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=os.environ.get("FONDS_NER_MODEL", eb.MODEL))
    ap.add_argument("--only", help="one part of the development set")
    ap.add_argument("--errors", action="store_true", help="list every failed check")
    ap.add_argument("--no-baseline", action="store_true", help="skip plain spaCy")
    ap.add_argument("--json", help="write the figures to this file")
    a = ap.parse_args(argv)
    res = run(a.model, a.only, not a.no_baseline)
    print(table(res))
    if a.errors:
        print()
        print(errors(res))
    if a.json:
        out = {
            k: v
            for k, v in res.items()
            if k not in ("metadata", "fonds", "spacy", "identity", "gold", "entities")
        }
        out["metadata"] = {
            f: [sum(1 for c in v if c[1]), len(v)] for f, v in res["metadata"].items()
        }
        out["identity"] = list(res["identity"][:2])
        for label in ("fonds", "spacy"):
            if label in res:
                out[label] = res[label].as_json()
        Path(a.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
