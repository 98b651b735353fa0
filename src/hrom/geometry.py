"""Crop geometry shared by training and tracking: where a template / search crop looks.

Training crops and tracking crops must be the same map from frame to network input, or a
network trained on one sees something else at inference.  Both import it from here, a
dependency-free module below every package (``hrom.data`` and ``hrom.tracking`` both use it,
and neither may import the other).

Conventions: boxes are ``x, y, w, h`` with ``x, y`` the top-left pixel *edge* (COCO / GOT-10k /
OTB), so a box's centre is ``x + w/2`` in edge units and ``x + w/2 - 0.5`` in pixel-centre units
(pixel ``i`` spans ``[i - 0.5, i + 0.5]``, the convention of ``cv2.warpAffine``).  The square
region of side ``s_z = sqrt((w + p)(h + p))``, ``p = context * (w + h)``, maps to the
``exemplar_size`` template; a search crop of ``S`` pixels covers ``s_z * S / exemplar_size``
frame pixels around the same centre, so one frame pixel is ``k = exemplar_size / s_z`` crop
pixels in both.  Outside the frame the crop takes the frame's mean colour.
"""

from __future__ import annotations

import cv2
import numpy as np


def context_side(w: float, h: float, context_amount: float) -> float:
    """Side of the square template region: sqrt((w + p)(h + p)) with p = context * (w + h)."""
    p = context_amount * (w + h)
    return float(np.sqrt((w + p) * (h + p)))


def mean_color(image: np.ndarray) -> tuple[float, float, float]:
    """Per-channel mean of the frame (in its own channel order): the padding colour of crops."""
    m = cv2.mean(image)
    return float(m[0]), float(m[1]), float(m[2])


def crop_matrix(cx: float, cy: float, side: float, out_size: int) -> np.ndarray:
    """2x3 affine map from crop pixel indices to frame pixel indices (for ``WARP_INVERSE_MAP``).

    The square of ``side`` frame pixels centred on the edge-unit point ``(cx, cy)``, sampled like
    ``cv2.resize`` of that square: output pixel ``i`` reads ``left + (i + 0.5) * side / out - 0.5``.
    The tracker uses this direction (no matrix inversion per frame).
    """
    s = side / out_size
    left, top = cx - side / 2.0, cy - side / 2.0
    return np.array([[s, 0.0, left + 0.5 * s - 0.5], [0.0, s, top + 0.5 * s - 0.5]], dtype=np.float64)


def crop_transform(
    box: np.ndarray,
    out_size: int,
    exemplar_size: int = 127,
    context: float = 0.5,
    scale: tuple[float, float] = (1.0, 1.0),
    shift: tuple[float, float] = (0.0, 0.0),
    flip: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(2x3 affine frame->crop, target box in the crop as x1, y1, x2, y2 in pixel-centre units).

    Without augmentation this is the inverse of :func:`crop_matrix` for the same region.  SiamRPN++
    crops a 511 patch at scale ``k`` and then cuts the crop out of it after scaling the window by
    ``scale`` per axis and moving it by ``shift`` output pixels; composed, that is one map

        u = (S - 1)/2 + (k / scale_x) * (X - cx - shift_x / k)

    so the target centre lands on ``(S - 1)/2 - shift_x / scale_x`` with width ``w k / scale_x``
    (a single resampling where pysot does two).
    """
    x, y, w, h = (float(v) for v in box)
    cx, cy = x + w / 2 - 0.5, y + h / 2 - 0.5
    k = exemplar_size / context_side(w, h, context)
    a, b = k / scale[0], k / scale[1]
    ccx, ccy = cx + shift[0] / k, cy + shift[1] / k
    c = (out_size - 1) / 2
    m = np.array([[a, 0.0, c - a * ccx], [0.0, b, c - b * ccy]], dtype=np.float64)
    tcx, tcy = c + a * (cx - ccx), c + b * (cy - ccy)
    bbox = np.array([tcx - a * w / 2, tcy - b * h / 2, tcx + a * w / 2, tcy + b * h / 2], dtype=np.float64)
    if flip:
        m[0] = -m[0]
        m[0, 2] += out_size - 1
        bbox = np.array([out_size - 1 - bbox[2], bbox[1], out_size - 1 - bbox[0], bbox[3]])
    return m, bbox.astype(np.float32)


def warp_crop(image: np.ndarray, m: np.ndarray, out_size: int, pad_color) -> np.ndarray:
    """Apply the frame->crop map ``m`` (bilinear), filling outside the frame with ``pad_color``."""
    return cv2.warpAffine(
        image,
        m,
        (out_size, out_size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=tuple(float(v) for v in pad_color),
    )
