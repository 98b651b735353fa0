"""The paper's two-phase schedule as pure functions of (epoch, iteration), nothing to checkpoint
and the same value whether a run was resumed or not; and which parameters train (the warm-up's
freeze of loaded backbone weights, ``train_layers``)."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from hrom.errors import HromError
from hrom.models.checkpoint import under_prefix
from hrom.training.config import ScheduleConfig


def learning_rate(s: ScheduleConfig, epoch: int, iteration: int, iters_per_epoch: int) -> float:
    """lr for 0-based ``epoch`` and 0-based ``iteration`` within it (see ScheduleConfig)."""
    if epoch < s.warmup_epochs:
        return s.base_lr
    k = epoch - s.warmup_epochs
    n = s.epochs - s.warmup_epochs
    if s.lr_decay == "iteration":
        steps = n * iters_per_epoch - 1
        t = (k * iters_per_epoch + iteration) / steps if steps > 0 else 0.0
    else:
        t = k / (n - 1) if n > 1 else 0.0
    t = min(max(t, 0.0), 1.0)
    return s.base_lr * (s.end_lr / s.base_lr) ** t


def backbone_frozen(s: ScheduleConfig, epoch: int) -> bool:
    """Whether ``epoch`` is a warm-up epoch whose pretrained backbone tensors stay frozen."""
    return s.freeze_backbone_in_warmup and epoch < s.warmup_epochs


def freeze_pretrained(model: nn.Module, pretrained: set[str], frozen: bool) -> int:
    """Freeze (``frozen``) or release the backbone parameters that loaded weights initialised.

    ``pretrained``: backbone-relative tensor names (``LoadReport.loaded``). Only those are frozen:
    the paper warms up the object-aware masks and the RPN on a *pretrained* backbone, and a part
    with no ImageNet counterpart (R4's transform-fusion and dilated blocks) must train with the
    head from the start instead of staying at its random initialisation. Returns how many
    parameters are frozen.
    """
    n = 0
    for name, p in model.backbone.named_parameters():
        hold = frozen and name in pretrained
        p.requires_grad_(not hold)
        n += hold
    return n


def restrict_training(model: nn.Module, layers: Sequence[str]) -> int:
    """Freeze every parameter whose name starts with none of ``layers`` (pysot's TRAIN_LAYERS);
    an empty list leaves the model alone.  Returns how many parameter tensors still train.

    Called after ``freeze_pretrained``, so a warm-up freeze and this restriction both hold.
    A prefix that names no parameter is refused: a typo would otherwise train nothing of it.
    """
    if not layers:
        return sum(p.requires_grad for p in model.parameters())
    names = [n for n, _ in model.named_parameters()]
    for prefix in layers:
        if not any(under_prefix(n, prefix) for n in names):
            tops = sorted({n.split(".")[0] for n in names})
            raise HromError(f"train_layers: {prefix!r} names no parameter of this network; expected a dotted name "
                            f"prefix: one of {', '.join(tops)}, or a part of one (e.g. rpn.loc)")
    n = 0
    for name, p in model.named_parameters():
        if not any(under_prefix(name, prefix) for prefix in layers):
            p.requires_grad_(False)
        n += p.requires_grad
    return n


def set_train_mode(model: nn.Module, frozen_pretrained: set[str] = frozenset(), layers: Sequence[str] = ()) -> None:
    """Training mode, except BatchNorm layers whose statistics came with the frozen pretrained
    weights (they keep their ImageNet statistics) and, when ``layers`` restricts training, every
    BatchNorm outside it (a frozen layer keeps the statistics it was trained with)."""
    model.train()
    for name, module in model.backbone.named_modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm) and f"{name}.running_mean" in frozen_pretrained:
            module.eval()
    if layers:
        for name, module in model.named_modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm) and not any(under_prefix(name, p) for p in layers):
                module.eval()
