"""Score several trackers on one benchmark and write report.md, report.json and PNG plots.

What is scored, ranked and plotted is the benchmark's own (:class:`~hrom.benchmarks.benchmark.Benchmark`);
this module finds the result folders and writes the files."""

from __future__ import annotations

import json
from pathlib import Path

from hrom.benchmarks.base import select_sequences
from hrom.benchmarks.benchmark import Benchmark
from hrom.benchmarks.registry import get_benchmark
from hrom.errors import HromError
from hrom.io import atomic_write_text


def find_tracker_dirs(results: Path, bench: Benchmark, trackers: list[str] | None) -> dict[str, Path]:
    """Tracker result folders: ``results/<folder>/<tracker>`` (or an alias folder, or ``results/<tracker>``
    when ``results`` already is the benchmark folder); a tracker may also be given as a path."""
    results = Path(results)
    bases = [results / f for f in (bench.folder, bench.name, *bench.aliases)] + [results]
    out: dict[str, Path] = {}
    if trackers:
        for t in trackers:
            p = Path(t)
            if p.is_dir() and (p.is_absolute() or len(p.parts) > 1):
                out[p.name] = p
                continue
            for b in bases:
                if (b / t).is_dir():
                    out[t] = b / t
                    break
            else:
                raise HromError(f"{t}: no result folder {results / bench.folder / t}; expected "
                                f"<results>/{bench.folder}/<tracker>/ or a path to a tracker folder")
        return out
    for b in bases[:-1]:
        if b.is_dir():
            out = {d.name: d for d in sorted(b.iterdir()) if d.is_dir() and not d.name.startswith(".")}
            if out:
                return out
    raise HromError(f"{results}: no tracker folders under {results / bench.folder}; expected <results>/{bench.folder}/<tracker>/")


def evaluate(benchmark: str, root: str | Path, results: str | Path, trackers: list[str] | None = None,
             sequences: list[str] | None = None, partial: bool = False, overlap: str = "vot2018") -> dict:
    """``{"benchmark", "scoring", "sequences", "trackers": {name: {"overall", "per_sequence", "per_attribute"}}}``.

    ``overlap``: the VOT overlap convention (``vot2018``, ``vot-toolkit`` or ``exact``)."""
    bench = get_benchmark(benchmark)
    reader = bench.open(root, partial=partial)
    seqs = [reader.load(n) for n in select_sequences(reader, sequences)]
    dirs = find_tracker_dirs(Path(results), bench, trackers)
    scores = {name: bench.score(seqs, d, overlap) for name, d in dirs.items()}
    return {"benchmark": bench.name, "scoring": bench.scoring, "sequences": [s.name for s in seqs], "trackers": scores}


def render_markdown(report: dict, bench: Benchmark) -> str:
    """The ranking table (the benchmark's columns) and the per-attribute table."""
    cols = bench.columns
    order = bench.ranked(report)
    lines = [f"# {report['benchmark']} ({len(report['sequences'])} sequences)", "",
             "| rank | tracker | " + " | ".join(cols) + " |", "|---" * (len(cols) + 2) + "|"]
    for i, t in enumerate(order, 1):
        o = report["trackers"][t]["overall"]
        lines.append(f"| {i} | {t} | " + " | ".join(f"{o[c]:.3f}" for c in cols) + " |")
    attrs = sorted({a for t in report["trackers"].values() for a in t["per_attribute"]})
    if attrs:
        metric = bench.attribute_metric
        lines += ["", f"## Per attribute ({metric})", "", "| tracker | " + " | ".join(attrs) + " |",
                  "|---" * (len(attrs) + 1) + "|"]
        for t in order:
            pa = report["trackers"][t]["per_attribute"]
            lines.append(f"| {t} | " + " | ".join(f"{pa[a][metric]:.3f}" if a in pa else "-" for a in attrs) + " |")
    return "\n".join(lines) + "\n"


def write_report(report: dict, out: str | Path) -> list[Path]:
    """``report.json``, ``report.md`` and the benchmark's plots in ``out`` (returned in that order)."""
    bench = get_benchmark(report["benchmark"])
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "report.json", json.dumps(report, indent=1))
    atomic_write_text(out / "report.md", render_markdown(report, bench))
    return [out / "report.json", out / "report.md"] + bench.plot(report, out)
