"""The tracker's crops: reusable buffers around the shared geometry of :mod:`hrom.geometry`.

One ``cv2.warpAffine`` does crop + resize + padding at once (the out-of-image part takes
``pad``), writing into buffers allocated once per output size: no padded copy of the frame and
no per-frame allocation.  Which frame pixels a crop covers is ``hrom.geometry.crop_matrix``,
the same map training crops with (``hrom.geometry.crop_transform``).
"""

from __future__ import annotations

import cv2
import numpy as np

from hrom.geometry import context_side, crop_matrix, mean_color

__all__ = ["Cropper", "context_side", "crop_matrix", "mean_color"]


class Cropper:
    """Reusable crop buffers: ``crop`` gives a uint8 HxWx3 patch, ``to_input`` the network tensor."""

    def __init__(self) -> None:
        self._patches: dict[int, np.ndarray] = {}
        self._inputs: dict[int, np.ndarray] = {}

    def crop(self, frame: np.ndarray, cx: float, cy: float, side: float, out_size: int,
             pad: tuple[float, float, float]) -> np.ndarray:
        """The square of ``side`` frame pixels centred on (cx, cy), resized to ``out_size``.

        The returned array is a buffer reused by the next call with the same ``out_size``.
        """
        dst = self._patches.get(out_size)
        if dst is None:
            dst = self._patches[out_size] = np.empty((out_size, out_size, 3), np.uint8)
        cv2.warpAffine(frame, crop_matrix(cx, cy, side, out_size), (out_size, out_size), dst=dst,
                       flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT,
                       borderValue=tuple(float(v) for v in pad))
        return dst

    def to_input(self, patch: np.ndarray, order: str) -> np.ndarray:
        """(1, 3, S, S) float32 RGB 0..255 from an SxSx3 uint8 patch in ``order`` ("bgr"/"rgb").

        The array is a channels-last view (memory laid out (1, S, S, 3)) of a reused buffer: the
        torch backend hands it to a channels_last network without any copy.
        """
        size = patch.shape[0]
        buf = self._inputs.get(size)
        if buf is None:
            buf = self._inputs[size] = np.empty((1, size, size, 3), np.float32)
        np.copyto(buf[0], patch[:, :, ::-1] if order == "bgr" else patch)
        return buf.transpose(0, 3, 1, 2)
