"""Score several trackers on one benchmark and write report.md, report.json and PNG plots."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from hrom.benchmarks.metrics import NORM_PRECISION_THRESHOLDS, PRECISION_THRESHOLDS, SUCCESS_THRESHOLDS
from hrom.benchmarks.registry import BenchmarkSpec, get_spec, open_benchmark
from hrom.io import atomic_write_bytes, atomic_write_text
from hrom.benchmarks.scoring import score_tracker
from hrom.errors import HromError

# the score each benchmark family ranks by, and the columns of its table
PRIMARY = {"otb": "success_auc", "uav": "success_auc", "lasot": "success_auc", "got10k": "ao", "vot": "eao"}
COLUMNS = {
    "otb": ("success_auc", "precision_20px", "norm_precision", "success_rate_0.5", "fps"),
    "uav": ("success_auc", "precision_20px", "norm_precision", "success_rate_0.5", "fps"),
    "lasot": ("success_auc", "precision_20px", "norm_precision", "norm_precision_0.2", "fps"),
    "got10k": ("ao", "sr_0.5", "sr_0.75", "fps"),
    "vot": ("eao", "accuracy", "robustness", "lost_number", "fps"),
}


def find_tracker_dirs(results: Path, spec: BenchmarkSpec, trackers: list[str] | None) -> dict[str, Path]:
    """Tracker result folders: ``results/<folder>/<tracker>`` (or an alias folder, or ``results/<tracker>``
    when ``results`` already is the benchmark folder); a tracker may also be given as a path."""
    results = Path(results)
    bases = [results / f for f in (spec.folder, spec.name, *spec.aliases)] + [results]
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
                raise HromError(f"{t}: no result folder {results / spec.folder / t}; expected "
                                f"<results>/{spec.folder}/<tracker>/ or a path to a tracker folder")
        return out
    for b in bases[:-1]:
        if b.is_dir():
            out = {d.name: d for d in sorted(b.iterdir()) if d.is_dir() and not d.name.startswith(".")}
            if out:
                return out
    raise HromError(f"{results}: no tracker folders under {results / spec.folder}; expected <results>/{spec.folder}/<tracker>/")


def evaluate(benchmark: str, root: str | Path, results: str | Path, trackers: list[str] | None = None,
             sequences: list[str] | None = None, partial: bool = False, overlap: str = "vot2018") -> dict:
    """``{"benchmark", "scoring", "trackers": {name: {"overall", "per_sequence", "per_attribute"}}}``.

    ``overlap``: the VOT overlap convention (``vot2018``, ``vot-toolkit`` or ``exact``)."""
    from hrom.benchmarks.runner import select_sequences

    spec = get_spec(benchmark)
    reader = open_benchmark(benchmark, root, partial=partial)
    seqs = [reader.load(n) for n in select_sequences(reader, sequences)]
    dirs = find_tracker_dirs(Path(results), spec, trackers)
    scores = {name: score_tracker(spec.scoring, seqs, d, overlap) for name, d in dirs.items()}
    return {"benchmark": spec.name, "scoring": spec.scoring, "sequences": [s.name for s in seqs], "trackers": scores}


def _ranked(report: dict) -> list[str]:
    key = PRIMARY[report["scoring"]]
    return sorted(report["trackers"], key=lambda t: -report["trackers"][t]["overall"][key])


def render_markdown(report: dict) -> str:
    scoring = report["scoring"]
    cols = COLUMNS[scoring]
    lines = [f"# {report['benchmark']} ({len(report['sequences'])} sequences)", "",
             "| rank | tracker | " + " | ".join(cols) + " |", "|---" * (len(cols) + 2) + "|"]
    for i, t in enumerate(_ranked(report), 1):
        o = report["trackers"][t]["overall"]
        lines.append(f"| {i} | {t} | " + " | ".join(f"{o[c]:.3f}" for c in cols) + " |")
    attrs = sorted({a for t in report["trackers"].values() for a in t["per_attribute"]})
    if attrs:
        metric = "accuracy" if scoring == "vot" else "success_auc"
        lines += ["", f"## Per attribute ({metric})", "", "| tracker | " + " | ".join(attrs) + " |",
                  "|---" * (len(attrs) + 1) + "|"]
        for t in _ranked(report):
            pa = report["trackers"][t]["per_attribute"]
            lines.append(f"| {t} | " + " | ".join(f"{pa[a][metric]:.3f}" if a in pa else "-" for a in attrs) + " |")
    return "\n".join(lines) + "\n"


def _save(fig, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())


def _curve_plot(report, key, xs, score_key, title, xlabel, ylabel, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    order = sorted(report["trackers"], key=lambda t: -report["trackers"][t]["overall"][score_key])
    for t in order:
        o = report["trackers"][t]["overall"]
        ax.plot(xs, o[key], label=f"{t} [{o[score_key]:.3f}]")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, xlim=(xs[0], xs[-1]), ylim=(0, 1))
    ax.grid(True, alpha=0.4)
    ax.legend(loc="best", fontsize=8)
    _save(fig, path)
    plt.close(fig)


def write_plots(report: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scoring, bench, written = report["scoring"], report["benchmark"], []
    if scoring in ("otb", "uav", "lasot"):
        for key, xs, sk, title, xl in (
            ("success_curve", SUCCESS_THRESHOLDS, "success_auc", "Success plot", "Overlap threshold"),
            ("precision_curve", PRECISION_THRESHOLDS, "precision_20px", "Precision plot", "Location error threshold (px)"),
            ("norm_precision_curve", NORM_PRECISION_THRESHOLDS, "norm_precision", "Normalized precision plot",
             "Normalized location error threshold"),
        ):
            p = out / f"{key.replace('_curve', '')}.png"
            _curve_plot(report, key, xs, sk, f"{title} of OPE on {bench}", xl, "Success rate" if sk == "success_auc" else "Precision", p)
            written.append(p)
        attrs = sorted({a for t in report["trackers"].values() for a in t["per_attribute"]})
        if attrs:
            n = len(attrs)
            cols = min(4, n)
            rows = (n + cols - 1) // cols
            fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.0 * rows), squeeze=False)
            for ax, a in zip(axes.flat, attrs):
                for t in _ranked(report):
                    pa = report["trackers"][t]["per_attribute"].get(a)
                    if pa:
                        ax.plot(SUCCESS_THRESHOLDS, pa["success_curve"], label=f"{t} [{pa['success_auc']:.3f}]")
                ax.set_title(f"{a} ({pa['sequences'] if pa else 0} seq)", fontsize=9)
                ax.set_ylim(0, 1)
                ax.grid(True, alpha=0.4)
                ax.legend(fontsize=6)
            for ax in list(axes.flat)[n:]:
                ax.axis("off")
            fig.suptitle(f"Success per attribute on {bench}")
            p = out / "attributes_success.png"
            _save(fig, p)
            plt.close(fig)
            written.append(p)
    elif scoring == "got10k":
        p = out / "success.png"
        _curve_plot(report, "success_curve", np.linspace(0, 1, 101), "ao", f"Success plot on {bench}",
                    "Overlap threshold", "Success rate", p)
        written.append(p)
    elif scoring == "vot":
        fig, ax = plt.subplots(figsize=(6, 4.5))
        for t in _ranked(report):
            o = report["trackers"][t]["overall"]
            c = np.asarray(o["eao_curve"])
            ax.plot(np.arange(1, len(c) + 1), c, label=f"{t} [EAO {o['eao']:.3f}]")
        lo, hi = report["trackers"][_ranked(report)[0]]["overall"]["eao_interval"]
        ax.axvspan(lo, hi, color="grey", alpha=0.15, label=f"interval [{lo}, {hi}]")
        ax.set(xlabel="Sequence length", ylabel="Expected overlap", title=f"Expected average overlap on {bench}", ylim=(0, 1))
        ax.grid(True, alpha=0.4)
        ax.legend(fontsize=8)
        p = out / "eao_curve.png"
        _save(fig, p)
        plt.close(fig)
        written.append(p)
    key = PRIMARY[scoring]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for t in _ranked(report):
        o = report["trackers"][t]["overall"]
        ax.scatter([max(o["fps"], 0)], [o[key]], s=40)
        ax.annotate(t, (max(o["fps"], 0), o[key]), fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax.set(xlabel="Speed (fps, from the per-frame times)", ylabel=key, title=f"{key} vs speed on {bench}")
    ax.grid(True, alpha=0.4)
    p = out / "score_vs_fps.png"
    _save(fig, p)
    plt.close(fig)
    written.append(p)
    return written


def write_report(report: dict, out: str | Path) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "report.json", json.dumps(report, indent=1))
    atomic_write_text(out / "report.md", render_markdown(report))
    return [out / "report.json", out / "report.md"] + write_plots(report, out)
