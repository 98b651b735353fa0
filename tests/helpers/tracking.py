"""Stand-in networks for tracker tests (not a test module): they make the post-processing and
the crop geometry testable without a trained model."""

from __future__ import annotations

import numpy as np

from hrom.tracking.config import TrackerConfig
from hrom.tracking.postprocess import PostProcessor


class FixedBackend:
    """Returns the same cls / loc maps for every search; records its inputs."""

    name = "fixed"

    def __init__(self, cls: np.ndarray, loc: np.ndarray, meta: dict | None = None):
        self.cls, self.loc, self.meta = cls, loc, dict(meta or {})
        self.templates: list[np.ndarray] = []
        self.searches: list[np.ndarray] = []

    def set_template(self, z):
        self.templates.append(np.array(z, copy=True))

    def search(self, x):
        self.searches.append(np.array(x, copy=True))
        return self.cls, self.loc


class OracleBackend:
    """Finds the bright object in the search crop and answers as a perfect RPN would.

    Every anchor regresses to the object's true box (in crop pixels relative to the crop
    centre) and the foreground logit falls off with the anchor's distance to it, so a tracker
    whose crop / anchor / decoding geometry is right recovers the object's box in the frame.
    """

    name = "oracle"

    def __init__(self, cfg: TrackerConfig = TrackerConfig(), threshold: float = 127.5, any_search_size: bool = True):
        self.cfg, self.meta, self.threshold = cfg, {}, threshold
        self.any_search_size = any_search_size  # a real network is fully convolutional too
        self.geometry = PostProcessor(cfg).geometry
        self.A = self.geometry.anchor_num
        self.found: list[tuple[float, float, float, float] | None] = []
        self.sides: list[int] = []  # search-crop side of every call

    def set_template(self, z):
        pass

    def search(self, x):
        size = x.shape[-1]
        self.sides.append(size)
        g = self.geometry.with_search_size(size) if size != self.geometry.search_size else self.geometry
        self.s = g.score_size
        self.anchors = g.anchor_grid(center=0.0).astype(np.float64)
        mask = self._mask(x)
        n = self.A * self.s * self.s
        if not mask.any():  # nothing there: every anchor is confidently background
            self.found.append(None)
            cls = np.concatenate([np.zeros(n), np.full(n, -6.0)]).reshape(1, 2 * self.A, self.s, self.s)
            return cls.astype(np.float32), np.zeros((1, 4 * self.A, self.s, self.s), np.float32)
        ys, xs = np.nonzero(mask)
        x0, x1, y0, y1 = xs.min(), xs.max() + 1.0, ys.min(), ys.max() + 1.0
        cx, cy, w, h = (x0 + x1) / 2 - size / 2, (y0 + y1) / 2 - size / 2, x1 - x0, y1 - y0
        self.found.append((cx, cy, w, h))
        a = self.anchors
        dist = np.hypot(a[:, 0] - cx, a[:, 1] - cy)
        fg = 6.0 - dist / 8.0
        cls = np.stack([np.zeros(n), fg]).reshape(1, 2 * self.A, self.s, self.s)
        loc = np.stack([(cx - a[:, 0]) / a[:, 2], (cy - a[:, 1]) / a[:, 3], np.log(w / a[:, 2]), np.log(h / a[:, 3])])
        return cls.astype(np.float32), loc.reshape(1, 4 * self.A, self.s, self.s).astype(np.float32)


    def _mask(self, x) -> np.ndarray:
        return x[0].mean(0) > self.threshold


class ColourBackend(OracleBackend):
    """An oracle that matches by appearance: its template state is the colour at the template
    crop's centre, and it finds the pixels within ``tolerance`` of that colour.  A target whose
    colour drifts is lost unless the tracker updates the template."""

    name = "colour"

    def __init__(self, tolerance: float = 40.0):
        super().__init__()
        self.tolerance = tolerance
        self.template_state: tuple[np.ndarray] | None = None
        self.templates_set = 0

    def set_template(self, z):
        c = z.shape[-1] // 2
        self.template_state = (z[0, :, c - 4:c + 4, c - 4:c + 4].mean(axis=(1, 2)),)
        self.templates_set += 1

    def _mask(self, x) -> np.ndarray:
        return np.linalg.norm(x[0] - self.template_state[0][:, None, None], axis=0) < self.tolerance


def moving_square_frames(n: int = 20, size=(320, 240), side: int = 30, start=(60.0, 50.0), step=(6.0, 3.0)):
    """Frames (BGR uint8) with a white square moving on a dark textured background, and its boxes."""
    w, h = size
    rng = np.random.default_rng(0)
    background = rng.integers(0, 60, size=(h, w, 3), dtype=np.uint8)
    frames, boxes = [], []
    for i in range(n):
        x, y = start[0] + step[0] * i, start[1] + step[1] * i
        f = background.copy()
        f[int(y):int(y) + side, int(x):int(x) + side] = 255
        frames.append(f)
        boxes.append((float(int(x)), float(int(y)), float(side), float(side)))
    return frames, np.array(boxes)


def iou(a, b) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax1, bx1) - max(a[0], b[0]))
    ih = max(0.0, min(ay1, by1) - max(a[1], b[1]))
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)
