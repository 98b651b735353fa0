"""Builders of small benchmark trees in the real on-disk layouts (synthetic JPEGs), and scripted trackers."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest


def write_frames(folder: Path, n: int, pattern: str = "{:04d}.jpg", start: int = 1, size=(64, 48)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    img = np.zeros((size[1], size[0], 3), np.uint8)
    paths = []
    for i in range(start, start + n):
        img[:] = (i * 3) % 256
        p = folder / pattern.format(i)
        cv2.imwrite(str(p), img)
        paths.append(p)
    return paths


def write_boxes(path: Path, boxes, sep: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for b in boxes:
        lines.append(sep.join("NaN" if np.isnan(v) else f"{v:g}" for v in b))
    path.write_text("\n".join(lines) + "\n")


def moving_boxes(n: int, x0: float = 10, y0: float = 8, w: float = 12, h: float = 10) -> np.ndarray:
    t = np.arange(n, dtype=np.float64)
    return np.stack([x0 + t, y0 + 0.5 * t, np.full(n, w), np.full(n, h)], axis=1)


class ScriptedTracker:
    """Returns pre-set boxes per frame index counted from the last init (picklable)."""

    def __init__(self, name: str = "scripted", boxes: dict | None = None, default=(0.0, 0.0, 5.0, 5.0)):
        self.name = name
        self.boxes = boxes or {}
        self.default = default
        self.calls: list = []
        self.frame = 0
        self.score = 1.0

    def init(self, image, box):
        self.calls.append(("init", tuple(np.round(box, 3))))
        self.frame = 0

    def update(self, image):
        self.frame += 1
        self.calls.append(("update", self.frame))
        return self.boxes.get(self.frame, self.default)


def frame_number(image) -> int:
    """The file number a synthetic frame was written with (its grey level / 3)."""
    return int(round(float(image.mean()) / 3))


class FollowGT:
    """Reports the ground truth (shifted by 1 px) of the frame it is shown, decoded from the
    synthetic image, and a far-away box on frames (0-based) listed in ``fail_at``."""

    def __init__(self, gt: np.ndarray, fail_at=(), name: str = "follow"):
        self.gt, self.fail_at, self.name = np.asarray(gt), set(fail_at), name
        self.log: list = []
        self.score = 1.0

    def init(self, image, box):
        self.log.append(("init", frame_number(image) - 1))

    def update(self, image):
        f = frame_number(image) - 1
        self.log.append(("update", f))
        if f in self.fail_at:
            return (1000.0, 1000.0, 5.0, 5.0)
        x, y, w, h = self.gt[f]
        return (x + 1, y, w, h)


@pytest.fixture(autouse=True)
def keep_threads():
    """`hrom eval run` called in-process sets torch/OpenCV threads (--threads, default 1): put the
    test process's own values back afterwards. Import it into a test module to use it."""
    import torch

    before = torch.get_num_threads(), cv2.getNumThreads()
    yield
    torch.set_num_threads(before[0])
    cv2.setNumThreads(before[1])
