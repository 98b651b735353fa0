"""The paper's two-phase schedule as pure functions of (epoch, iteration): nothing to checkpoint
and the same value whether a run was resumed or not."""

from __future__ import annotations

from torch import nn

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
    return s.freeze_backbone_in_warmup and epoch < s.warmup_epochs


def set_backbone_trainable(model: nn.Module, trainable: bool) -> None:
    """Freeze / unfreeze the backbone weights (the masks, neck and RPN always train)."""
    for p in model.backbone.parameters():
        p.requires_grad_(trainable)


def set_train_mode(model: nn.Module, frozen_backbone: bool) -> None:
    """Training mode, except a frozen backbone whose BatchNorm keeps its ImageNet statistics."""
    model.train()
    if frozen_backbone:
        model.backbone.eval()
