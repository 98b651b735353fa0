"""Search the Siamese tracker's inference hyper-parameters (``penalty_k``, ``window_influence``,
``lr``, and on request the template update's and the lost-target search's knobs) on a benchmark and
rank them (what pysot's ``tools/tune.py`` does).

Every trial is an ordinary :func:`~hrom.benchmarks.runner.run_benchmark` run into
``<out>/trials/<trial-id>/`` (atomic result files, a provenance record, finished sequences
skipped) scored by :func:`~hrom.benchmarks.report.evaluate` with the benchmark's primary metric,
so a tuned score is exactly what ``hrom eval report`` gives for the same ``--hp``. Finished trials
are journaled in ``<out>/trials.jsonl``: a second run of the same command only runs the trials
still missing. ``<out>/hrom_tune.json`` records the search (model, benchmark, sequences, space);
another search in the same folder is refused, as ``hrom eval run`` refuses another model.
"""

from __future__ import annotations

import itertools
import json
import math
import multiprocessing as mp
import shutil
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from hrom.config import to_dict
from hrom.errors import HromError
from hrom.io import atomic_write_text, check_writable_dir, check_writable_file
from hrom.tracking.config import TrackerConfig

CORE = ("penalty_k", "window_influence", "lr")  # in every trial and its id
EXTRA = ("template_lr", "template_keep", "template_score", "lost_score")  # in a trial (and its id) only when searched
KNOBS = CORE + EXTRA
OPTIONS = {k: "--" + k.replace("_", "-") for k in KNOBS}
# trial ids: k0.04_w0.44_lr0.4, then the searched extras (..._tl0.1_tk0.5)
SHORT = {"penalty_k": "k", "window_influence": "w", "lr": "lr", "template_lr": "tl", "template_keep": "tk",
         "template_score": "ts", "lost_score": "ls"}
LIMITS = {"penalty_k": (0.0, math.inf), "window_influence": (0.0, 1.0), "lr": (0.0, 1.0), "template_lr": (0.0, 1.0),
          "template_keep": (0.0, 1.0), "template_score": (0.0, 1.0), "lost_score": (0.0, 0.99)}
MAX_VALUES = 10000      # per range: more is a typo (a step of 0.0001), not a search
RANDOM_DECIMALS = 4     # random samples are rounded so trial ids stay short and stable
RECORD = "hrom_tune.json"
JOURNAL = "trials.jsonl"
OUTPUTS = ("ranking.md", "ranking.json", "best_hp.yaml")
SYNTAX = "expected START:STOP:STEP (inclusive grid, e.g. 0.0:0.5:0.05) or a list (e.g. 0.04,0.1,0.2)"


def _number(text: str, option: str, raw: str) -> Decimal:
    try:
        d = Decimal(text.strip())
    except InvalidOperation:
        raise HromError(f"{option} {raw!r}: {text.strip()!r} is not a number; {SYNTAX}") from None
    if not d.is_finite():
        raise HromError(f"{option} {raw!r}: {text.strip()} is not a finite number; {SYNTAX}")
    return d


def parse_range(text: str, knob: str) -> list[float]:
    """``START:STOP:STEP`` (inclusive grid, computed in decimal so ``0.0:0.5:0.05`` gives exactly
    0.05, 0.1, 0.15 ...) or ``a,b,c``; values outside the knob's valid interval are refused here,
    not after hours of trials."""
    option = OPTIONS[knob]
    raw = str(text)
    if not raw.strip():
        raise HromError(f"{option}: empty range; {SYNTAX}")
    if ":" in raw:
        parts = raw.split(":")
        if len(parts) != 3:
            raise HromError(f"{option} {raw!r}: {len(parts)} fields; {SYNTAX}")
        start, stop, step = (_number(p, option, raw) for p in parts)
        if step <= 0:
            raise HromError(f"{option} {raw!r}: STEP must be > 0; {SYNTAX}")
        if stop < start:
            raise HromError(f"{option} {raw!r}: empty range (STOP {stop} < START {start}); {SYNTAX}")
        count = int((stop - start) // step) + 1
        if count > MAX_VALUES:
            raise HromError(f"{option} {raw!r}: {count} values; expected at most {MAX_VALUES} (a larger STEP)")
        values = [float(start + i * step) for i in range(count)]
    else:
        items = raw.split(",")
        if any(not s.strip() for s in items):
            raise HromError(f"{option} {raw!r}: empty item in the list; {SYNTAX}")
        values = list(dict.fromkeys(float(_number(s, option, raw)) for s in items))
    lo, hi = LIMITS[knob]
    bad = [v for v in values if not lo <= v <= hi]
    if bad:
        where = f">= {lo:g}" if hi == math.inf else f"in [{lo:g}, {hi:g}]"
        raise HromError(f"{option} {raw!r}: {bad[0]:g} is out of range; {knob} must be {where}")
    return values


@dataclass(frozen=True)
class SearchSpace:
    """The values to try per knob (knobs not given keep the base configuration's value) and how:
    ``grid`` = every combination, ``random`` = ``trials`` points drawn uniformly in each knob's
    [min, max] with ``seed``."""

    ranges: dict[str, list[float]]
    search: str = "grid"
    trials: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [k for k in self.ranges if k not in KNOBS]
        if unknown:
            raise HromError(f"unknown hyper-parameter {unknown[0]!r} to tune; expected {', '.join(KNOBS)}")
        if not self.ranges:
            raise HromError(f"nothing to search: give at least one of {', '.join(OPTIONS.values())} "
                            "(e.g. --penalty-k 0.0:0.5:0.05)")
        if any(not v for v in self.ranges.values()):
            raise HromError("empty range; every searched hyper-parameter needs at least one value")
        if self.search == "grid":
            if self.trials is not None:
                raise HromError("--trials applies to --search random only (a grid tries every combination)")
        elif self.search == "random":
            if self.trials is None or self.trials < 1:
                raise HromError(f"--trials {self.trials}: expected 1 or more with --search random")
        else:
            raise HromError(f"--search {self.search!r}: expected grid or random")

    @property
    def knobs(self) -> tuple[str, ...]:
        """The fields every trial sets: the three core knobs and the extras searched."""
        return CORE + tuple(k for k in EXTRA if k in self.ranges)

    def points(self, base: dict[str, float]) -> list[dict[str, float]]:
        """The trials, in a fixed order (duplicates removed), each {knob: value} over ``knobs``."""
        knobs = self.knobs
        if self.search == "grid":
            axes = [self.ranges.get(k, [base[k]]) for k in knobs]
            pts = [dict(zip(knobs, combo)) for combo in itertools.product(*axes)]
        else:
            import numpy as np

            rng = np.random.default_rng(self.seed)
            pts = []
            for _ in range(self.trials):
                p = {}
                for k in knobs:  # one draw per searched knob, in this order, so a seed always gives the same trials
                    if k in self.ranges:
                        lo, hi = min(self.ranges[k]), max(self.ranges[k])
                        p[k] = round(float(rng.uniform(lo, hi)), RANDOM_DECIMALS)
                    else:
                        p[k] = base[k]
                pts.append(p)
        unique = {trial_id(p): p for p in pts}
        return list(unique.values())

    def describe(self) -> dict:
        """The record of this space (what must match to resume in the same --out)."""
        return {"search": self.search, "ranges": {k: self.ranges[k] for k in KNOBS if k in self.ranges},
                "trials": self.trials, "seed": self.seed if self.search == "random" else None}


def trial_id(point: dict[str, float]) -> str:
    """A short folder name from the values, e.g. ``k0.04_w0.44_lr0.4`` (same values, same folder); the
    extras appear only when searched, so searches of the core knobs keep their ids."""
    return "_".join(f"{SHORT[k]}{point[k]:g}" for k in KNOBS if k in point)


# ---- the tracker -------------------------------------------------------------------------------

def check_tunable(tracker: str) -> None:
    """Only trained HROM weights have hyper-parameters worth tuning: an OpenCV tracker has none, and
    an untrained preset draws new random weights for every trial, so its trials compare nothing."""
    from hrom.models.config import PRESETS
    from hrom.models.factory import is_model_name
    from hrom.tracking.opencv_trackers import OPENCV_TRACKERS

    s = str(tracker)
    if s.lower() in OPENCV_TRACKERS:
        raise HromError(f"--tracker {s}: an OpenCV tracker has no penalty_k / window_influence / lr to tune; "
                        "expected an hrom checkpoint (.pt) or hrom (the bundled weights)")
    if s in PRESETS:
        raise HromError(f"--tracker {s}: an untrained model preset gets new random weights in every trial, so "
                        "the trials would not compare hyper-parameters; expected a trained checkpoint (.pt) or hrom")
    if not is_model_name(s):
        raise HromError(f"--tracker {s}: no such checkpoint file; expected an hrom checkpoint (.pt) or hrom "
                        "(the bundled weights)")


def checkpoint_source(tracker: str) -> Path:
    """The checkpoint file behind ``tracker`` (a file, or shipped weights: ``hrom`` = the bundled ones)."""
    from hrom.models.factory import checkpoint_file

    return checkpoint_file(tracker)


# ---- one trial (in this process or a spawned worker) ---------------------------------------------

@dataclass
class Trial:
    """Everything one trial needs; picklable for spawned workers."""

    trial: str
    point: dict[str, float]
    hp_file: str
    results: str
    tracker: str
    device: str
    backend: str | None
    benchmark: str
    root: str
    sequences: list[str]
    partial: bool
    overlap: str
    threads: int | None
    workers: int = 1
    progress: bool = False
    start_nudges: int = 0


def run_trial(t: Trial) -> dict:
    """Track (resumably) and score one trial; returns its journal entry."""
    from hrom.benchmarks.registry import get_benchmark
    from hrom.benchmarks.report import evaluate
    from hrom.benchmarks.runner import TrackerSpec, run_benchmark

    bench = get_benchmark(t.benchmark)
    start = time.perf_counter()
    factory = TrackerSpec(t.tracker, device=t.device, hp=t.hp_file, backend=t.backend)
    run_benchmark(factory, t.benchmark, t.root, t.results, tracker_name=t.trial, workers=t.workers,
                  sequences=t.sequences, partial=t.partial, progress=t.progress, overlap=t.overlap, threads=t.threads,
                  start_nudges=t.start_nudges)
    report = evaluate(t.benchmark, t.root, t.results, trackers=[t.trial], sequences=t.sequences,
                      partial=t.partial, overlap=t.overlap)
    overall = report["trackers"][t.trial]["overall"]
    return {"trial": t.trial, **t.point, "score": float(overall[bench.primary]),
            "metrics": {c: float(overall[c]) for c in bench.columns},
            "seconds": round(time.perf_counter() - start, 3)}


def _init_worker(threads: int | None) -> None:
    import signal

    from hrom.procs import die_with_parent, set_threads

    import threading

    from tqdm import tqdm

    die_with_parent()  # a kill -9 of `hrom tune` must not leave trials running
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the pool, no worker tracebacks
    tqdm.set_lock(threading.RLock())  # not tqdm's default multiprocessing lock, which a stopped worker would leak
    set_threads(threads)


# ---- the folder: record, journal, outputs --------------------------------------------------------

def _short(value: Any, limit: int = 90) -> str:
    if value is None:
        return "not set"
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _diff(old: dict, new: dict, prefix: str = "") -> tuple[str, Any, Any] | None:
    for key in list(new) + [k for k in old if k not in new]:
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            found = _diff(a, b, f"{prefix}{key}.")
            if found:
                return found
        elif a != b:
            return f"{prefix}{key}", a, b
    return None


COMPARED = ("model", "backend", "base_hp", "benchmark", "sequences", "overlap", "space", "hrom_version",
            "start_nudges")


def claim_out(out: Path, record: dict, overwrite: bool) -> None:
    """Make ``out`` this search's folder: same search -> resume; another one -> refused (or wiped
    with ``overwrite``: only tune's own files are deleted)."""
    how = "use another --out, or add --overwrite to delete its trials and start again"
    if overwrite:
        for name in (RECORD, JOURNAL, *OUTPUTS):
            (out / name).unlink(missing_ok=True)
        shutil.rmtree(out / "trials", ignore_errors=True)
    path = out / RECORD
    if path.is_file():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError):
            raise HromError(f"{path}: unreadable tune record; {how}") from None
        old = {k: old.get(k) for k in COMPARED}
        if isinstance(old["base_hp"], dict):  # fields added to TrackerConfig since ran at their defaults (off)
            old["base_hp"] = {**to_dict(TrackerConfig()), **old["base_hp"]}
        found = _diff(old, {k: record.get(k) for k in COMPARED})
        if found:
            key, a, b = found
            raise HromError(f"{out} holds another search ({key} {_short(a)}, this command {_short(b)}); {how}")
        return
    if (out / JOURNAL).exists() or (out / "trials").exists():
        raise HromError(f"{out} holds tune trials without a record of their search ({RECORD}); {how}")
    atomic_write_text(path, json.dumps(record, indent=1) + "\n")


def read_journal(out: Path, wanted: set[str]) -> dict[str, dict]:
    """Finished trials by id. The journal is only ever replaced atomically, so a bad line can only
    come from an edit: it is skipped and that trial runs again (its results resume)."""
    done: dict[str, dict] = {}
    path = out / JOURNAL
    if not path.is_file():
        return done
    for line in path.read_text().splitlines():
        try:
            entry = json.loads(line)
            if entry["trial"] in wanted:
                entry["score"] = float(entry["score"])
                done[entry["trial"]] = entry
        except (ValueError, KeyError, TypeError):
            continue
    return done


def append_journal(out: Path, entry: dict) -> None:
    """One more line, written as a whole new file + rename: Ctrl-C never leaves half a line."""
    path = out / JOURNAL
    old = path.read_text() if path.is_file() else ""
    if old and not old.endswith("\n"):
        old += "\n"
    atomic_write_text(path, old + json.dumps(entry) + "\n")


def _write_if_changed(path: Path, text: str) -> None:
    if not (path.is_file() and path.read_text() == text):
        atomic_write_text(path, text)


def rank(entries: list[dict], order: list[str]) -> list[dict]:
    """Best score first; ties keep the search order (the first tried wins)."""
    pos = {t: i for i, t in enumerate(order)}
    ranked = sorted(entries, key=lambda e: (-e["score"] if math.isfinite(e["score"]) else math.inf, pos[e["trial"]]))
    return [{"rank": i, **e} for i, e in enumerate(ranked, 1)]


def searched_extras(result: dict) -> list[str]:
    """The extra knobs (template update, lost-target search) this search varied, in KNOBS order."""
    return [k for k in EXTRA if k in result["space"]["ranges"]]


def render_markdown(result: dict) -> str:
    other = [c for c in result["columns"] if c != result["metric"]]
    extras = searched_extras(result)
    lines = [f"# hrom tune: {result['benchmark']} ({len(result['sequences'])} sequences), {len(result['ranking'])} "
             f"trials ({result['space']['search']})", "",
             f"Tracker `{result['tracker']}` ({result['model']}); score = {result['metric']}. "
             f"Best hyper-parameters: `--hp best_hp.yaml`.", "",
             "| rank | penalty_k | window_influence | lr | " + "".join(f"{k} | " for k in extras) + "score | "
             + " | ".join(other) + " | trial |",
             "|---" * (len(other) + len(extras) + 6) + "|"]
    for e in result["ranking"]:
        lines.append(f"| {e['rank']} | {e['penalty_k']:g} | {e['window_influence']:g} | {e['lr']:g} | "
                     + "".join(f"{e[k]:g} | " for k in extras)
                     + f"{e['score']:.4f} | " + " | ".join(f"{e['metrics'][c]:.4f}" for c in other)
                     + f" | {e['trial']} |")
    return "\n".join(lines) + "\n"


def render_best_yaml(result: dict) -> str:
    import yaml

    best = result["ranking"][0]
    head = (f"# hrom tune: best of {len(result['ranking'])} trials on {result['benchmark']} "
            f"({len(result['sequences'])} sequences): {result['metric']} {best['score']:.4f} (trial {best['trial']})\n"
            "# use it with --hp FILE (hrom track, hrom eval run)\n")
    return head + yaml.safe_dump(result["best_hp"], sort_keys=False)


def save_tuned_checkpoint(tracker: str, dest: Path, result: dict) -> Path:
    """A copy of the tracker's checkpoint whose ``tracker_hp`` is the best configuration (the
    source file is only read); the tracker uses them whenever no --hp is given. Tuning in stages
    (a checkpoint tuned before as ``--tracker``) keeps the earlier records in ``previous_tunes``."""
    from hrom.models.checkpoint import atomic_torch_save, read_checkpoint

    ckpt = read_checkpoint(checkpoint_source(tracker))
    ckpt["tracker_hp"] = dict(result["best_hp"])
    best = result["ranking"][0]
    extra = dict(ckpt.get("extra") or {})
    if "tune" in extra:
        extra["previous_tunes"] = [*extra.get("previous_tunes", []), extra["tune"]]
    extra["tune"] = {"benchmark": result["benchmark"], "metric": result["metric"], "score": best["score"],
                     "sequences": len(result["sequences"]), "trials": len(result["ranking"]), "trial": best["trial"],
                     "searched": sorted(result["space"]["ranges"])}
    ckpt["extra"] = extra
    return atomic_torch_save(ckpt, dest)


# ---- the search ------------------------------------------------------------------------------

@dataclass
class TuneResult:
    ranking: list[dict]
    files: dict[str, Path]
    ran: list[str] = field(default_factory=list)   # trials run by this call
    summary: dict = field(default_factory=dict)     # ranking.json's content


def tune(tracker: str, benchmark: str, root: str | Path, out: str | Path, space: SearchSpace, *,
         hp: str | None = None, sequences: list[str] | None = None, partial: bool = False, device: str = "cpu",
         backend: str | None = None, overlap: str = "vot2018", workers: int = 1, threads: int | None = 1,
         overwrite: bool = False, progress: bool = True, save_checkpoint: str | Path | None = None,
         start_nudges: int = 0) -> TuneResult:
    """Run the trials of ``space`` that ``out`` does not hold yet, then rank all of them.

    ``hp``: the base configuration (preset or YAML) for every field not searched; default: the
    checkpoint's own ``tracker_hp``. ``workers`` > 1: trials run in that many spawned processes
    (one tracker, ``threads`` threads each); with a single trial left its sequences are spread
    instead. Writes ``out/ranking.md``, ``ranking.json`` and ``best_hp.yaml`` (and
    ``save_checkpoint``) once every trial is done. ``start_nudges`` N: every trial also runs from
    N nudged first boxes and is scored on the mean (``run_benchmark``), so the ranking is not
    decided by one chaotic run.
    """
    import yaml
    from tqdm import tqdm

    from hrom import __version__
    from hrom.benchmarks.base import select_sequences
    from hrom.benchmarks.raster import check_convention
    from hrom.benchmarks.registry import get_benchmark
    from hrom.benchmarks.runner import TrackerSpec, check_start_nudges
    from hrom.procs import set_threads

    out = check_writable_dir(out, "--out")
    if workers < 1:
        raise HromError(f"--workers {workers}: expected 1 or more")
    if threads is not None and threads < 1:
        raise HromError(f"--threads {threads}: expected 1 or more")
    check_tunable(tracker)
    if save_checkpoint is not None:
        save_checkpoint = check_writable_file(save_checkpoint, "--save-checkpoint")
        src = checkpoint_source(tracker)
        if save_checkpoint.exists() and save_checkpoint.resolve() == src.resolve():
            raise HromError(f"--save-checkpoint {save_checkpoint}: that is the tuned checkpoint itself; the input is "
                            "never modified, give another file name")
    bench = get_benchmark(benchmark)
    if not bench.scorable:
        raise HromError(f"{bench.name}: its ground truth is withheld, so trials cannot be scored locally; "
                        "tune on got10k_val instead")
    check_convention(overlap)
    check_start_nudges(start_nudges, 1, bench)
    reader = bench.open(root, partial=partial)
    names = select_sequences(reader, sequences)
    if not names:
        raise HromError(f"{root}: no {bench.name} sequence found; expected the benchmark's layout under --root")

    set_threads(threads)
    base_spec = TrackerSpec(str(tracker), device=device, hp=hp, backend=backend)
    base_tracker = base_spec()
    base = getattr(base_tracker, "config", None)
    if not isinstance(base, TrackerConfig):
        raise HromError(f"--tracker {tracker}: not a Siamese tracker (no TrackerConfig to tune); expected an hrom "
                        "checkpoint (.pt) or hrom")
    points = space.points({k: getattr(base, k) for k in KNOBS})
    order = [trial_id(p) for p in points]

    prov = base_spec.provenance()
    record = {"model": prov["model"], "backend": prov["backend"], "base_hp": to_dict(base),
              "benchmark": bench.name, "sequences": names, "overlap": overlap if bench.overlap_matters else None,
              "space": space.describe(), "hrom_version": __version__,
              "tracker": str(tracker), "root": str(root), "partial": partial, "trial_count": len(points)}
    if start_nudges:
        record["start_nudges"] = start_nudges
    out.mkdir(parents=True, exist_ok=True)
    claim_out(out, record, overwrite)

    done = read_journal(out, set(order))
    jobs = []
    for p, tid in zip(points, order):
        if tid in done:
            continue
        folder = out / "trials" / tid
        hp_file = folder / "hp.yaml"
        _write_if_changed(hp_file, yaml.safe_dump(to_dict(base.replace(**p)), sort_keys=False))
        jobs.append(Trial(tid, p, str(hp_file), str(folder), str(tracker), device, backend, benchmark, str(root),
                          names, partial, overlap, threads, progress=progress, start_nudges=start_nudges))

    ran: list[str] = []
    bar = tqdm(total=len(order), initial=len(order) - len(jobs), unit="trial", desc=f"tune {bench.name}",
               disable=not progress or not jobs, dynamic_ncols=True)

    def finished(entry: dict) -> None:
        append_journal(out, entry)
        done[entry["trial"]] = entry
        ran.append(entry["trial"])
        best = rank(list(done.values()), order)[0]
        bar.update(1)
        bar.set_postfix_str(f"last {entry['score']:.4f}, best {best['score']:.4f} ({best['trial']})")

    try:
        if workers > 1 and len(jobs) > 1:
            for j in jobs:
                j.progress = False
            ctx = mp.get_context("spawn")
            pool = ctx.Pool(min(workers, len(jobs)), initializer=_init_worker, initargs=(threads,))
            try:
                for entry in pool.imap_unordered(run_trial, jobs):
                    finished(entry)
                pool.close()  # workers exit normally and release their semaphores (tqdm's lock)
            except BaseException:
                pool.terminate()
                raise
            finally:
                pool.join()
        else:
            for j in jobs:
                j.workers = workers  # a single trial left: its sequences in parallel
                finished(run_trial(j))
    finally:
        bar.close()

    ranking = rank([done[t] for t in order], order)
    best_cfg = base.replace(**{k: ranking[0][k] for k in space.knobs})
    summary = {"benchmark": bench.name, "scoring": bench.scoring, "metric": bench.primary,
               "columns": list(bench.columns), "tracker": str(tracker), "model": prov["model"],
               "sequences": names, "space": space.describe(), "best_hp": to_dict(best_cfg), "ranking": ranking}
    files = {"ranking_md": out / "ranking.md", "ranking_json": out / "ranking.json", "best_hp": out / "best_hp.yaml"}
    _write_if_changed(files["ranking_json"], json.dumps(summary, indent=1) + "\n")
    _write_if_changed(files["ranking_md"], render_markdown(summary))
    _write_if_changed(files["best_hp"], render_best_yaml(summary))
    if save_checkpoint is not None:
        files["checkpoint"] = save_tuned_checkpoint(str(tracker), Path(save_checkpoint), summary)
    return TuneResult(ranking, files, ran, summary)
