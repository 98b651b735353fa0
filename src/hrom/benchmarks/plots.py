"""The report's PNG plots (matplotlib's Agg backend, written atomically). Each benchmark's
``plot`` picks the ones that fit its scores; ``order`` is its ranking of the trackers."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from hrom.benchmarks.metrics import NORM_PRECISION_THRESHOLDS, PRECISION_THRESHOLDS, SUCCESS_THRESHOLDS
from hrom.io import atomic_write_bytes


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())
    _pyplot().close(fig)
    return path


def _curve_plot(report: dict, key: str, xs, score_key: str, title: str, xlabel: str, ylabel: str, path: Path) -> Path:
    """One curve per tracker, labelled and ordered by its ``score_key``."""
    fig, ax = _pyplot().subplots(figsize=(6, 4.5))
    order = sorted(report["trackers"], key=lambda t: -report["trackers"][t]["overall"][score_key])
    for t in order:
        o = report["trackers"][t]["overall"]
        ax.plot(xs, o[key], label=f"{t} [{o[score_key]:.3f}]")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, xlim=(xs[0], xs[-1]), ylim=(0, 1))
    ax.grid(True, alpha=0.4)
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)


def plot_ope_curves(report: dict, out: Path, order: list[str]) -> list[Path]:
    """``success.png``, ``precision.png``, ``norm_precision.png`` and, when sequences have
    attributes, ``attributes_success.png`` (one panel per attribute)."""
    bench, written = report["benchmark"], []
    for key, xs, sk, title, xl in (
        ("success_curve", SUCCESS_THRESHOLDS, "success_auc", "Success plot", "Overlap threshold"),
        ("precision_curve", PRECISION_THRESHOLDS, "precision_20px", "Precision plot", "Location error threshold (px)"),
        ("norm_precision_curve", NORM_PRECISION_THRESHOLDS, "norm_precision", "Normalized precision plot",
         "Normalized location error threshold"),
    ):
        p = out / f"{key.replace('_curve', '')}.png"
        ylabel = "Success rate" if sk == "success_auc" else "Precision"
        written.append(_curve_plot(report, key, xs, sk, f"{title} of OPE on {bench}", xl, ylabel, p))
    attrs = sorted({a for t in report["trackers"].values() for a in t["per_attribute"]})
    if attrs:
        n = len(attrs)
        cols = min(4, n)
        rows = (n + cols - 1) // cols
        fig, axes = _pyplot().subplots(rows, cols, figsize=(3.6 * cols, 3.0 * rows), squeeze=False)
        for ax, a in zip(axes.flat, attrs):
            for t in order:
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
        written.append(_save(fig, out / "attributes_success.png"))
    return written


def plot_got10k_success(report: dict, out: Path) -> list[Path]:
    """``success.png`` over the GOT-10k toolkit's 101 overlap thresholds."""
    return [_curve_plot(report, "success_curve", np.linspace(0, 1, 101), "ao", f"Success plot on {report['benchmark']}",
                        "Overlap threshold", "Success rate", out / "success.png")]


def plot_eao_curve(report: dict, out: Path, order: list[str]) -> list[Path]:
    """``eao_curve.png``: the expected-overlap curves and the EAO interval."""
    fig, ax = _pyplot().subplots(figsize=(6, 4.5))
    for t in order:
        o = report["trackers"][t]["overall"]
        c = np.asarray(o["eao_curve"])
        ax.plot(np.arange(1, len(c) + 1), c, label=f"{t} [EAO {o['eao']:.3f}]")
    lo, hi = report["trackers"][order[0]]["overall"]["eao_interval"]
    ax.axvspan(lo, hi, color="grey", alpha=0.15, label=f"interval [{lo}, {hi}]")
    ax.set(xlabel="Sequence length", ylabel="Expected overlap",
           title=f"Expected average overlap on {report['benchmark']}", ylim=(0, 1))
    ax.grid(True, alpha=0.4)
    ax.legend(fontsize=8)
    return [_save(fig, out / "eao_curve.png")]


def plot_score_vs_fps(report: dict, out: Path, order: list[str], key: str) -> Path:
    """``score_vs_fps.png``: the benchmark's primary score against the measured speed."""
    fig, ax = _pyplot().subplots(figsize=(6, 4.5))
    for t in order:
        o = report["trackers"][t]["overall"]
        ax.scatter([max(o["fps"], 0)], [o[key]], s=40)
        ax.annotate(t, (max(o["fps"], 0), o[key]), fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax.set(xlabel="Speed (fps, from the per-frame times)", ylabel=key, title=f"{key} vs speed on {report['benchmark']}")
    ax.grid(True, alpha=0.4)
    return _save(fig, out / "score_vs_fps.png")


EPOCH_CURVE_KEYS = ("success_auc", "precision_20px", "ao", "eao")  # whichever the benchmark reports


def plot_epoch_curve(events: list[dict], out_png: str | Path, title: str = "validation") -> Path | None:
    """Score per epoch (``events``: dicts with ``epoch`` and the benchmark's overall scores), one
    line per score key present; None when there is nothing to plot.  Used for a training run's
    ``val_curve.png`` and by ``hrom eval epochs``."""
    keys = [k for k in EPOCH_CURVE_KEYS if any(k in e for e in events)]
    if not events or not keys:
        return None
    from matplotlib.ticker import MaxNLocator

    fig, ax = _pyplot().subplots(figsize=(6, 4))
    for k in keys:
        pts = sorted((e["epoch"], e[k]) for e in events if k in e)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=k)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    ax.set(xlabel="epoch", ylabel="score", ylim=(0, 1), title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, Path(out_png))

