"""Run a tracker over a benchmark: resumable (finished sequences are skipped), results written
atomically, sequences spread over worker processes (spawn; each worker builds its own tracker
and dies with the parent), repetitions with the toolkits' determinism check, and a record of
what produced the folder (:mod:`hrom.benchmarks.provenance`). How one sequence is tracked and
where its files go is the benchmark's (:class:`~hrom.benchmarks.benchmark.Benchmark`)."""

from __future__ import annotations

import multiprocessing as mp
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from hrom.benchmarks.base import select_sequences
from hrom.benchmarks.benchmark import Benchmark
from hrom.benchmarks.provenance import claim_folder, file_sha256, make_record
from hrom.benchmarks.raster import check_convention
from hrom.benchmarks.registry import get_benchmark
from hrom.benchmarks.sequence import Sequence
from hrom.errors import HromError
from hrom.io import check_writable_dir
from hrom.paths import safe_name


@dataclass
class TrackerSpec:
    """A picklable recipe for ``hrom.tracking.create_tracker`` (what worker processes rebuild)."""

    spec: str
    device: str = "cpu"
    hp: str | None = None
    backend: str | None = None
    extra: dict = field(default_factory=dict)

    def __call__(self):
        from hrom.tracking import create_tracker

        kwargs: dict[str, Any] = {"device": self.device, **self.extra}
        if self.hp is not None:
            kwargs["hp"] = self.hp
        if self.backend is not None:
            kwargs["backend"] = self.backend
        return create_tracker(self.spec, **kwargs)

    def provenance(self) -> dict:
        """Record fields: the model (SHA-256 of a checkpoint file), hp, backend (see provenance.py)."""
        from hrom.models.config import PRESETS
        from hrom.models.factory import checkpoint_file, is_model_name
        from hrom.tracking.opencv_trackers import OPENCV_TRACKERS

        s = str(self.spec)
        rec: dict[str, Any] = {"tracker": s, "device": self.device, "hp": self.hp, "backend": self.backend or "torch"}
        weights = checkpoint_file(s) if s.lower() not in OPENCV_TRACKERS and is_model_name(s) else None
        if s.lower() in OPENCV_TRACKERS:
            rec.update(model=f"opencv:{s.lower()}", backend=None)
        elif weights is not None:  # a checkpoint file or shipped weights (hrom = hrom-tiny.bundled)
            rec["model"] = "sha256:" + file_sha256(weights)
        else:
            rec["model"] = f"preset:{s}" if s in PRESETS else s
        if self.hp is not None and Path(str(self.hp)).is_file():
            rec.update(hp=None, hp_file=str(self.hp), hp_sha256=file_sha256(self.hp))
        if self.extra:
            rec["extra"] = {k: repr(v) for k, v in sorted(self.extra.items())}
        return rec


def check_hp(hp: str) -> None:
    """Resolve tracker hyper-parameters (a preset name or YAML file) now, so a typo is a one-line
    HromError before long work rather than after it."""
    from hrom.tracking.config import resolve_tracker_config

    resolve_tracker_config(hp)


def check_start_nudges(start_nudges: int, repetitions: int, bench: Benchmark) -> None:
    """Nudged starts need a one-pass benchmark and replace repetitions (one-line errors)."""
    from hrom.benchmarks.benchmark import OPEBenchmark
    from hrom.benchmarks.protocols import START_NUDGES

    if not (isinstance(start_nudges, int) and 0 <= start_nudges <= len(START_NUDGES)):
        raise HromError(f"--start-nudges {start_nudges}: expected 0 to {len(START_NUDGES)}")
    if start_nudges and not isinstance(bench, OPEBenchmark):
        raise HromError(f"--start-nudges: {bench.name} re-initialises from the ground truth (VOT protocol); "
                        "nudged starts are for one-pass benchmarks (otb100, uav123, lasot, got10k_val, vot2018_ope)")
    if start_nudges and repetitions > 1:
        raise HromError(f"--start-nudges {start_nudges} with --repetitions {repetitions}: use one of them "
                        "(nudged starts are stored as repetitions)")


def _identical(paths: list[Path]) -> bool:
    texts = [p.read_bytes() for p in paths]
    return all(t == texts[0] for t in texts[1:])


def can_stop(tracker, bench: Benchmark, tracker_dir: Path, seq: Sequence, rep: int, repetitions: int,
             nudged: bool = False) -> bool:
    """Whether repetition ``rep`` can be skipped: the tracker says it is deterministic
    (``is_deterministic``, GOT-10k toolkit) and one run exists, or three runs exist and are
    identical (VOT toolkit).  Never for nudged starts, whose runs differ by design."""
    if rep <= 1 or nudged:
        return False
    if tracker is not None and getattr(tracker, "is_deterministic", False) is True:
        return bench.is_complete(tracker_dir, seq, 1, repetitions)
    first = [bench.result_path(tracker_dir, seq.name, r, repetitions) for r in (1, 2, 3)]
    return (rep > 3 and all(bench.is_complete(tracker_dir, seq, r, repetitions) for r in (1, 2, 3))
            and _identical(first))


def pending_reps(tracker, bench: Benchmark, tracker_dir: Path, seq: Sequence, repetitions: int,
                 nudged: bool = False) -> list[int]:
    """Repetitions still to track (a missing, short or malformed file counts as not done)."""
    todo = []
    for rep in range(1, repetitions + 1):
        if bench.is_complete(tracker_dir, seq, rep, repetitions):
            continue
        if not todo and can_stop(tracker, bench, tracker_dir, seq, rep, repetitions, nudged):
            break
        todo.append(rep)
    return todo


def track_sequence(tracker, seq: Sequence, bench: Benchmark, tracker_dir: Path, on_frame=None, repetitions: int = 1,
                   overlap: str = "vot2018", nudged: bool = False) -> tuple[int, float]:
    """Track the missing repetitions of one sequence and write their files; with ``nudged``,
    repetition k starts from the first box nudged by ``START_NUDGES[k - 2]`` (k = 1: as given).
    Returns (frames tracked, tracking seconds)."""
    frames, seconds = 0, 0.0
    for rep in range(1, repetitions + 1):
        if bench.is_complete(tracker_dir, seq, rep, repetitions):
            continue
        if can_stop(tracker, bench, tracker_dir, seq, rep, repetitions, nudged):
            break
        nudge = {"nudge": rep - 1} if nudged and rep > 1 else {}
        output, times = bench.run(tracker, seq, on_frame, overlap=overlap, **nudge)
        bench.write_result(tracker_dir, seq.name, output, times, rep, repetitions)
        frames += len(seq)
        seconds += float(np.nansum(times))
    return frames, seconds


_WORKER_TRACKER = None  # one tracker per worker process, built by the pool initializer


def _init_worker(factory: Callable[[], Any], threads: int | None = None, parent: int | None = None) -> None:
    from hrom.procs import die_with_parent, set_threads

    die_with_parent(parent=parent)  # a kill -9 of the command must not leave workers tracking
    set_threads(threads)
    global _WORKER_TRACKER
    _WORKER_TRACKER = factory()


def _run_in_worker(task: tuple) -> tuple[str, int, float]:
    seq, bench, tracker_dir, repetitions, overlap, nudged = task
    n, secs = track_sequence(_WORKER_TRACKER, seq, bench, Path(tracker_dir), repetitions=repetitions, overlap=overlap,
                             nudged=nudged)
    return seq.name, n, secs


def run_benchmark(tracker: Callable[[], Any] | str | TrackerSpec, benchmark: str, root: str | Path,
                  results_dir: str | Path, *, tracker_name: str | None = None, workers: int = 1,
                  sequences: list[str] | None = None, partial: bool = False, progress: bool = True,
                  repetitions: int = 1, overwrite: bool = False, overlap: str = "vot2018",
                  threads: int | None = None, start_nudges: int = 0) -> Path:
    """Run ``tracker`` on every (selected) sequence of ``benchmark`` not already finished.

    ``tracker``: a tracker spec string for ``hrom.tracking.create_tracker`` (``"kcf"``,
    ``"hrom-tiny"``, a checkpoint path), a :class:`TrackerSpec`, or any zero-argument callable
    returning an object with ``name``, ``init(image_bgr, box_xywh)`` and ``update(image_bgr)``
    (it must be picklable when ``workers > 1``). Results go to
    ``results_dir/<benchmark folder>/<tracker name>/``; that folder is returned.
    ``repetitions``: runs per sequence (``<seq>_001.txt`` ...), stopped early for a
    deterministic tracker. A folder holding another run's results is refused unless
    ``overwrite`` (which deletes it first). ``overlap``: VOT failure test (``vot2018``,
    ``vot-toolkit`` or ``exact``). ``threads``: PyTorch threads per process.
    ``start_nudges`` N (one-pass benchmarks, 0-8): N more runs per sequence from nudged first
    boxes (``hrom.benchmarks.protocols.START_NUDGES``), stored as repetitions 2..N+1, which the
    scores average.
    """
    from tqdm import tqdm

    from hrom.procs import set_threads

    if tracker_name is not None:
        safe_name(tracker_name, "tracker name (--name)")
    if repetitions < 1:
        raise HromError(f"--repetitions {repetitions}: expected 1 or more")
    check_convention(overlap)
    bench = get_benchmark(benchmark)
    check_start_nudges(start_nudges, repetitions, bench)
    nudged = start_nudges > 0
    repetitions = repetitions + start_nudges
    results_dir = check_writable_dir(results_dir, "--results")
    factory = TrackerSpec(tracker) if isinstance(tracker, str) else tracker
    reader = bench.open(root, partial=partial)
    names = select_sequences(reader, sequences)
    seqs = [reader.load(n) for n in names]  # validate every sequence before any tracking

    set_threads(threads)
    local = None
    if tracker_name is None or workers <= 1:
        local = factory()
        tracker_name = tracker_name or getattr(local, "name", None)
        if not tracker_name:
            raise HromError("the tracker has no .name; pass tracker_name (--name)")
        safe_name(tracker_name, "tracker name (use --name)")
    tracker_dir = Path(results_dir) / bench.folder / tracker_name
    record = make_record(factory, bench, overlap)
    if nudged:
        record["start_nudges"] = start_nudges
    claim_folder(tracker_dir, record, overwrite)
    pending = {s.name: pending_reps(local, bench, tracker_dir, s, repetitions, nudged) for s in seqs}
    todo = [s for s in seqs if pending[s.name]]
    total = sum(len(s) * len(pending[s.name]) for s in todo)
    bar = tqdm(total=total, unit="frame", desc=f"{bench.name} {tracker_name}", disable=not progress,
               dynamic_ncols=True)
    bar.set_postfix_str(f"{len(seqs) - len(todo)}/{len(seqs)} sequences already done")
    try:
        if workers <= 1 or len(todo) <= 1:
            local = local or factory()
            for s in todo:
                bar.set_postfix_str(s.name)
                n, secs = track_sequence(local, s, bench, tracker_dir, on_frame=lambda: bar.update(1),
                                         repetitions=repetitions, overlap=overlap, nudged=nudged)
                bar.set_postfix_str(f"{s.name} {n / max(secs, 1e-9):.1f} fps")
        else:
            ctx = mp.get_context("spawn")
            tasks = [(s, bench, str(tracker_dir), repetitions, overlap, nudged) for s in todo]
            with ctx.Pool(min(workers, len(todo)), initializer=_init_worker,
                          initargs=(factory, threads, os.getpid())) as pool:
                for name, n, secs in pool.imap_unordered(_run_in_worker, tasks):
                    bar.update(n)
                    bar.set_postfix_str(f"{name} {n / max(secs, 1e-9):.1f} fps")
    finally:
        bar.close()
    return tracker_dir
