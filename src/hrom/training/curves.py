"""The validation curve of a run: every ``eval`` event of ``log.jsonl`` plotted per epoch (PNG)."""

from __future__ import annotations

import json
from pathlib import Path

from hrom.io import atomic_write

KEYS = ("success_auc", "precision_20px", "ao", "eao")  # whichever the benchmark reports


def read_eval_events(log_path: str | Path) -> list[dict]:
    """The eval records of a run log, the latest one per epoch (a resumed run may repeat one)."""
    per_epoch: dict[int, dict] = {}
    for line in Path(log_path).read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if rec.get("event") == "eval" and "epoch" in rec:
            per_epoch[int(rec["epoch"])] = rec
    return [per_epoch[e] for e in sorted(per_epoch)]


def plot_eval_curve(log_path: str | Path, out_png: str | Path, title: str = "validation") -> Path | None:
    """Write ``out_png`` (atomically); None when the log has no evaluation yet."""
    events = read_eval_events(log_path)
    keys = [k for k in KEYS if any(k in e for e in events)]
    if not events or not keys:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for k in keys:
        pts = [(e["epoch"], e[k]) for e in events if k in e]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=k)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    ax.set_ylabel("score")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    out_png = Path(out_png)
    atomic_write(out_png, lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)
    return out_png
