"""``track_stream``: run a tracker over a sequence of frames, one result per frame, lazily.

The loop every front end needs (``hrom track``, the GOT-10k ``track(img_files, box)``, your own
video player): ``init`` on the first frame with the given box, ``update`` on each next one,
and the time the tracker itself took.  It reads nothing and writes nothing, so callers decide
where frames come from and what happens to the boxes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

import numpy as np


@dataclass(frozen=True)
class TrackedFrame:
    """One frame's result: ``box`` is ``x, y, w, h`` (the given box on the first frame),
    ``score`` the tracker's confidence (1.0 on the first frame, NaN where it has none),
    ``seconds`` the time spent in ``init`` / ``update``."""

    index: int
    frame: Any
    box: tuple[float, float, float, float]
    score: float
    seconds: float


def track_stream(tracker, frames: Iterable[Any], box: Sequence[float], start: int = 0) -> Iterator[TrackedFrame]:
    """Track ``box`` through ``frames``: yields a :class:`TrackedFrame` per frame, ``index``
    counting from ``start``.  Stops when ``frames`` ends; errors of the tracker (a bad box, a
    frame it cannot read) propagate from the frame that caused them."""
    first = tuple(float(v) for v in box)
    for i, frame in enumerate(frames):
        t0 = time.perf_counter()
        if i == 0:
            tracker.init(frame, first)
            out, score = first, 1.0
        else:
            out, score = tuple(float(v) for v in np.asarray(tracker.update(frame))), float(tracker.score)
        yield TrackedFrame(start + i, frame, out, score, time.perf_counter() - t0)
