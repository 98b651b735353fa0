"""Frame and box normalisation shared by every tracker.

Trackers accept OpenCV BGR arrays (the default), RGB arrays with ``rgb=True``, PIL images
(always RGB, as the GOT-10k toolkit passes them), grayscale (HxW, HxWx1) and 4-channel frames.
Everything becomes an HxWx3 uint8 array plus its channel order, without a copy when the frame
is already 3-channel uint8.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import cv2
import numpy as np

from hrom.errors import HromError

BGR, RGB = "bgr", "rgb"


def as_frame(image: Any, rgb: bool = False) -> tuple[np.ndarray, str]:
    """``(HxWx3 uint8 array, "bgr" | "rgb")`` for a numpy frame or a PIL image.

    Grayscale frames are expanded to three identical channels; 4-channel frames drop alpha.
    Non-uint8 arrays are refused rather than guessed at (a float frame may be 0..1 or 0..255).
    """
    if not isinstance(image, np.ndarray):
        if hasattr(image, "convert") and hasattr(image, "mode"):  # PIL.Image, without importing PIL
            return np.asarray(image.convert("RGB")), RGB
        raise HromError(f"frame: expected a numpy array (HxW or HxWxC uint8) or a PIL image, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise HromError(f"frame: expected uint8 pixels, got {image.dtype} (convert e.g. with (img * 255).astype(np.uint8))")
    order = RGB if rgb else BGR
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        return cv2.cvtColor(image.reshape(image.shape[0], image.shape[1]), cv2.COLOR_GRAY2BGR), order
    if image.ndim == 3 and image.shape[2] == 3:
        return image, order
    if image.ndim == 3 and image.shape[2] == 4:
        return np.ascontiguousarray(image[:, :, :3]), order
    raise HromError(f"frame: expected shape HxW, HxWx1, HxWx3 or HxWx4, got {image.shape}")


def to_bgr(frame: np.ndarray, order: str) -> np.ndarray:
    """The frame in OpenCV's BGR order (a no-op for BGR frames)."""
    return frame if order == BGR else cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)


def check_box(box: Sequence[float], image_size: tuple[int, int] | None = None, where: str = "box") -> np.ndarray:
    """``box`` as float64 (x, y, w, h), refusing NaN/inf, non-positive sizes and, when
    ``image_size`` = (width, height) is given, boxes that do not overlap the frame."""
    try:
        b = np.asarray(box, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise HromError(f"{where}: expected four numbers x,y,w,h, got {box!r}") from None
    if b.size != 4:
        raise HromError(f"{where}: expected four numbers x,y,w,h, got {b.size} values")
    if not all(math.isfinite(v) for v in b):
        raise HromError(f"{where}: x,y,w,h must be finite numbers, got {','.join(f'{v:g}' for v in b)}")
    if b[2] <= 0 or b[3] <= 0:
        raise HromError(f"{where}: width and height must be positive, got w={b[2]:g}, h={b[3]:g}")
    if image_size is not None:
        w, h = image_size
        if b[0] >= w or b[1] >= h or b[0] + b[2] <= 0 or b[1] + b[3] <= 0:
            raise HromError(f"{where}: box {','.join(f'{v:g}' for v in b)} lies outside the first frame ({w}x{h})")
    return b
