"""The validation curve of a run: every ``eval`` event of ``log.jsonl`` plotted per epoch (PNG)."""

from __future__ import annotations

import json
from pathlib import Path


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
    from hrom.benchmarks.plots import plot_epoch_curve

    return plot_epoch_curve(read_eval_events(log_path), out_png, title)
