"""Plot p95 search latency against corpus size, one panel per query shape.

Reads every ``benchmarks/results/search-*.json`` written by ``search_bench.py`` and draws
fonds (with facet counts where the others count too, and on every query), plain FTS5 (the
floor) and plain Tantivy (the anchor) on log–log axes, with the
issue 8 targets (10 ms at 100k, 30 ms at 1M) marked. Needs matplotlib (not a fonds
dependency: ``pip install matplotlib``).

    python benchmarks/plot_search.py
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SHAPES = ("common", "rare_name", "prefix", "phrase", "alias", "person_date", "facets")
STYLE = {
    "fonds": ("tab:red", "o", "fonds (full query path)"),
    "fonds+facets": ("tab:orange", "x", "fonds, facet counts on every query"),
    "fts5": ("tab:blue", "s", "SQLite FTS5 (floor)"),
    "tantivy": ("tab:green", "^", "Tantivy (anchor)"),
}
TARGETS = [(100_000, 10.0), (1_000_000, 30.0)]


def load(folder: Path) -> list[dict[str, Any]]:
    runs = [json.loads(p.read_text()) for p in sorted(folder.glob("search-*.json"))]
    return sorted(runs, key=lambda r: r["documents"])


def series(runs: list[dict[str, Any]], engine: str, shape: str) -> tuple[list[int], list[float]]:
    xs: list[int] = []
    ys: list[float] = []
    for run in runs:
        measured = run["engines"].get(engine, {}).get("shapes", {}).get(shape, {})
        ms = measured.get("ms", {})
        # a shape the engine does not understand yet (no hits for most queries) is left out
        if "p95" in ms and 2 * measured.get("with_hits", 0) >= measured.get("queries", 0):
            xs.append(run["documents"])
            ys.append(max(ms["p95"], 0.01))
    return xs, ys


def draw(runs: list[dict[str, Any]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(16, 8), sharex=True, sharey=True)
    for ax, shape in zip(axes.flat, SHAPES, strict=False):
        for engine, (color, marker, label) in STYLE.items():
            xs, ys = series(runs, engine, shape)
            if xs:
                ax.plot(xs, ys, color=color, marker=marker, label=label)
        ax.plot(*zip(*TARGETS, strict=True), "k--", linewidth=0.8, label="target p95")
        ax.set_title(shape.replace("_", " "))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
    axes.flat[-1].axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    axes.flat[-1].legend(handles, labels, loc="center")
    for ax in axes[-1]:
        ax.set_xlabel("documents")
    for ax in axes[:, 0]:
        ax.set_ylabel("p95 latency (ms)")
    machine = runs[-1]["machine"]
    fig.suptitle(
        f"fonds search: p95 latency per query shape against corpus size "
        f"({machine['cores']} cores, top 20 with snippets)"
    )
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", type=Path, default=HERE / "results")
    ap.add_argument("--out", type=Path, default=HERE / "search-latency.png")
    args = ap.parse_args(argv)
    runs = load(args.results)
    if not runs:
        raise SystemExit(f"no search-*.json in {args.results}: run search_bench.py first")
    draw(runs, args.out)
    print(f"wrote {args.out} from {len(runs)} result files")


if __name__ == "__main__":
    main()
