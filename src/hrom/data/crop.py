"""Crop geometry: one affine warp from the raw frame to the template / search crop.

Coordinates are pixel-centre units (pixel ``i`` spans ``[i - 0.5, i + 0.5]``), the convention
of ``cv2.warpAffine`` and of the anchor grid (its middle anchor sits on pixel 127 of a 255 crop).
Input boxes are ``x, y, w, h`` with ``x, y`` the top-left pixel *edge* (COCO / GOT-10k /
VOC convention), so a box's centre pixel is ``x + w/2 - 0.5``.

SiamRPN++ crops a 511 patch at scale ``k = 127 / s_z`` around the target
(``s_z = sqrt((w + c(w+h)) (h + c(w+h)))``, context ``c = 0.5``), then cuts the 255 search /
127 template crop out of it after scaling the crop window by ``1 + U(-scale, scale)`` per axis
and moving it by ``U(-shift, shift)`` pixels.  Composing both steps gives one affine map

    u = (S - 1)/2 + (k / scale_x) * (X - cx - shift_x / k)

so the target centre lands on ``(S - 1)/2 - shift_x / scale_x`` with width ``w k / scale_x``
-- exactly where pysot's two-step crop puts it, with a single resampling.
"""

from __future__ import annotations

import cv2
import numpy as np

from hrom.tracking.crop import context_side  # one definition for training and tracking crops


def crop_transform(
    box: np.ndarray,
    out_size: int,
    exemplar_size: int = 127,
    context: float = 0.5,
    scale: tuple[float, float] = (1.0, 1.0),
    shift: tuple[float, float] = (0.0, 0.0),
    flip: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(2x3 affine source->crop, target box in the crop as x1, y1, x2, y2 in pixel-centre units)."""
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
    """Apply ``m`` (bilinear), filling outside the frame with ``pad_color`` (the frame's mean)."""
    return cv2.warpAffine(
        image,
        m,
        (out_size, out_size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=tuple(float(v) for v in pad_color),
    )


def mean_color(image: np.ndarray) -> tuple[float, float, float]:
    """Per-channel mean, the padding colour of SiamFC-style crops."""
    return tuple(float(v) for v in cv2.mean(image)[:3])
