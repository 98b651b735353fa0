"""The one sequence type every benchmark reader returns, and the frame and region helpers they share.

Readers differ only in where files live; everything after them (running, scoring, reports)
sees a :class:`Sequence` with boxes as an ``(N, 4)`` float array of ``x, y, w, h`` (NaN where the
target has no box), optional VOT polygons, and attribute information. Annotation text is read
with :mod:`hrom.annotations`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hrom.annotations import is_image
from hrom.errors import HromError


@dataclass
class Sequence:
    """A benchmark sequence: frames, ground truth and attribute information.

    ``boxes``: (N, 4) float64 x, y, w, h, NaN rows where absent (GOT-10k test: only row 0).
    ``polygons``: (N, 8) corners for VOT (None elsewhere). ``attributes``: sequence-level labels
    (OTB / UAV123 / LaSOT); ``tags``: per-frame boolean arrays (VOT tags, LaSOT occlusion).
    ``absent``: (N,) bool, True where the target is marked absent/not visible (None if unknown).
    """

    name: str
    frames: list[Path]
    boxes: np.ndarray
    polygons: np.ndarray | None = None
    attributes: tuple[str, ...] = ()
    tags: dict[str, np.ndarray] = field(default_factory=dict)
    absent: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frames)

    def init_box(self, index: int = 0) -> np.ndarray:
        """The box a tracker is (re)started with at ``index``.

        VOT sequences (``meta["init_rule"] == "vot"``) use :func:`vot_init_box`, the box pysot's
        VOT loop gives trackers. Other polygon ground truth gets the area-preserving box with
        ``x = cx - w / 2`` (GOT-10k toolkit); boxes are used as they are.
        """
        if self.meta.get("init_rule") == "vot":
            region = self.meta["vot_regions"][index] if "vot_regions" in self.meta else self.polygons[index]
            return vot_init_box(region)
        if self.polygons is not None:
            return polygon_to_init_box(self.polygons[index : index + 1])[0]
        return self.boxes[index].astype(np.float64)


def list_images(folder: Path, seq: str) -> list[Path]:
    """Sorted image files of a folder (one directory listing, no per-file stat)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HromError(f"{seq}: image folder {folder} not found")
    names = sorted(n for n in os.listdir(folder) if is_image(n))
    if not names:
        raise HromError(f"{seq}: no images (.jpg/.png) in {folder}")
    return [folder / n for n in names]


def check_frames_exist(frames: list[Path], seq: str) -> None:
    """Fail with the first missing frame (listing each folder once)."""
    listing: dict[Path, set[str]] = {}
    for p in frames:
        names = listing.get(p.parent)
        if names is None:
            names = set(os.listdir(p.parent)) if p.parent.is_dir() else set()
            listing[p.parent] = names
        if p.name not in names:
            raise HromError(f"{seq}: frame {p} missing; expected {len(frames)} frames")


def polygon_to_hull(polys: np.ndarray) -> np.ndarray:
    """(N, 8) corners -> (N, 4) axis-aligned bounding box x, y, w, h."""
    xs, ys = polys[:, 0::2], polys[:, 1::2]
    x1, y1 = xs.min(1), ys.min(1)
    return np.stack([x1, y1, xs.max(1) - x1, ys.max(1) - y1], axis=1)


def _area_preserving(polys: np.ndarray) -> tuple[np.ndarray, ...]:
    """Centre and size of the axis-aligned box with the polygon's centre and area (+1 px, pysot)."""
    xs, ys = polys[:, 0::2], polys[:, 1::2]
    cx, cy = xs.mean(1), ys.mean(1)
    x1, x2, y1, y2 = xs.min(1), xs.max(1), ys.min(1), ys.max(1)
    a1 = np.linalg.norm(polys[:, 0:2] - polys[:, 2:4], axis=1) * np.linalg.norm(polys[:, 2:4] - polys[:, 4:6], axis=1)
    a2 = (x2 - x1) * (y2 - y1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.sqrt(a1 / a2)
    s = np.where(np.isfinite(s), s, 1.0)
    return cx, cy, s * (x2 - x1) + 1, s * (y2 - y1) + 1


def polygon_to_init_box(polys: np.ndarray) -> np.ndarray:
    """(N, 8) corners -> (N, 4) box with the polygon's centre and area, ``x = cx - w / 2``
    (the GOT-10k toolkit's rule)."""
    cx, cy, w, h = _area_preserving(polys)
    return np.stack([cx - w / 2, cy - h / 2, w, h], axis=1)


def vot_init_box(region) -> np.ndarray:
    """The box pysot's VOT loop (re)starts trackers with: for a polygon the area-preserving size
    around its centre, for ``x, y, w, h`` the box itself around ``cx = x + w / 2``; then
    ``x = cx - (w - 1) / 2`` (half a pixel up-left of :func:`polygon_to_init_box`)."""
    v = np.asarray(region, dtype=np.float64).reshape(-1)
    if len(v) == 4:
        cx, cy, w, h = v[0] + v[2] / 2, v[1] + v[3] / 2, v[2], v[3]
    else:
        cx, cy, w, h = (float(a[0]) for a in _area_preserving(v[None, :]))
    return np.array([cx - (w - 1) / 2, cy - (h - 1) / 2, w, h], dtype=np.float64)


def rect_to_polygon(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) x, y, w, h -> (N, 8) corners clockwise from top-left."""
    x, y, w, h = boxes.T
    return np.stack([x, y, x + w, y, x + w, y + h, x, y + h], axis=1)


def count_mismatch(seq: str, gt_file: Path, n_boxes: int, n_frames: int, where: Path) -> HromError:
    return HromError(f"{seq}: {gt_file} has {n_boxes} boxes but {where} has {n_frames} frames; expected one box per frame")
