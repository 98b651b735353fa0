"""The per-sequence tracking loops: one-pass evaluation (OPE) and the VOT baseline (supervised)
experiment with re-initialisation after failures. (``hrom.tracking`` is imported when a loop
runs, so reading and scoring benchmarks does not load the tracking stack.)"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from hrom.benchmarks.raster import region_overlap
from hrom.benchmarks.sequence import Sequence
from hrom.errors import HromError

VOT_SKIP = 5     # frames after a failure until the tracker is re-initialised
VOT_BURNIN = 10  # frames after each (re)initialisation left out of accuracy

# Nudged starts: (centre shift as a share of the box's width and height, size factor).  A run from
# each of these first boxes averages out a tracker's chaotic dependence on its first frame: on a
# small split one run can move a score by more than the change being measured.  Fixed, so every
# tracker and every trial sees the same starts.
START_NUDGES = ((0.03, -0.02, 1.03), (-0.02, 0.03, 0.97), (0.02, 0.02, 0.98), (-0.03, -0.03, 1.02),
                (0.03, 0.0, 0.99), (0.0, -0.03, 1.01), (-0.03, 0.0, 1.03), (0.0, 0.03, 0.97))


def nudged_box(box: np.ndarray, nudge: int) -> np.ndarray:
    """``box`` (x, y, w, h) moved and resized by ``START_NUDGES[nudge - 1]``; ``nudge`` 0: unchanged."""
    box = np.asarray(box, dtype=np.float64)
    if nudge == 0:
        return box.copy()
    dx, dy, scale = START_NUDGES[nudge - 1]
    cx, cy = box[0] + box[2] * (0.5 + dx), box[1] + box[3] * (0.5 + dy)
    w, h = box[2] * scale, box[3] * scale
    return np.array([cx - w / 2.0, cy - h / 2.0, w, h])


def _box(out, where: str) -> np.ndarray:
    box = np.asarray(out, dtype=np.float64).reshape(-1)
    if box.shape != (4,):
        raise HromError(f"{where}: tracker.update returned {out!r}; expected x, y, w, h")
    return box


def run_ope(tracker, seq: Sequence, on_frame: Callable[[], None] | None = None,
            nudge: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Initialise on frame 1, track every later frame. Returns (N, 4) boxes (row 0 = the given
    box) and (N,) seconds per frame (init included; image decoding excluded). ``nudge`` k > 0
    starts from the first box nudged by ``START_NUDGES[k - 1]`` (:func:`nudged_box`)."""
    from hrom.tracking.sources import read_image

    init = seq.init_box(0)
    if not np.all(np.isfinite(init)):
        raise HromError(f"{seq.name}: the first ground-truth box is {init.tolist()}; expected a box to initialise with")
    init = nudged_box(init, nudge)
    boxes = np.zeros((len(seq), 4))
    times = np.zeros(len(seq))
    for i, frame in enumerate(seq.frames):
        img = read_image(frame, f"frame {i + 1} of {seq.name}")
        t0 = time.perf_counter()
        if i == 0:
            tracker.init(img, init.copy())
            boxes[0] = init
        else:
            boxes[i] = _box(tracker.update(img), f"{seq.name} frame {i + 1}")
        times[i] = time.perf_counter() - t0
        if on_frame:
            on_frame()
    return boxes, times


def run_vot_baseline(tracker, seq: Sequence, on_frame: Callable[[], None] | None = None,
                     overlap: str = "vot2018") -> tuple[list, np.ndarray]:
    """VOT supervised experiment: a failure (overlap 0 with the ground-truth region inside the
    image, measured with the ``overlap`` convention) is recorded as ``2``, the next
    ``VOT_SKIP - 1`` frames as ``0``, and the tracker is re-initialised with
    :meth:`Sequence.init_box` ``VOT_SKIP`` frames after the failure (``1``). Skipped frames have
    time NaN."""
    from hrom.tracking.sources import read_image

    regions = seq.meta.get("vot_regions", seq.polygons)
    out: list = []
    times = np.full(len(seq), np.nan)
    bound = None
    failed, restart = False, -1
    for i, frame in enumerate(seq.frames):
        if failed and i != restart:
            out.append(0)
            if on_frame:
                on_frame()
            continue
        img = read_image(frame, f"frame {i + 1} of {seq.name}")
        if bound is None:
            bound = (img.shape[1], img.shape[0])
        t0 = time.perf_counter()
        if i == 0 or failed:
            tracker.init(img, seq.init_box(i))
            out.append(1)
            failed = False
        else:
            box = _box(tracker.update(img), f"{seq.name} frame {i + 1}")
            gt = regions[i] if regions is not None else seq.boxes[i]
            if region_overlap(box, gt, bound, overlap) <= 0.0:
                out.append(2)
                failed, restart = True, i + VOT_SKIP
            else:
                out.append(box)
        times[i] = time.perf_counter() - t0
        if on_frame:
            on_frame()
    return out, times
