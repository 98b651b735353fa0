"""The HROM tracker: SiamRPN++-style inference (paper section 4.1) over any network backend.

``init``: crop the template (box + context, 127x127), run the template branch once.
``update``: crop the search region (255x255, same centre, scale 255/127 of the template region),
run the search branch only, then penalise scale/ratio changes, blend with a cosine window, pick
the best anchor and move the box with size interpolation (see ``postprocess``).  With
``lost_score`` set, a frame scored below it makes the next ones search a larger crop (pysot's
long-term tracker) until the target is found again.  With ``template_lr`` set, frames scored at
least ``template_score`` update the template (``TemplateMemory``): the first frame's template
blended with a running average of the confident frames' templates.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from hrom.errors import HromError
from hrom.geometry import context_side, mean_color
from hrom.models.head_geometry import HeadGeometry
from hrom.tracking.base import Tracker
from hrom.tracking.config import TrackerConfig
from hrom.tracking.crop import Cropper
from hrom.tracking.postprocess import PostProcessor, Step, clip_state
from hrom.tracking.template_memory import TemplateMemory


class SiameseTracker(Tracker):
    """HROM (or any SiamRPN-layout network behind ``backend``) as an init/update tracker.

    Crop sizes and anchors are the network's: ``geometry``, else the backend's ``geometry``
    attribute, else the paper's (127 / 255, five anchors).  After ``update``: ``score`` is the
    foreground score of the chosen anchor (before penalties), ``last_step`` holds the full
    decision (anchor index, penalty, lr), ``lost`` whether the target is lost (the next frame
    searches the larger lost-target crop when ``lost_frames - 1`` is a multiple of ``lost_every``),
    ``lost_frames`` how many frames in a row scored below ``lost_score``, ``template_updates`` how
    many frames have updated the template.
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
        self._checked: set[int] = set()
        self.lost = False
        self.lost_frames = 0
        self.lost_post: PostProcessor | None = None
        if self.config.lost_score > 0:
            size = self.config.lost_search_size
            if not getattr(backend, "any_search_size", False):
                raise HromError(f"tracker lost_score {self.config.lost_score}: the {getattr(backend, 'name', 'given')} "
                                f"backend only takes {self.geometry.search_size}-pixel search crops, the lost-target "
                                f"search needs {size}; use the torch backend, or export the model again with this hrom")
            self.lost_post = PostProcessor(self.config, self.geometry.with_search_size(size))
        self.memory: TemplateMemory | None = None
        if self.config.template_lr > 0:
            if not hasattr(backend, "template_state"):
                raise HromError(f"tracker template_lr {self.config.template_lr}: the {getattr(backend, 'name', 'given')} "
                                "backend does not expose its template_state, which the template update blends; "
                                "set template_lr: 0 or use the torch or onnx backend")
            self.memory = TemplateMemory(self.config.template_lr, self.config.template_keep)

    @property
    def template_updates(self) -> int:
        return self.memory.updates if self.memory is not None else 0

    def _region_side(self) -> float:
        return context_side(self.size[0], self.size[1], self.config.context_amount)

    def _init(self, frame: np.ndarray, order: str, box: np.ndarray) -> None:
        self.center = np.array([box[0] + box[2] / 2.0, box[1] + box[3] / 2.0])
        self.size = np.array([box[2], box[3]], dtype=np.float64)
        self.pad = mean_color(frame)  # fixed for the video, as SiamRPN++ does
        self._set_template(frame, order)
        if self.memory is not None:
            self.memory.reset(self.backend.template_state)
        self.last_step = None
        self.lost = False
        self.lost_frames = 0

    def _set_template(self, frame: np.ndarray, order: str) -> None:
        z = self.cropper.crop(frame, self.center[0], self.center[1], self._region_side(), self.geometry.template_size,
                              self.pad)
        self.backend.set_template(self.cropper.to_input(z, order))

    def _update(self, frame: np.ndarray, order: str) -> Sequence[float]:
        cfg = self.config
        large = self.lost and self.lost_post is not None and (self.lost_frames - 1) % cfg.lost_every == 0
        post = self.lost_post if large else self.post
        z_size, x_size = self.geometry.template_size, post.geometry.search_size
        s_z = self._region_side()
        scale_z = z_size / s_z
        s_x = s_z * x_size / z_size
        x = self.cropper.crop(frame, self.center[0], self.center[1], s_x, x_size, self.pad)
        cls, loc = self.backend.search(self.cropper.to_input(x, order))
        if x_size not in self._checked:
            post.check_shapes(cls, loc)
            self._checked.add(x_size)
        image_wh = (frame.shape[1], frame.shape[0])
        step = post.step(cls, loc, self.center, self.size, scale_z, image_wh)
        if self.lost and step.score < cfg.lost_score:  # still lost: follow the best place, keep the size
            cx, cy, w, h = clip_state(step.center[0], step.center[1], self.size[0], self.size[1], image_wh,
                                      cfg.min_size, cfg.keep_box_inside)
            step = replace(step, lr=0.0, center=np.array([cx, cy]), size=np.array([w, h]))
        self.lost = cfg.lost_score > 0 and step.score < cfg.lost_score
        self.lost_frames = self.lost_frames + 1 if self.lost else 0
        self.center, self.size, self.score, self.last_step = step.center, step.size, step.score, step
        if self.memory is not None and not self.lost and step.score >= cfg.template_score:
            self._set_template(frame, order)
            self.backend.template_state = self.memory.add(self.backend.template_state)
        return [self.center[0] - self.size[0] / 2.0, self.center[1] - self.size[1] / 2.0, self.size[0], self.size[1]]
