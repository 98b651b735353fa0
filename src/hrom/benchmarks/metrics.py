"""Per-frame measures (vectorised over frames) and the curves built from them.

Conventions follow the references users compare with: IoU of ``x, y, w, h`` boxes as the
GOT-10k toolkit computes it (``inter / (union + eps)``, clipped to [0, 1], optional image bound),
centres at ``x + (w - 1) / 2`` (OTB), success thresholds ``0:0.05:1`` with ``iou > t``,
precision thresholds ``0..50`` px with ``error <= t``, normalized precision thresholds
``0:0.01:0.5`` (centre error divided by the ground-truth size, LaSOT / pysot).
"""

from __future__ import annotations

import numpy as np

EPS = np.finfo(float).eps
SUCCESS_THRESHOLDS = np.linspace(0, 1, 21)
PRECISION_THRESHOLDS = np.arange(0, 51, dtype=np.float64)
NORM_PRECISION_THRESHOLDS = np.arange(0, 51, dtype=np.float64) / 100.0


def clip_to_bound(boxes: np.ndarray, bound) -> np.ndarray:
    """Clip boxes into ``[0, W] x [0, H]`` the way the GOT-10k toolkit does (x, y first, then w, h)."""
    b = np.array(boxes, dtype=np.float64, copy=True)
    b[:, 0] = np.clip(b[:, 0], 0, bound[0])
    b[:, 1] = np.clip(b[:, 1], 0, bound[1])
    b[:, 2] = np.clip(b[:, 2], 0, bound[0] - b[:, 0])
    b[:, 3] = np.clip(b[:, 3], 0, bound[1] - b[:, 1])
    return b


def box_iou(a: np.ndarray, b: np.ndarray, bound=None, eps: float = EPS) -> np.ndarray:
    """IoU of matching rows of two (N, 4) x, y, w, h arrays."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if bound is not None:
        a, b = clip_to_bound(a, bound), clip_to_bound(b, bound)
    iw = np.maximum(np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0)
    ih = np.maximum(np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0)
    inter = iw * ih
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.clip(inter / (union + eps), 0.0, 1.0)


def centers(boxes: np.ndarray) -> np.ndarray:
    boxes = np.asarray(boxes, dtype=np.float64)
    return boxes[:, :2] + (boxes[:, 2:] - 1) / 2


def center_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(np.sum((centers(a) - centers(b)) ** 2, axis=1))


def normalized_center_error(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Centre error with each axis divided by the ground-truth width / height (pysot, LaSOT)."""
    gt = np.asarray(gt, dtype=np.float64)
    wh = gt[:, 2:] + 1e-16
    return np.sqrt(np.sum(((centers(pred) - centers(gt)) / wh) ** 2, axis=1))


def _poly_area(p: np.ndarray) -> float:
    x, y = p[:, 0], p[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _clip_convex(p: np.ndarray, bound) -> np.ndarray | None:
    if bound is None:
        return p
    rect = np.array([[0, 0], [bound[0], 0], [bound[0], bound[1]], [0, bound[1]]], dtype=np.float64)
    return _intersect(p, rect)[1]


def _intersect(p: np.ndarray, q: np.ndarray) -> tuple[float, np.ndarray | None]:
    import cv2

    # float32 is what OpenCV takes: shift to a local origin to keep precision
    origin = p.mean(axis=0)
    area, poly = cv2.intersectConvexConvex((p - origin).astype(np.float32), (q - origin).astype(np.float32))
    if area <= 0 or poly is None:
        return 0.0, None
    return float(area), poly.reshape(-1, 2).astype(np.float64) + origin


def polygon_iou(pred: np.ndarray, gt: np.ndarray, bound=None) -> float:
    """IoU of two convex polygons given as 8 values (or 4: a box), both clipped to ``[0,W]x[0,H]``.

    The `exact` VOT overlap option (the default is the pixel raster of :mod:`hrom.benchmarks.raster`).
    """
    def as_poly(v):
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        if len(v) == 4:
            x, y, w, h = v
            v = np.array([x, y, x + w, y, x + w, y + h, x, y + h])
        return v.reshape(4, 2)

    p, q = _clip_convex(as_poly(pred), bound), _clip_convex(as_poly(gt), bound)
    if p is None or q is None:
        return 0.0
    inter, _ = _intersect(p, q)
    union = _poly_area(p) + _poly_area(q) - inter
    return float(np.clip(inter / union, 0.0, 1.0)) if union > 0 else 0.0
