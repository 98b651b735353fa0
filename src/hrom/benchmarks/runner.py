"""Run a tracker over a benchmark: resumable (finished sequences are skipped), results written
atomically, sequences spread over worker processes (spawn; each worker builds its own tracker)."""

from __future__ import annotations

import multiprocessing as mp
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from hrom.benchmarks.protocols import run_ope, run_vot_baseline
from hrom.benchmarks.registry import get_spec, open_benchmark
from hrom.benchmarks.results import result_file, write_sequence_result
from hrom.benchmarks.sequence import Sequence
from hrom.errors import HromError


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


def track_sequence(tracker, seq: Sequence, protocol: str, tracker_dir: Path, on_frame=None) -> tuple[int, float]:
    """Track one sequence and write its files. Returns (frames, tracking seconds)."""
    if protocol == "vot":
        output, times = run_vot_baseline(tracker, seq, on_frame)
    else:
        output, times = run_ope(tracker, seq, on_frame)
    write_sequence_result(protocol, tracker_dir, seq.name, output, times)
    import numpy as np

    return len(seq), float(np.nansum(times))


_WORKER_TRACKER = None  # one tracker per worker process, built by the pool initializer


def _init_worker(factory: Callable[[], Any]) -> None:
    global _WORKER_TRACKER
    _WORKER_TRACKER = factory()


def _run_in_worker(task: tuple[Sequence, str, str]) -> tuple[str, int, float]:
    seq, protocol, tracker_dir = task
    n, secs = track_sequence(_WORKER_TRACKER, seq, protocol, Path(tracker_dir))
    return seq.name, n, secs


def select_sequences(reader, sequences: list[str] | None) -> list[str]:
    names = reader.names()
    if not sequences:
        return names
    unknown = [s for s in sequences if s not in names]
    if unknown:
        shown = ", ".join(names[:8]) + (" ..." if len(names) > 8 else "")
        raise HromError(f"sequence {unknown[0]!r} not in this benchmark under {reader.root}; expected one of {shown}")
    return [s for s in names if s in set(sequences)]


def run_benchmark(tracker: Callable[[], Any] | str | TrackerSpec, benchmark: str, root: str | Path,
                  results_dir: str | Path, *, tracker_name: str | None = None, workers: int = 1,
                  sequences: list[str] | None = None, partial: bool = False, progress: bool = True) -> Path:
    """Run ``tracker`` on every (selected) sequence of ``benchmark`` not already finished.

    ``tracker``: a tracker spec string for ``hrom.tracking.create_tracker`` (``"kcf"``,
    ``"hrom-tiny"``, a checkpoint path), a :class:`TrackerSpec`, or any zero-argument callable
    returning an object with ``name``, ``init(image_bgr, box_xywh)`` and ``update(image_bgr)``
    (it must be picklable when ``workers > 1``). Results go to
    ``results_dir/<benchmark folder>/<tracker name>/``; that folder is returned.
    """
    from tqdm import tqdm

    factory = TrackerSpec(tracker) if isinstance(tracker, str) else tracker
    spec = get_spec(benchmark)
    reader = open_benchmark(benchmark, root, partial=partial)
    # the benchmark's protocol, so one reader serves two (vot2018 / vot2018_ope); a pysot JSON knows its own
    protocol = reader.protocol if spec.family == "pysot" else spec.protocol
    names = select_sequences(reader, sequences)
    seqs = [reader.load(n) for n in names]  # validate every sequence before any tracking

    local = None
    if tracker_name is None or workers <= 1:
        local = factory()
        tracker_name = tracker_name or getattr(local, "name", None)
        if not tracker_name:
            raise HromError("the tracker has no .name; pass tracker_name (--name)")
    tracker_dir = Path(results_dir) / spec.folder / tracker_name
    todo = [s for s in seqs if not result_file(protocol, tracker_dir, s.name).is_file()]
    total = sum(len(s) for s in todo)
    bar = tqdm(total=total, unit="frame", desc=f"{spec.name} {tracker_name}", disable=not progress,
               dynamic_ncols=True)
    bar.set_postfix_str(f"{len(seqs) - len(todo)}/{len(seqs)} sequences already done")
    try:
        if workers <= 1 or len(todo) <= 1:
            local = local or factory()
            for s in todo:
                bar.set_postfix_str(s.name)
                n, secs = track_sequence(local, s, protocol, tracker_dir, on_frame=lambda: bar.update(1))
                bar.set_postfix_str(f"{s.name} {n / max(secs, 1e-9):.1f} fps")
        else:
            ctx = mp.get_context("spawn")
            tasks = [(s, protocol, str(tracker_dir)) for s in todo]
            with ctx.Pool(min(workers, len(todo)), initializer=_init_worker, initargs=(factory,)) as pool:
                for name, n, secs in pool.imap_unordered(_run_in_worker, tasks):
                    bar.update(n)
                    bar.set_postfix_str(f"{name} {n / max(secs, 1e-9):.1f} fps")
    finally:
        bar.close()
    return tracker_dir
