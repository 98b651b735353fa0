"""The HROM tracker: SiamRPN++-style inference (paper section 4.1) over any network backend.

``init``: crop the template (box + context, 127x127), run the template branch once.
``update``: crop the search region (255x255, same centre, scale 255/127 of the template region),
run the search branch only, then penalise scale/ratio changes, blend with a cosine window, pick
the best anchor and move the box with size interpolation (see ``postprocess``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from hrom.geometry import context_side, mean_color
from hrom.models.head_geometry import HeadGeometry
from hrom.tracking.base import Tracker
from hrom.tracking.config import TrackerConfig
from hrom.tracking.crop import Cropper
from hrom.tracking.postprocess import PostProcessor, Step


class SiameseTracker(Tracker):
    """HROM (or any SiamRPN-layout network behind ``backend``) as an init/update tracker.

    Crop sizes and anchors are the network's: ``geometry``, else the backend's ``geometry``
    attribute, else the paper's (127 / 255, five anchors).  After ``update``: ``score`` is the
    foreground score of the chosen anchor (before penalties), ``last_step`` holds the full
    decision (anchor index, penalty, lr).
    """

    def __init__(self, backend, config: TrackerConfig | None = None, name: str = "hrom", rgb: bool = False,
                 geometry: HeadGeometry | None = None):
        super().__init__(name=name, rgb=rgb)
        self.backend = backend
        self.config = config or TrackerConfig()
        self.post = PostProcessor(self.config, geometry or getattr(backend, "geometry", None))
        self.geometry = self.post.geometry
        self.cropper = Cropper()
        self.center = np.zeros(2)
        self.size = np.zeros(2)
        self.pad = (0.0, 0.0, 0.0)
        self.last_step: Step | None = None
        self._checked = False

    def _region_side(self) -> float:
        return context_side(self.size[0], self.size[1], self.config.context_amount)

    def _init(self, frame: np.ndarray, order: str, box: np.ndarray) -> None:
        self.center = np.array([box[0] + box[2] / 2.0, box[1] + box[3] / 2.0])
        self.size = np.array([box[2], box[3]], dtype=np.float64)
        self.pad = mean_color(frame)  # fixed for the video, as SiamRPN++ does
        z = self.cropper.crop(frame, self.center[0], self.center[1], self._region_side(), self.geometry.template_size,
                              self.pad)
        self.backend.set_template(self.cropper.to_input(z, order))
        self.last_step = None

    def _update(self, frame: np.ndarray, order: str) -> Sequence[float]:
        z_size, x_size = self.geometry.template_size, self.geometry.search_size
        s_z = self._region_side()
        scale_z = z_size / s_z
        s_x = s_z * x_size / z_size
        x = self.cropper.crop(frame, self.center[0], self.center[1], s_x, x_size, self.pad)
        cls, loc = self.backend.search(self.cropper.to_input(x, order))
        if not self._checked:
            self.post.check_shapes(cls, loc)
            self._checked = True
        step = self.post.step(cls, loc, self.center, self.size, scale_z, (frame.shape[1], frame.shape[0]))
        self.center, self.size, self.score, self.last_step = step.center, step.size, step.score, step
        return [self.center[0] - self.size[0] / 2.0, self.center[1] - self.size[1] / 2.0, self.size[0], self.size[1]]
