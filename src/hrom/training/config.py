"""TrainConfig: every knob of ``hrom train`` as typed dataclasses (YAML + ``--set key=value``).

Defaults are the paper's schedule (section 4.1): SGD, batch 12, 20 epochs, the first 10 a
warm-up at a fixed 1e-3 with the pretrained backbone frozen, then the whole model with the learning rate
decayed exponentially from 1e-3 to 1e-4.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hrom.config import to_dict
from hrom.data.config import DataConfig
from hrom.errors import HromError
from hrom.training.distill import DistillConfig
from hrom.training.losses import LossConfig

@dataclass
class OptimConfig:
    """SGD settings; ``backbone_lr_mult`` scales the backbone's lr once it trains (pysot uses 0.1,
    the paper trains the whole model at one rate: 1.0)."""

    momentum: float = 0.9
    weight_decay: float = 1e-4
    nesterov: bool = False
    grad_clip: float = 10.0  # max global gradient L2 norm; 0 disables clipping
    backbone_lr_mult: float = 1.0


@dataclass
class ScheduleConfig:
    """Epoch e (0-based) < warmup_epochs: lr = base_lr, and (``freeze_backbone_in_warmup``) the
    backbone tensors that ``backbone_weights`` loaded are frozen (weights and BN stats); the rest
    of the backbone (R4, which has no ImageNet counterpart) trains with the head.
    Afterwards: lr = base_lr * (end_lr / base_lr) ** t, t going 0 -> 1 over the remaining epochs,
    stepped once per epoch (``lr_decay: epoch``, pysot's log schedule: the first decay epoch uses
    base_lr, the last end_lr) or every iteration (``lr_decay: iteration``)."""

    epochs: int = 20
    warmup_epochs: int = 10
    base_lr: float = 1e-3
    end_lr: float = 1e-4
    lr_decay: str = "epoch"
    freeze_backbone_in_warmup: bool = True


@dataclass
class EvalConfig:
    """Optional evaluation after each epoch checkpoint (rank 0 only); off when benchmark is empty."""

    benchmark: str = ""  # a name known to hrom.benchmarks (otb100, uav123, vot2018, got10k_val, ...)
    root: str = ""  # its dataset folder
    sequences: list[str] = field(default_factory=list)  # a subset, for a quick check; empty: all
    partial: bool = False  # accept a root that holds only some of the benchmark's sequences
    # tracker hyper-parameters for these evaluations: a preset or a YAML file (e.g. hrom tune's
    # best_hp.yaml); empty: the 'default' preset.  A weak early network ranks very differently
    # under pysot's defaults than under tuned values, so epochs are best compared with the latter.
    hp: str = ""
    every_epochs: int = 1
    start_epoch: int = 1


@dataclass
class DebugConfig:
    """Test-only switches: stop after a global iteration without saving (a simulated crash), and
    dump every rank's weights + sample indices to RUN_DIR/debug/rank<r>.pt at the end."""

    stop_after_iters: int = 0
    dump_rank_state: bool = False


@dataclass
class TrainConfig:
    model: str = "hrom-w18"
    model_overrides: dict[str, Any] = field(default_factory=dict)  # ModelConfig fields changed from the preset
    backbone_weights: str = ""  # HRNet ImageNet checkpoint (official or timm); empty: random init
    init_weights: str = ""  # fine-tune: every weight from an hrom checkpoint or tag ("hrom-tiny.bundled"); empty: none
    # tensor-name prefixes that init_weights leaves at their fresh initialisation, e.g. [rpn.loc]
    # to re-learn (or, with model_overrides.loc_hidden, widen) the box-regression branch
    init_exclude: list[str] = field(default_factory=list)
    # parameter-name prefixes that train (pysot's TRAIN_LAYERS), e.g. [rpn.loc]; the rest stay
    # frozen, BatchNorm statistics included.  Empty: the whole network trains.
    train_layers: list[str] = field(default_factory=list)
    data: DataConfig = field(default_factory=DataConfig)  # sources, samples_per_epoch, augmentation
    loss: LossConfig = field(default_factory=LossConfig)
    distill: DistillConfig = field(default_factory=DistillConfig)  # a pretrained teacher's feature structure; off by default
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    batch_size: int = 12  # per process
    iters_per_epoch: int = 0  # 0: data.samples_per_epoch // (batch_size * world_size)
    checkpoint_every: int = 500  # iterations between RUN_DIR/checkpoints/latest.pt saves (0: epoch ends only)
    log_every: int = 20
    workers: int = 4  # data-loading processes per training process
    seed: int = 0
    amp: bool = True  # mixed precision; only ever enabled when the device is CUDA
    device: str = "auto"  # auto | cpu | cuda | cuda:N (under torchrun, "cuda" means cuda:LOCAL_RANK)
    progress: bool = True
    tensorboard: bool = True  # written when the tensorboard package is importable
    dist_timeout_minutes: int = 60
    eval: EvalConfig = field(default_factory=EvalConfig)
    debug: DebugConfig = field(default_factory=DebugConfig)

    def __post_init__(self) -> None:
        s = self.schedule
        checks = [
            (self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}"),
            (s.epochs >= 1, f"schedule.epochs must be >= 1, got {s.epochs}"),
            (0 <= s.warmup_epochs <= s.epochs, f"schedule.warmup_epochs must be in 0..epochs, got {s.warmup_epochs}"),
            (s.base_lr > 0 and s.end_lr > 0, "schedule.base_lr and schedule.end_lr must be positive"),
            (s.lr_decay in ("epoch", "iteration"), f"schedule.lr_decay must be 'epoch' or 'iteration', got {s.lr_decay!r}"),
            (self.iters_per_epoch >= 0, f"iters_per_epoch must be >= 0, got {self.iters_per_epoch}"),
            (self.checkpoint_every >= 0 and self.log_every >= 1, "checkpoint_every must be >= 0 and log_every >= 1"),
            (self.workers >= 0, f"workers must be >= 0, got {self.workers}"),
            (self.init_weights or not self.init_exclude, "init_exclude needs init_weights (it names the parts "
                                                         "of those weights that are not loaded)"),
        ]
        for ok, msg in checks:
            if not ok:
                raise HromError(f"train config: {msg}")

    def model_config(self):
        """The ModelConfig: the preset with ``model_overrides`` applied (unknown fields rejected)."""
        from hrom.models.config import get_preset, model_config_from_dict

        base = to_dict(get_preset(self.model))
        base.update(self.model_overrides)
        if self.model_overrides and "name" not in self.model_overrides:
            base["name"] = self.model
        return model_config_from_dict(base, "model_overrides")

    def iterations(self, world_size: int) -> int:
        """Iterations per epoch for each process."""
        if self.iters_per_epoch:
            return self.iters_per_epoch
        n = self.data.samples_per_epoch // (self.batch_size * world_size)
        if n < 1:
            raise HromError(f"train config: data.samples_per_epoch={self.data.samples_per_epoch} gives no iteration with "
                            f"batch_size={self.batch_size} x {world_size} processes; raise it or set iters_per_epoch")
        return n


def shipped_configs() -> dict[str, Path]:
    """The training configs installed with the package (``hrom/configs/*.yaml``) by file name."""
    folder = Path(__file__).resolve().parent.parent / "configs"
    return {p.name: p for p in sorted(folder.glob("*.yaml"))}


def resolve_config(path: str | Path) -> Path:
    """A config file, or the name of a shipped one (``hrom_w18`` or ``hrom_w18.yaml``), so that
    ``hrom train --config hrom_w18`` works from an installed package as well as from a checkout."""
    given = Path(path)
    if given.is_file():
        return given
    name = given.name if given.suffix in (".yaml", ".yml") else f"{given.name}.yaml"
    shipped = shipped_configs()
    if len(given.parts) <= 2 and name in shipped and given.parent.name in ("", "configs"):
        return shipped[name]
    names = ", ".join(n.removesuffix(".yaml") for n in shipped)
    raise HromError(f"{path}: config file not found; expected a YAML file or a shipped config name ({names})")
