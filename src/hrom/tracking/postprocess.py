"""From raw ``cls`` / ``loc`` maps to the next box: the SiamRPN++ post-processing.

Kept free of torch and of any network so that every backend (PyTorch now, ONNX Runtime later)
shares it, and so that it can be checked on hand-made maps.  Layouts (pysot): ``cls`` is
(1, 2A, s, s) read as (2, A, s, s) = [background x A, foreground x A]; ``loc`` is (1, 4A, s, s)
read as (4, A, s, s) = (dx, dy, dw, dh); flattening gives the anchor-major order of
``hrom.models.anchors.anchor_grid``.  Anchors and map size are the network's
(``ModelConfig.geometry``), the knobs are the ``TrackerConfig``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hrom.errors import HromError
from hrom.models.head_geometry import HeadGeometry
from hrom.tracking.config import TrackerConfig, default_geometry


def hann_window(score_size: int, anchor_num: int) -> np.ndarray:
    """Cosine window over the response map, tiled anchor-major: (A * s * s,)."""
    h = np.hanning(score_size)
    return np.tile(np.outer(h, h).ravel(), anchor_num)


def foreground_scores(cls: np.ndarray, anchor_num: int) -> np.ndarray:
    """Softmax foreground probability per anchor, (A * s * s,) anchor-major."""
    c = np.asarray(cls, dtype=np.float64).reshape(2, anchor_num, -1)
    # softmax over (bg, fg) = sigmoid(fg - bg), written to avoid overflow for large logits
    d = c[1] - c[0]
    return (0.5 * (1.0 + np.tanh(0.5 * d))).ravel()


def decode_boxes(loc: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """(4, N) boxes (cx, cy, w, h) in search-crop pixels relative to the crop centre."""
    d = np.asarray(loc, dtype=np.float64).reshape(4, -1)
    a = anchors.astype(np.float64).T
    return np.stack([d[0] * a[2] + a[0], d[1] * a[3] + a[1], np.exp(d[2]) * a[2], np.exp(d[3]) * a[3]])


def change(r: np.ndarray) -> np.ndarray:
    """Symmetric ratio: max(r, 1/r) (1 = no change)."""
    return np.maximum(r, 1.0 / r)


def padded_side(w, h):
    """Scale measure of a box with half its perimeter as context: sqrt((w + p)(h + p)), p = (w + h) / 2."""
    p = (w + h) * 0.5
    return np.sqrt((w + p) * (h + p))


def change_penalty(boxes: np.ndarray, target_w: float, target_h: float, penalty_k: float) -> np.ndarray:
    """exp(-(r_c * s_c - 1) * K): penalise proposals whose scale or aspect ratio differs from the
    current target (``target_w``/``target_h`` in search-crop pixels)."""
    s_c = change(padded_side(boxes[2], boxes[3]) / padded_side(target_w, target_h))
    r_c = change((target_w / target_h) / (boxes[2] / boxes[3]))
    return np.exp(-(r_c * s_c - 1.0) * penalty_k)


@dataclass
class Step:
    """What one update decided (all in frame pixels except ``index``)."""

    index: int           # chosen anchor (anchor-major)
    score: float         # its foreground score before penalties (the tracker's confidence)
    penalty: float       # its scale/ratio penalty
    lr: float            # size interpolation rate used: penalty * score * cfg.lr
    center: np.ndarray   # new (cx, cy)
    size: np.ndarray     # new (w, h)


class PostProcessor:
    """Holds the anchors and the window of a network's ``geometry`` (default: the paper's) and the
    knobs of a ``TrackerConfig``; ``step`` does one update."""

    def __init__(self, cfg: TrackerConfig, geometry: HeadGeometry | None = None):
        self.cfg = cfg
        self.geometry = geometry = geometry or default_geometry()
        self.anchor_num = geometry.anchor_num
        self.score_size = geometry.score_size
        self.anchors = geometry.anchor_grid(center=0.0)
        self.window = hann_window(self.score_size, self.anchor_num)

    def check_shapes(self, cls: np.ndarray, loc: np.ndarray) -> None:
        s, a = self.score_size, self.anchor_num
        if tuple(cls.shape) != (1, 2 * a, s, s) or tuple(loc.shape) != (1, 4 * a, s, s):
            raise HromError(f"network outputs cls {tuple(cls.shape)}, loc {tuple(loc.shape)}; its geometry promises "
                            f"(1, {2 * a}, {s}, {s}) and (1, {4 * a}, {s}, {s}) (the backend's ModelConfig does not "
                            "describe this network)")

    def step(self, cls: np.ndarray, loc: np.ndarray, center: np.ndarray, size: np.ndarray,
             scale_z: float, image_wh: tuple[int, int]) -> Step:
        """Choose the best proposal and return the smoothed, clipped new state.

        ``center``/``size`` are the current state in frame pixels, ``scale_z`` the factor from
        frame pixels to crop pixels, ``image_wh`` the frame's (width, height).
        """
        cfg = self.cfg
        score = foreground_scores(cls, self.anchor_num)
        boxes = decode_boxes(loc, self.anchors)
        penalty = change_penalty(boxes, size[0] * scale_z, size[1] * scale_z, cfg.penalty_k)
        pscore = penalty * score
        pscore = pscore * (1.0 - cfg.window_influence) + self.window * cfg.window_influence
        best = int(np.argmax(pscore))
        box = boxes[:, best] / scale_z
        lr = float(penalty[best] * score[best] * cfg.lr)
        cx, cy = center[0] + box[0], center[1] + box[1]
        w = size[0] * (1.0 - lr) + box[2] * lr
        h = size[1] * (1.0 - lr) + box[3] * lr
        cx, cy, w, h = clip_state(cx, cy, w, h, image_wh, cfg.min_size, cfg.keep_box_inside)
        return Step(best, float(score[best]), float(penalty[best]), lr, np.array([cx, cy]), np.array([w, h]))


def clip_state(cx: float, cy: float, w: float, h: float, image_wh: tuple[int, int], min_size: float,
               keep_box_inside: bool = True) -> tuple[float, float, float, float]:
    """Keep the box at least ``min_size`` (but no larger than the frame) and inside the frame.

    ``keep_box_inside``: the whole box stays in the frame; otherwise only its centre (pysot).
    """
    W, H = float(image_wh[0]), float(image_wh[1])
    w = min(max(w, min(min_size, W)), W)
    h = min(max(h, min(min_size, H)), H)
    if keep_box_inside:
        cx = min(max(cx, w / 2.0), W - w / 2.0)
        cy = min(max(cy, h / 2.0), H - h / 2.0)
    else:
        cx = min(max(cx, 0.0), W)
        cy = min(max(cy, 0.0), H)
    return float(cx), float(cy), float(w), float(h)
