"""Anchor classification / regression targets for one search crop (SiamRPN++ rules).

Positive: IoU > 0.6 with the target, negative: IoU < 0.3, the rest ignored (-1); at most
``pos_num`` positives and ``total_num - pos_num`` negatives are kept (random subset), as in
pysot.  Regression targets ``(tx - ax)/aw, (ty - ay)/ah, log(tw/aw), log(th/ah)`` are given for
every anchor; their weights are ``1 / num_pos`` on the kept positives and 0 elsewhere.

For a negative pair (search crop shows another object) no anchor is positive: up to
``neg_pair_num`` negatives are drawn from the 7x7 cells around that object's position, which
teaches the network to reject look-alike distractors where it would otherwise fire.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hrom.models.config import ModelConfig
from hrom.models.head_geometry import HeadGeometry


def iou_one_to_many(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one x1,y1,x2,y2 box with (N, 4) boxes (areas as (x2-x1)(y2-y1))."""
    iw = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    ih = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = iw * ih
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-12)


@dataclass
class AnchorTargets:
    cls: np.ndarray  # (A, S, S) int64: 1 positive, 0 negative, -1 ignore
    loc: np.ndarray  # (4, A, S, S) float32
    loc_weight: np.ndarray  # (A, S, S) float32
    overlap: np.ndarray  # (A, S, S) float32 IoU with the target (zeros for negative pairs)


class AnchorTargetBuilder:
    """Targets on the response map of a network's ``geometry`` (default: the paper's 25x25 grid of
    five anchors over a 255 crop), anchors from ``HeadGeometry.anchor_grid``."""

    def __init__(
        self,
        geometry: HeadGeometry | None = None,
        pos_iou: float = 0.6,
        neg_iou: float = 0.3,
        pos_num: int = 16,
        total_num: int = 64,
        neg_pair_num: int = 16,
    ):
        geometry = geometry or ModelConfig().geometry
        self.a = geometry.anchor_num
        self.size = geometry.score_size
        self.search_size = geometry.search_size
        self.stride = geometry.stride
        self.pos_iou, self.neg_iou = pos_iou, neg_iou
        self.pos_num, self.total_num, self.neg_pair_num = pos_num, total_num, neg_pair_num
        grid = geometry.anchor_grid(center=geometry.search_size // 2).astype(np.float64)
        self.centers = grid  # (A*S*S, 4) cx, cy, w, h (anchor-major)
        self.corners = np.stack(
            [grid[:, 0] - grid[:, 2] / 2, grid[:, 1] - grid[:, 3] / 2, grid[:, 0] + grid[:, 2] / 2, grid[:, 1] + grid[:, 3] / 2],
            axis=1,
        )

    @staticmethod
    def _keep(idx: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        return idx if len(idx) <= n else rng.permutation(idx)[:n]

    def __call__(self, bbox: np.ndarray, neg: bool, rng: np.random.Generator) -> AnchorTargets:
        shape = (self.a, self.size, self.size)
        n = self.a * self.size * self.size
        cls = np.full(n, -1, dtype=np.int64)
        loc = np.zeros((4, n), dtype=np.float32)
        weight = np.zeros(n, dtype=np.float32)
        x1, y1, x2, y2 = (float(v) for v in bbox)
        tcx, tcy, tw, th = (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
        if neg:
            c = self.search_size // 2
            gx = self.size // 2 + int(round((tcx - c) / self.stride))
            gy = self.size // 2 + int(round((tcy - c) / self.stride))
            region = np.zeros((self.size, self.size), dtype=bool)
            region[max(0, gy - 3) : max(0, gy + 4), max(0, gx - 3) : max(0, gx + 4)] = True
            candidates = np.flatnonzero(np.broadcast_to(region, shape).reshape(-1))
            cls[self._keep(candidates, self.neg_pair_num, rng)] = 0
            return AnchorTargets(cls.reshape(shape), loc.reshape((4,) + shape), weight.reshape(shape), np.zeros(shape, np.float32))
        ax, ay, aw, ah = self.centers.T
        loc[0] = (tcx - ax) / aw
        loc[1] = (tcy - ay) / ah
        loc[2] = np.log(max(tw, 1e-6) / aw)
        loc[3] = np.log(max(th, 1e-6) / ah)
        overlap = iou_one_to_many(np.array([x1, y1, x2, y2]), self.corners)
        pos = self._keep(np.flatnonzero(overlap > self.pos_iou), self.pos_num, rng)
        negs = self._keep(np.flatnonzero(overlap < self.neg_iou), self.total_num - self.pos_num, rng)
        cls[pos] = 1
        if len(pos):
            weight[pos] = 1.0 / len(pos)
        cls[negs] = 0
        return AnchorTargets(
            cls.reshape(shape), loc.reshape((4,) + shape), weight.reshape(shape), overlap.reshape(shape).astype(np.float32)
        )
