"""Score several trackers on one benchmark and write report.md, report.json and PNG plots.

What is scored, ranked and plotted is the benchmark's own (:class:`~hrom.benchmarks.benchmark.Benchmark`);
this module finds the result folders and writes the files."""

from __future__ import annotations

import fnmatch
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


def parse_groups(specs: list[str] | None) -> dict[str, list[str]]:
    """``["davis=val_davis*", "drone=val_ir*,val_v*"]`` -> ``{"davis": ["val_davis*"], ...}`` (``--group``)."""
    groups: dict[str, list[str]] = {}
    for spec in specs or []:
        name, sep, patterns = spec.partition("=")
        pats = [p.strip() for p in patterns.split(",") if p.strip()]
        if not sep or not name.strip() or not pats:
            raise HromError(f"--group {spec!r}: expected NAME=PATTERN[,PATTERN...] with shell patterns over "
                            "sequence names, e.g. --group davis='val_davis*'")
        if name.strip() in groups:
            raise HromError(f"--group {spec!r}: group {name.strip()!r} is given twice; expected one --group per name")
        groups[name.strip()] = pats
    return groups


def group_sequences(names: list[str], groups: dict[str, list[str]]) -> dict[str, list[str]]:
    """The sequence names each group's patterns match (in benchmark order); a group matching none is an error."""
    out = {}
    for g, pats in groups.items():
        out[g] = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in pats)]
        if not out[g]:
            raise HromError(f"--group {g}={','.join(pats)}: matches none of the {len(names)} sequences "
                            f"(e.g. {', '.join(names[:3])}); expected shell patterns over sequence names")
    return out


def evaluate(benchmark: str, root: str | Path, results: str | Path, trackers: list[str] | None = None,
             sequences: list[str] | None = None, partial: bool = False, overlap: str = "vot2018",
             groups: dict[str, list[str]] | None = None) -> dict:
    """``{"benchmark", "scoring", "sequences", "groups", "trackers": {name: {"overall", "per_sequence",
    "per_attribute", "per_group"}}}``.

    ``overlap``: the VOT overlap convention (``vot2018``, ``vot-toolkit`` or ``exact``).  ``groups``: name ->
    shell patterns over sequence names; each group is scored as its own benchmark subset (the benchmark's own
    pooling, e.g. frame-weighted AO for GOT-10k), so per-domain numbers need no script."""
    bench = get_benchmark(benchmark)
    reader = bench.open(root, partial=partial)
    seqs = [reader.load(n) for n in select_sequences(reader, sequences)]
    members = group_sequences([s.name for s in seqs], groups or {})
    dirs = find_tracker_dirs(Path(results), bench, trackers)
    scores = {}
    for name, d in dirs.items():
        scores[name] = bench.score(seqs, d, overlap)
        per_group = {}
        for g, names in members.items():
            chosen = set(names)
            sub = bench.score([s for s in seqs if s.name in chosen], d, overlap)["overall"]
            per_group[g] = {c: sub[c] for c in bench.columns if c in sub} | {"sequences": len(names)}
        scores[name]["per_group"] = per_group
    return {"benchmark": bench.name, "scoring": bench.scoring, "sequences": [s.name for s in seqs],
            "groups": members, "trackers": scores}


def render_markdown(report: dict, bench: Benchmark) -> str:
    """The ranking table (the benchmark's columns), the per-attribute table and the per-group table."""
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
    groups = report.get("groups") or {}
    if groups:
        lines += ["", f"## Per group ({bench.primary})", "",
                  "| tracker | " + " | ".join(f"{g} ({len(n)})" for g, n in groups.items()) + " |",
                  "|---" * (len(groups) + 1) + "|"]
        for t in order:
            pg = report["trackers"][t].get("per_group", {})
            lines.append(f"| {t} | " + " | ".join(f"{pg[g][bench.primary]:.3f}" if g in pg else "-"
                                                   for g in groups) + " |")
    return "\n".join(lines) + "\n"


def write_report(report: dict, out: str | Path) -> list[Path]:
    """``report.json``, ``report.md`` and the benchmark's plots in ``out`` (returned in that order)."""
    bench = get_benchmark(report["benchmark"])
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "report.json", json.dumps(report, indent=1))
    atomic_write_text(out / "report.md", render_markdown(report, bench))
    return [out / "report.json", out / "report.md"] + bench.plot(report, out)
