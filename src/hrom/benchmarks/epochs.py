"""Score every epoch checkpoint of a training run on one benchmark: the "test all snapshots" loop
users write around pysot's test.py / eval.py, as one resumable call.

Each checkpoint ``epoch_XX.pt`` is tracked into ``OUT/<benchmark folder>/epoch_XX/`` (an
ordinary ``hrom eval run`` folder, so finished sequences are skipped on a rerun and the folder's
``hrom_run.json`` refuses a different checkpoint under the same name), scored, and appended to
``OUT/curve.jsonl`` (``{"event": "eval", "epoch", "checkpoint", "hp", <overall scores>}``, the
records a run's ``log.jsonl`` holds), ``OUT/curve.md`` and ``OUT/curve.png``, all rewritten
atomically after each epoch.  Records of earlier calls with the same ``hp`` (preset name, or file content) stay in the curve, so
new epochs of a running training can be added with ``start_epoch``.  Tracker hyper-parameters
matter as much as the epoch for a young network, so ``hp`` (a preset or ``hrom tune``'s
``best_hp.yaml``) is the same for every checkpoint.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

from hrom.benchmarks.plots import plot_epoch_curve
from hrom.benchmarks.registry import get_benchmark
from hrom.benchmarks.report import evaluate
from hrom.benchmarks.provenance import file_sha256
from hrom.benchmarks.runner import TrackerSpec, check_hp, run_benchmark
from hrom.errors import HromError
from hrom.io import atomic_write_text, check_writable_dir

EPOCH_FILE = re.compile(r"^epoch_(\d+)\.pt$")


def epoch_checkpoints(paths: list[str | Path]) -> list[tuple[int, Path]]:
    """(epoch, file) of every ``epoch_XX.pt`` named: a run folder (its ``checkpoints/``), a
    checkpoints folder, or checkpoint files; sorted by epoch."""
    found: dict[int, Path] = {}
    for p in map(Path, paths):
        if p.is_dir():
            folder = p / "checkpoints" if (p / "checkpoints").is_dir() else p
            files = [f for f in folder.iterdir() if EPOCH_FILE.match(f.name)]
            if not files:
                raise HromError(f"{p}: no epoch_XX.pt checkpoint in {folder}; expected a training run folder "
                                "(RUN/checkpoints/epoch_01.pt ...) or checkpoint files")
        elif p.is_file():
            if not EPOCH_FILE.match(p.name):
                raise HromError(f"{p}: not named epoch_XX.pt; expected the epoch checkpoints hrom train writes")
            files = [p]
        else:
            raise HromError(f"{p}: no such file or folder; expected a training run folder or epoch_XX.pt files")
        for f in files:
            epoch = int(EPOCH_FILE.match(f.name).group(1))
            if epoch in found and found[epoch].resolve() != f.resolve():
                raise HromError(f"{f}: epoch {epoch} is also {found[epoch]}; give one checkpoint per epoch")
            found[epoch] = f
    return sorted(found.items())


def score_checkpoint(checkpoint: str | Path, name: str, benchmark: str, root: str | Path, out: str | Path, *,
                     hp: str | None = None, sequences: list[str] | None = None, partial: bool = False,
                     overlap: str = "vot2018", device: str = "cpu", backend: str | None = None, **run_options) -> dict:
    """Track ``benchmark`` with ``checkpoint`` into ``out/<benchmark folder>/<name>/`` (resumable,
    ``run_options`` as for ``run_benchmark``) and return its overall scores (numbers only)."""
    spec = TrackerSpec(str(checkpoint), device=device, hp=hp, backend=backend)
    run_benchmark(spec, benchmark, root, out, tracker_name=name, sequences=sequences, partial=partial, overlap=overlap,
                  **run_options)
    overall = evaluate(benchmark, root, out, trackers=[name], sequences=sequences, partial=partial,
                       overlap=overlap)["trackers"][name]["overall"]
    return {k: v for k, v in overall.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _markdown(records: list[dict], columns: tuple[str, ...], title: str) -> str:
    best = max(records, key=lambda r: r.get(columns[0], float("-inf")))
    lines = [f"# {title}", "", f"Best {columns[0]}: epoch {best['epoch']} ({best[columns[0]]:.4f}).", "",
             "| epoch | " + " | ".join(columns) + " | checkpoint |", "|---" * (len(columns) + 2) + "|"]
    for r in records:
        lines.append(f"| {r['epoch']} | " + " | ".join(f"{r[c]:.4f}" if c in r else "" for c in columns)
                     + f" | {r['checkpoint']} |")
    return "\n".join(lines) + "\n"


def _hp_key(hp: str | None) -> str | None:
    """What makes two curve records comparable: a preset's name, or an hp file's content (an edited
    file at the same path starts a new curve)."""
    if hp is not None and Path(hp).is_file():
        return "sha256:" + file_sha256(hp)
    return hp


def evaluate_epochs(checkpoints: list[str | Path], benchmark: str, root: str | Path, out: str | Path, *,
                    hp: str | None = None, start_epoch: int = 1, every: int = 1, sequences: list[str] | None = None,
                    partial: bool = False, workers: int = 1, threads: int | None = 1, device: str = "cpu",
                    backend: str | None = None, overlap: str = "vot2018", overwrite: bool = False,
                    progress: bool = True, on_epoch: Callable[[dict], None] | None = None,
                    start_nudges: int = 0) -> list[dict]:
    """Track and score the selected epochs (``start_epoch``, then every ``every``-th); returns
    their records (``out/curve.jsonl`` also keeps earlier calls' records with the same ``hp``).
    ``hp``: one preset / YAML for all epochs (default: each checkpoint's own ``tracker_hp``,
    else ``default``). ``start_nudges``: score each epoch on the mean of that many more runs from
    nudged first boxes (``run_benchmark``); curve records of another setting are not mixed in."""
    if every < 1 or start_epoch < 1:
        raise HromError(f"--every {every} / --start-epoch {start_epoch}: expected 1 or more")
    bench = get_benchmark(benchmark)
    chosen = [(e, f) for e, f in epoch_checkpoints(checkpoints) if e >= start_epoch and (e - start_epoch) % every == 0]
    if not chosen:
        raise HromError(f"no epoch checkpoint from epoch {start_epoch} on (every {every}) in {', '.join(map(str, checkpoints))}")
    if hp is not None:
        check_hp(hp)
    out = check_writable_dir(out, "--out")
    key = _hp_key(hp)
    curve: dict[int, dict] = {}  # epoch -> record, earlier calls with the same hp (by content) included
    if (out / "curve.jsonl").is_file():
        for line in (out / "curve.jsonl").read_text().splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a damaged line: its epoch comes back when this call scores it
            if (isinstance(rec, dict) and rec.get("hp_key", rec.get("hp")) == key and "epoch" in rec
                    and rec.get("start_nudges", 0) == start_nudges):
                curve[int(rec["epoch"])] = rec
    title = f"{bench.name}: {Path(str(root)).name}" + (f", hp {Path(hp).name}" if hp else "")
    records: list[dict] = []
    for epoch, ckpt in chosen:
        numbers = score_checkpoint(ckpt, f"epoch_{epoch:02d}", benchmark, root, out, hp=hp, sequences=sequences,
                                   partial=partial, overlap=overlap, device=device, backend=backend, workers=workers,
                                   progress=progress, overwrite=overwrite, threads=threads,
                                   start_nudges=start_nudges)
        records.append({"event": "eval", "epoch": epoch, "checkpoint": str(ckpt), "hp": hp, "hp_key": key,
                        **({"start_nudges": start_nudges} if start_nudges else {}), **numbers})
        curve[epoch] = records[-1]
        everything = [curve[e] for e in sorted(curve)]
        atomic_write_text(out / "curve.jsonl", "".join(json.dumps(r) + "\n" for r in everything))
        atomic_write_text(out / "curve.md", _markdown(everything, bench.columns, title))
        plot_epoch_curve(everything, out / "curve.png", title)
        if on_epoch is not None:
            on_epoch(records[-1])
    return records
