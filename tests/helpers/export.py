"""Helpers for the export tests: weights that make parity checks meaningful, real crops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from hrom.models import ModelConfig, build_model
from hrom.models.rpn import DeformableConv


@torch.no_grad()
def realistic_model(preset: "str | ModelConfig", seed: int = 0):
    """A seeded network whose BN statistics are not the identity (so BN folding is exercised),
    whose deformable offsets are non-zero and fractional, and whose outputs reach O(1..10)."""
    torch.manual_seed(seed)
    model = build_model(preset).eval()
    g = torch.Generator().manual_seed(seed + 1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_((torch.rand(n, generator=g) - 0.5) * 0.4)
            m.running_var.copy_(0.5 + torch.rand(n, generator=g))
            m.weight.copy_(0.6 + 0.8 * torch.rand(n, generator=g))
            m.bias.copy_((torch.rand(n, generator=g) - 0.5) * 0.2)
        if isinstance(m, DeformableConv):
            m.offset.weight.normal_(0.0, 0.02, generator=g)
            m.offset.bias.uniform_(-0.7, 0.7, generator=g)
    for head in (model.rpn.cls.head, model.rpn.loc.head):
        head[-1].weight.mul_(5.0)
    return model


def random_pixels(side: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (1, 3, side, side)).astype(np.float32)


def frame_crops(shared: Path) -> tuple[np.ndarray, np.ndarray]:
    """Template and search crops (RGB float32 NCHW) around the target of OTB Crossing frame 1."""
    import cv2

    seq = shared / "data" / "otb" / "Crossing"
    img = cv2.cvtColor(cv2.imread(str(seq / "img" / "0001.jpg")), cv2.COLOR_BGR2RGB)
    x, y, w, h = np.loadtxt(seq / "groundtruth_rect.txt", delimiter=None)[0]
    cx, cy = x + w / 2, y + h / 2
    side_z = np.sqrt((w + (w + h) / 2) * (h + (w + h) / 2))

    def crop(side: float, out: int) -> np.ndarray:
        patch = cv2.getRectSubPix(img, (int(round(side)), int(round(side))), (float(cx), float(cy)))
        patch = cv2.resize(patch, (out, out), interpolation=cv2.INTER_LINEAR)
        return np.ascontiguousarray(patch.transpose(2, 0, 1)[None], dtype=np.float32)

    return crop(side_z, 127), crop(side_z * 255 / 127, 255)
