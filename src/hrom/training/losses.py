"""Training criterion for the RPN outputs, kept apart from the network (``forward`` needs no labels).

Classification: cross-entropy over the (background, foreground) pair of every anchor, averaged
separately over positive and negative anchors and mixed 0.5 / 0.5, so the rare positives weigh as
much as the many negatives; anchors labelled -1 are ignored (SiamRPN++ convention).

Regression: smooth L1 on the four normalised deltas (dx, dy, dw, dh), summed over the deltas,
weighted per anchor by ``label_loc_weight`` and summed over anchors, divided by the batch size.
The data pipeline sets that weight to 1/num_positives on positives and 0 elsewhere, so this is the
mean loss per positive anchor.  The paper says "standard smooth L1"; pysot uses plain L1 with the
same weighting, which ``loc_loss="l1"`` reproduces.  ``beta`` is where smooth L1 turns from
quadratic to linear: deltas are small (|d| < 1 mostly), so the default 1/9 (Faster R-CNN's RPN,
sigma = 3) keeps useful gradients where beta = 1 would make the loss almost purely quadratic.
``loc_loss="smooth_l1+giou"`` adds a generalised-IoU loss (torchvision.ops) on the boxes the
deltas decode to, in anchor units: an axis-wise rescaling changes no (G)IoU, so one anchor-free
formula is exact for every anchor, and a size error costs what it costs in overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import generalized_box_iou_loss

from hrom.errors import HromError


LOC_LOSSES = ("smooth_l1", "l1", "smooth_l1+giou")


@dataclass
class LossConfig:
    cls_weight: float = 1.0
    loc_weight: float = 1.2
    loc_loss: str = "smooth_l1"  # or "l1" (pysot's weight_l1_loss), or "smooth_l1+giou"
    smooth_l1_beta: float = 1.0 / 9.0

    def __post_init__(self) -> None:
        if self.loc_loss not in LOC_LOSSES:
            raise HromError(f"loss.loc_loss: expected one of {', '.join(LOC_LOSSES)}, got {self.loc_loss!r}")
        if self.smooth_l1_beta <= 0:
            raise HromError(f"loss.smooth_l1_beta: expected a positive number, got {self.smooth_l1_beta}")


def cls_log_probs(cls: torch.Tensor, anchor_num: int) -> torch.Tensor:
    """(B, 2A, H, W) logits laid out [bg x A, fg x A] -> (B, A, H, W, 2) log-probabilities."""
    b, c, h, w = cls.shape
    if c != 2 * anchor_num:
        raise ValueError(f"cls has {c} channels, expected 2 * {anchor_num}")
    return F.log_softmax(cls.view(b, 2, anchor_num, h, w).permute(0, 2, 3, 4, 1), dim=-1)


def select_cross_entropy(cls: torch.Tensor, label_cls: torch.Tensor) -> torch.Tensor:
    """0.5 * mean CE over positive anchors + 0.5 * mean CE over negative ones (-1 ignored).

    ``label_cls`` is (B, A, H, W) with 1 / 0 / -1.  A term with no anchor contributes 0.
    """
    logp = cls_log_probs(cls, label_cls.shape[1]).reshape(-1, 2)
    label = label_cls.reshape(-1)
    total = cls.sum() * 0.0  # keeps the graph connected (DDP) even if a term has no anchor
    for value in (1, 0):
        sel = label == value
        if bool(sel.any()):
            total = total + 0.5 * F.nll_loss(logp[sel], label[sel].long())
    return total


def weighted_loc_loss(loc: torch.Tensor, label_loc: torch.Tensor, weight: torch.Tensor,
                      kind: str = "smooth_l1", beta: float = 1.0 / 9.0) -> torch.Tensor:
    """Sum over anchors of weight * (per-anchor loss summed over the 4 deltas), divided by batch.

    ``loc`` is (B, 4A, H, W) (pysot layout ``view(B, 4, A, H, W)``), ``label_loc`` (B, 4, A, H, W),
    ``weight`` (B, A, H, W).
    """
    b, _, h, w = loc.shape
    pred = loc.view(b, 4, -1, h, w)
    if kind == "l1":
        per = (pred - label_loc).abs().sum(dim=1)
    else:
        per = F.smooth_l1_loss(pred, label_loc, reduction="none", beta=beta).sum(dim=1)
    if kind.endswith("+giou"):
        per = per + delta_giou_loss(pred, label_loc)
    return (per * weight).sum() / b


def _delta_corners(d: torch.Tensor) -> torch.Tensor:
    """(B, 4, ...) deltas -> (..., 4) corners in anchor units (anchor = unit box at the origin);
    log sizes clamped so an untrained branch cannot overflow exp."""
    half_w, half_h = torch.exp(d[:, 2].clamp(-6, 6)) / 2, torch.exp(d[:, 3].clamp(-6, 6)) / 2
    return torch.stack([d[:, 0] - half_w, d[:, 1] - half_h, d[:, 0] + half_w, d[:, 1] + half_h], dim=-1)


def delta_giou_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - GIoU between the boxes two (B, 4, A, H, W) delta maps decode to, per anchor (B, A, H, W)."""
    return generalized_box_iou_loss(_delta_corners(pred), _delta_corners(target), reduction="none")


class TrackingLoss(nn.Module):
    """total = cls_weight * classification + loc_weight * regression; returns all three."""

    def __init__(self, config: LossConfig | None = None):
        super().__init__()
        self.config = config or LossConfig()

    def forward(self, cls: torch.Tensor, loc: torch.Tensor, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        c = self.config
        # losses in float32 even when the network ran under autocast
        cls_loss = select_cross_entropy(cls.float(), batch["label_cls"])
        loc_loss = weighted_loc_loss(loc.float(), batch["label_loc"].float(), batch["label_loc_weight"].float(),
                                     c.loc_loss, c.smooth_l1_beta)
        total = c.cls_weight * cls_loss + c.loc_weight * loc_loss
        return {"loss": total, "cls": cls_loss, "loc": loc_loss}
