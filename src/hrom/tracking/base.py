"""The tracker interface shared by HROM and the OpenCV baselines (GOT-10k toolkit style).

``init(image, box)`` then ``update(image) -> (x, y, w, h)`` per frame (0-based float pixels);
``score`` holds the confidence of the last update (NaN when the tracker has none).
``track(img_files, box)`` has the signature the GOT-10k toolkit's experiments call, so an
hrom tracker can be handed to ``ExperimentOTB(...).run(tracker)`` as it is.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from hrom.errors import HromError


class Tracker:
    """Base class: subclasses implement ``_init(frame, order, box)`` and ``_update(frame, order)``."""

    name: str = "tracker"
    is_deterministic: bool = True

    def __init__(self, name: str | None = None, rgb: bool = False):
        if name is not None:
            self.name = name
        self.rgb = rgb            # numpy frames are RGB instead of OpenCV's BGR
        self.score = float("nan")
        self.box: np.ndarray | None = None
        self._initialised = False

    def init(self, image: Any, box: Sequence[float]) -> None:
        """Start tracking ``box`` = (x, y, w, h) in ``image``."""
        from hrom.tracking.frames import as_frame, check_box

        frame, order = as_frame(image, self.rgb)
        b = check_box(box, (frame.shape[1], frame.shape[0]))
        self._init(frame, order, b)
        self.box = b.copy()
        self.score = 1.0
        self._initialised = True

    def update(self, image: Any) -> np.ndarray:
        """The target's box (x, y, w, h) in ``image``; ``self.score`` gets its confidence."""
        from hrom.tracking.frames import as_frame

        if not self._initialised:
            raise HromError(f"{self.name}: update() called before init(image, box)")
        frame, order = as_frame(image, self.rgb)
        self.box = np.asarray(self._update(frame, order), dtype=np.float64)
        return self.box.copy()

    def track(self, img_files: Sequence[str], box: Sequence[float], visualize: bool = False):
        """Run on image files (GOT-10k toolkit signature): ``(boxes (N, 4), seconds per frame (N,))``."""
        import cv2

        from hrom.tracking.sources import read_image
        from hrom.tracking.stream import track_stream

        def frames():
            for i, path in enumerate(img_files):
                img = read_image(path, f"frame {i}")
                yield cv2.cvtColor(img, cv2.COLOR_BGR2RGB) if self.rgb else img

        boxes = np.zeros((len(img_files), 4))
        times = np.zeros(len(img_files))
        for step in track_stream(self, frames(), box):
            boxes[step.index] = step.box
            times[step.index] = step.seconds
        return boxes, times

    # -- for subclasses --------------------------------------------------------------------
    def _init(self, frame: np.ndarray, order: str, box: np.ndarray) -> None:
        raise NotImplementedError

    def _update(self, frame: np.ndarray, order: str) -> Sequence[float]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
