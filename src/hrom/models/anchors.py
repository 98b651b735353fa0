"""RPN anchors (SiamRPN++ convention): stride 8, one scale (8), ratios [0.33, 0.5, 1, 2, 3].

Shared by the tracker (decoding ``loc`` maps) and by training (anchor targets), so both agree
on the anchor order: anchor-major, i.e. index = a * (h * w) + y * w + x, matching the pysot
layout ``cls.view(b, 2, A, h, w)`` / ``loc.view(b, 4, A, h, w)``.  Which anchors a network
has is part of its ``ModelConfig`` (``ModelConfig.geometry.anchors``); the defaults here are the
paper's and exist for hand-made grids in tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


DEFAULT_RATIOS: tuple[float, ...] = (0.33, 0.5, 1.0, 2.0, 3.0)  # paper section 4.1, after SiamRPN
DEFAULT_SCALES: tuple[float, ...] = (8.0,)


@dataclass(frozen=True)
class AnchorConfig:
    stride: int = 8
    ratios: tuple[float, ...] = DEFAULT_RATIOS
    scales: tuple[float, ...] = DEFAULT_SCALES

    @property
    def num(self) -> int:
        return len(self.ratios) * len(self.scales)


def base_anchors(cfg: AnchorConfig = AnchorConfig()) -> np.ndarray:
    """(A, 4) anchors as (x1, y1, x2, y2) centred on 0, in pysot's integer-rounded sizes."""
    size = cfg.stride * cfg.stride
    out = []
    for r in cfg.ratios:
        ws = int(np.sqrt(size * 1.0 / r))
        hs = int(ws * r)
        for s in cfg.scales:
            w, h = ws * s, hs * s
            out.append([-w * 0.5, -h * 0.5, w * 0.5, h * 0.5])
    return np.asarray(out, dtype=np.float32)


def anchor_grid(cfg: AnchorConfig, score_size: int, center: float = 0.0) -> np.ndarray:
    """(A * score_size**2, 4) anchors as (cx, cy, w, h), anchor-major.

    ``center`` is the image coordinate of the score map's middle cell: 0 for the tracker
    (offsets relative to the search-region centre), ``search_size // 2`` for training targets.
    """
    base = base_anchors(cfg)
    w = base[:, 2] - base[:, 0]
    h = base[:, 3] - base[:, 1]
    ori = center - (score_size // 2) * cfg.stride
    coords = ori + cfg.stride * np.arange(score_size, dtype=np.float32)
    xx, yy = np.meshgrid(coords, coords)  # (h, w)
    a = len(base)
    cx = np.broadcast_to(xx, (a, score_size, score_size))
    cy = np.broadcast_to(yy, (a, score_size, score_size))
    ww = np.broadcast_to(w[:, None, None], (a, score_size, score_size))
    hh = np.broadcast_to(h[:, None, None], (a, score_size, score_size))
    return np.stack([cx, cy, ww, hh], axis=-1).reshape(-1, 4).astype(np.float32)

