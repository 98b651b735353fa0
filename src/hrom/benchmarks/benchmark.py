"""What a benchmark is: how its sequences are read, tracked, stored, scored and plotted.

One object per ``--benchmark`` name (:mod:`hrom.benchmarks.registry`), in the shape of the
GOT-10k toolkit's ``ExperimentOTB`` and its ``ExperimentUAV123`` subclass (pysot splits the same
work into ``OPEBenchmark`` / ``EAOBenchmark``): :class:`OPEBenchmark` holds the one-pass
protocol, its result files, scores and plots, so a dataset's class only says how its dataset is
read and which frame rules score it; the VOT baseline and GOT-10k classes override what differs.
The runner, the report and ``hrom tune`` only call these methods, never compare names.

Adding a benchmark is one class (plus its reader) and one registration::

    class MyBenchmark(OPEBenchmark):
        rules = "uav"                       # NaN ground-truth frames are dropped

        def reader(self, root, partial):
            return MyReader(root, partial)  # an hrom.benchmarks.Reader

    register(MyBenchmark("mybench", "MyBench"))   # hrom eval run --benchmark mybench ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from hrom.benchmarks.base import Reader
from hrom.benchmarks.plots import plot_ope_curves, plot_score_vs_fps
from hrom.benchmarks.protocols import run_ope
from hrom.benchmarks.results import OPELayout, ResultLayout
from hrom.benchmarks.scoring import OPERules, ope_rules, score_ope
from hrom.benchmarks.sequence import Sequence
from hrom.errors import HromError

class Benchmark:
    """One benchmark. ``name``: the ``--benchmark`` name; ``folder``: the results sub-folder
    (pysot's dataset name); ``aliases``: other folder names result trees use; ``pysot_json``:
    pysot's dataset file, read when the root holds it instead of the native layout."""

    layout: ResultLayout            # where result and time files go
    scoring = ""                    # report.json's "scoring"
    primary = ""                    # the score trackers are ranked by
    columns: tuple[str, ...] = ()   # the report table's columns
    attribute_metric = "success_auc"  # the per-attribute table's score
    overlap_matters = False         # --overlap changes the results (recorded; resuming with another is refused)
    scorable = True                 # False where the ground truth is withheld

    def __init__(self, name: str, folder: str, *, aliases: tuple[str, ...] = (), pysot_json: str = ""):
        self.name, self.folder, self.aliases, self.pysot_json = name, folder, tuple(aliases), pysot_json

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    @property
    def protocol(self) -> str:
        """The result layout's name (``ope``, ``vot``, ``got10k``), recorded in ``hrom_run.json``."""
        return self.layout.name

    # ---- the dataset ---------------------------------------------------------------------------

    def reader(self, root: Path, partial: bool) -> Reader:
        """The dataset in its native layout under ``root``."""
        raise NotImplementedError

    def open(self, root: str | Path, partial: bool = False) -> Reader:
        """The reader over ``root``; pysot's dataset JSON in the root when the native layout is absent."""
        root = Path(root)
        try:
            reader = self.reader(root, partial)
        except HromError:
            reader = self._pysot_reader(root, partial)
            if reader is None:
                raise
        reader.protocol = self.protocol
        return reader

    def _pysot_reader(self, root: Path, partial: bool) -> Reader | None:
        from hrom.benchmarks.pysot_json import PysotJSONReader, is_pysot_dataset

        for js in (self.pysot_json, self.pysot_json.replace(".json", "_new.json")):
            if js and is_pysot_dataset(root / js):
                return PysotJSONReader(root / js, partial)
        return None

    # ---- tracking and result files -------------------------------------------------------------

    def run(self, tracker, seq: Sequence, on_frame: Callable[[], None] | None = None,
            overlap: str = "vot2018", nudge: int = 0) -> tuple[Any, np.ndarray]:
        """Track one sequence once: (what the result file holds, seconds per frame).  ``nudge``:
        start from a nudged first box (one-pass protocols only, see ``run_ope``)."""
        raise NotImplementedError

    def result_path(self, tracker_dir: Path, seq: str, rep: int = 1, repetitions: int = 1) -> Path:
        return self.layout.result_path(tracker_dir, seq, rep, repetitions)

    def is_complete(self, tracker_dir: Path, seq: Sequence, rep: int = 1, repetitions: int = 1) -> bool:
        """Whether repetition ``rep`` of ``seq`` has a complete, well-formed result file."""
        return self.layout.is_complete(self.result_path(tracker_dir, seq.name, rep, repetitions), len(seq))

    def write_result(self, tracker_dir: Path, seq: str, output, times, rep: int = 1, repetitions: int = 1) -> None:
        self.layout.write(tracker_dir, seq, output, times, rep, repetitions)

    # ---- scores, ranking and plots -------------------------------------------------------------

    def score(self, seqs: list[Sequence], tracker_dir: Path, overlap: str = "vot2018") -> dict:
        """``{"overall", "per_sequence", "per_attribute"}`` of one tracker's result folder."""
        raise NotImplementedError

    def ranked(self, report: dict) -> list[str]:
        """Tracker names, best ``primary`` score first."""
        return sorted(report["trackers"], key=lambda t: -report["trackers"][t]["overall"][self.primary])

    def plot(self, report: dict, out: Path) -> list[Path]:
        """The benchmark's own plots, then the primary score against speed."""
        return self.plot_curves(report, out) + [plot_score_vs_fps(report, out, self.ranked(report), self.primary)]

    def plot_curves(self, report: dict, out: Path) -> list[Path]:
        return []


class OPEBenchmark(Benchmark):
    """One-pass evaluation (OTB protocol): start on frame 1, never re-initialise; success,
    precision and normalized precision under :class:`~hrom.benchmarks.scoring.OPERules`."""

    layout = OPELayout()
    rules: str | OPERules = "otb"
    primary = "success_auc"
    columns = ("success_auc", "precision_20px", "norm_precision", "success_rate_0.5", "fps")

    @property
    def scoring(self) -> str:
        return ope_rules(self.rules).name

    def run(self, tracker, seq, on_frame=None, overlap="vot2018", nudge=0):
        return run_ope(tracker, seq, on_frame, nudge)

    def score(self, seqs, tracker_dir, overlap="vot2018"):
        return score_ope(seqs, tracker_dir, self.rules)

    def plot_curves(self, report, out):
        return plot_ope_curves(report, out, self.ranked(report))
