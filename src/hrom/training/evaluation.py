"""Per-epoch evaluation hook: any callable ``hook(checkpoint_path, epoch) -> dict of numbers``.

``make_eval_hook`` builds the default one from ``eval.*`` with the evaluation toolkit in
``hrom.benchmarks`` (imported only when evaluation is asked for): it tracks every (selected)
sequence of ``eval.benchmark`` under ``eval.root`` with the epoch checkpoint, writes the results
to ``RUN_DIR/eval/`` (tracker name ``epoch_XX``), with the tracker hyper-parameters ``eval.hp``
(a preset or YAML file; empty: ``default``), and returns the overall scores (success AUC,
precision, ... or EAO for VOT).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from hrom.errors import HromError
from hrom.training.config import EvalConfig

EvalHook = Callable[[Path, int], dict]


def make_eval_hook(cfg: EvalConfig, results_dir: str | Path) -> EvalHook | None:
    """The toolkit-backed hook, or None when ``eval.benchmark`` is empty.  The benchmark name,
    root and sequence list are checked here, before any training."""
    if not cfg.benchmark:
        return None
    from hrom.benchmarks import open_benchmark
    from hrom.benchmarks.epochs import score_checkpoint
    from hrom.benchmarks.runner import check_hp, select_sequences

    hp = cfg.hp or "default"
    try:
        check_hp(hp)
    except HromError as exc:
        raise HromError(f"eval.hp={hp!r}: {exc}") from None
    try:
        select_sequences(open_benchmark(cfg.benchmark, cfg.root, partial=cfg.partial), cfg.sequences or None)
    except HromError as exc:
        raise HromError(f"eval (benchmark={cfg.benchmark!r}, root={cfg.root!r}): {exc}") from None

    def hook(checkpoint: Path, epoch: int) -> dict:
        return score_checkpoint(checkpoint, f"epoch_{epoch:02d}", cfg.benchmark, cfg.root, results_dir, hp=hp,
                                sequences=cfg.sequences or None, partial=cfg.partial, progress=False)

    return hook


def wants_eval(cfg: EvalConfig, epoch: int) -> bool:
    """Whether to evaluate after 1-based ``epoch``."""
    return epoch >= cfg.start_epoch and (epoch - cfg.start_epoch) % max(cfg.every_epochs, 1) == 0
