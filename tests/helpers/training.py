"""A small training-pair dataset for the training-loop tests, independent of hrom.data.

It follows the data contract of the training loop (template 3x127x127 and search 3x255x255
float RGB 0..255, pysot-style anchor labels) with a coloured rectangle on a smooth textured
background.  Item (e, i) — or i in the epoch set by set_epoch — depends only on (seed, e, i), as
the loop requires.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset
from torchvision.ops import box_iou

from hrom.models.anchors import AnchorConfig, anchor_grid

SCORE = 25
ANCHORS = torch.from_numpy(anchor_grid(AnchorConfig(), SCORE, center=255 // 2))  # (A*25*25, 4) cx,cy,w,h


def _xyxy(b: torch.Tensor) -> torch.Tensor:
    return torch.stack([b[..., 0] - b[..., 2] / 2, b[..., 1] - b[..., 3] / 2,
                        b[..., 0] + b[..., 2] / 2, b[..., 1] + b[..., 3] / 2], -1)


def anchor_targets(box_cxcywh: torch.Tensor, rng: np.random.Generator, pos_max: int = 16, total: int = 64):
    """pysot-style targets for one ground-truth box in the search image."""
    a = ANCHORS
    iou = box_iou(_xyxy(a), _xyxy(box_cxcywh[None]))[:, 0]
    cls = torch.full((a.shape[0],), -1, dtype=torch.int64)
    pos = torch.nonzero(iou > 0.6).flatten()
    neg = torch.nonzero(iou < 0.3).flatten()
    pos = pos[torch.from_numpy(rng.permutation(len(pos)))[:pos_max]] if len(pos) else pos
    neg = neg[torch.from_numpy(rng.permutation(len(neg)))[:total - len(pos)]]
    cls[pos] = 1
    cls[neg] = 0
    cx, cy, w, h = box_cxcywh
    loc = torch.stack([(cx - a[:, 0]) / a[:, 2], (cy - a[:, 1]) / a[:, 3], torch.log(w / a[:, 2]), torch.log(h / a[:, 3])])
    weight = torch.zeros(a.shape[0])
    if len(pos):
        weight[pos] = 1.0 / len(pos)
    A = a.shape[0] // (SCORE * SCORE)
    return cls.view(A, SCORE, SCORE), loc.view(4, A, SCORE, SCORE).float(), weight.view(A, SCORE, SCORE)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Blocky colour field + noise, in plain numpy (exact whatever the thread count, so items made
    in loader workers equal items made in the main process)."""
    cells = -(-size // 16)
    coarse = rng.uniform(40, 215, size=(3, cells, cells)).astype(np.float32)
    img = np.repeat(np.repeat(coarse, 16, axis=1), 16, axis=2)[:, :size, :size]
    return img + rng.normal(0, 8, size=(3, size, size)).astype(np.float32)


class SquarePairs(Dataset):
    """``length`` template/search pairs of one coloured rectangle that moves between the two."""

    def __init__(self, length: int = 64, seed: int = 0):
        self.length = length
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, key) -> dict[str, torch.Tensor]:
        epoch, i = key if isinstance(key, tuple) else (self.epoch, key)
        rng = np.random.default_rng([self.seed, epoch, i])
        color = rng.uniform(0, 255, size=3).astype(np.float32)
        w, h = rng.uniform(40, 90), rng.uniform(40, 90)
        z = _background(rng, 127)
        zc = 63.0
        z[:, int(zc - h / 2):int(zc + h / 2), int(zc - w / 2):int(zc + w / 2)] = color[:, None, None]
        x = _background(rng, 255)
        cx, cy = 127 + rng.uniform(-48, 48), 127 + rng.uniform(-48, 48)
        x0, y0, x1, y1 = int(round(cx - w / 2)), int(round(cy - h / 2)), int(round(cx + w / 2)), int(round(cy + h / 2))
        x[:, y0:y1, x0:x1] = color[:, None, None]
        box = torch.tensor([(x0 + x1) / 2, (y0 + y1) / 2, float(x1 - x0), float(y1 - y0)])
        cls, loc, weight = anchor_targets(box, rng)
        return {"template": torch.from_numpy(np.clip(z, 0, 255)), "search": torch.from_numpy(np.clip(x, 0, 255)),
                "label_cls": cls, "label_loc": loc, "label_loc_weight": weight,
                "bbox": torch.tensor([x0, y0, x1, y1], dtype=torch.float32), "neg": torch.tensor(0.0)}


def tiny_config(**changes):
    """A TrainConfig for hrom-tiny on CPU with a few iterations; ``changes`` as nested dicts."""
    from hrom.config import from_dict
    from hrom.training.config import TrainConfig

    base = {"model": "hrom-tiny", "batch_size": 2, "iters_per_epoch": 3, "workers": 0, "device": "cpu",
            "log_every": 1, "checkpoint_every": 0, "progress": False, "tensorboard": False, "seed": 0,
            "schedule": {"epochs": 2, "warmup_epochs": 1, "base_lr": 0.01, "end_lr": 0.001}}
    return from_dict(TrainConfig, _merge(base, changes))


def _merge(base: dict, update: dict) -> dict:
    out = dict(base)
    for k, v in update.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out
