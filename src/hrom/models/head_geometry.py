"""The head's geometry: crop sizes, output stride, anchors and response-map size of a network.

These numbers are properties of the trained network (its RPN predicts one output per anchor at
each cell of a map whose size follows from the crop sizes), so they are derived from its
``ModelConfig`` — the single source, as pysot's ``cfg.ANCHOR`` node is — and handed to the
training targets (``hrom.data``) and to the tracker's decoding (``hrom.tracking``), which no
longer keep their own copies.

hrom 0.1 also wrote them into tracker hyper-parameters (``exemplar_size``, ``instance_size``,
``base_size``, ``stride``, ``ratios``, ``scales``); :func:`check_legacy_keys` accepts such files
when the values agree with the network and refuses them with one line when they do not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

import numpy as np

from hrom.errors import HromError
from hrom.models.anchors import AnchorConfig, anchor_grid

# Three stride-2 3x3 convolutions (the stem's two, transition1's) bring every branch the head
# reads to stride 8; the modified HRNet keeps its later branches there (dilation instead).
OUTPUT_STRIDE = 8

# Tracker hyper-parameter keys of hrom 0.1 that were geometry, with the HeadGeometry value each names.
LEGACY_TRACKER_KEYS = ("exemplar_size", "instance_size", "base_size", "stride", "ratios", "scales")


def feature_side(image_side: int) -> int:
    """Side of the stride-8 feature map of an ``image_side`` input (3x3 convs, stride 2, padding 1)."""
    side = int(image_side)
    for _ in range(3):
        side = (side - 1) // 2 + 1
    return side


@dataclass(frozen=True)
class HeadGeometry:
    """Where a network looks and what its maps mean (derived from ``ModelConfig.geometry``).

    ``template_size`` / ``search_size``: crop sides fed to the network; ``stride``: crop pixels
    per response-map cell; ``ratios`` x ``scales``: the anchors, anchor-major in the outputs;
    ``score_size``: side of the response map (25 for 127 / 255).
    """

    template_size: int
    search_size: int
    stride: int
    ratios: tuple[float, ...]
    scales: tuple[float, ...]
    score_size: int

    @property
    def anchor_num(self) -> int:
        return len(self.ratios) * len(self.scales)

    @property
    def anchors(self) -> AnchorConfig:
        return AnchorConfig(stride=self.stride, ratios=tuple(self.ratios), scales=tuple(self.scales))

    def anchor_grid(self, center: float) -> np.ndarray:
        """(A * S * S, 4) anchors (cx, cy, w, h), anchor-major; ``center``: the middle cell's position
        (0 for offsets from the search-crop centre, ``search_size // 2`` for crop pixels)."""
        return anchor_grid(self.anchors, self.score_size, center=center)

    def with_search_size(self, side: int) -> "HeadGeometry":
        """The same network on another search-crop side (the network is fully convolutional: the
        response map follows the stride-8 search features)."""
        score = self.score_size + feature_side(side) - feature_side(self.search_size)
        if side <= self.template_size or score < 1:
            raise HromError(f"search crop {side}: must be larger than the {self.template_size}-pixel template")
        return replace(self, search_size=int(side), score_size=int(score))

    @property
    def base_size(self) -> int:
        """pysot's name for ``score_size - (search - template) // stride - 1`` (8 for 127 / 255)."""
        return self.score_size - (self.search_size - self.template_size) // self.stride - 1

    def legacy_tracker_keys(self) -> dict:
        """This geometry under hrom 0.1's tracker hyper-parameter names (the ONNX sidecar keeps them)."""
        return {"exemplar_size": self.template_size, "instance_size": self.search_size, "base_size": self.base_size,
                "stride": self.stride, "ratios": list(self.ratios), "scales": list(self.scales)}

    def check_legacy_keys(self, data: Mapping, where: str) -> None:
        """Refuse (one line) geometry keys in ``data`` that disagree with this network."""
        own = self.legacy_tracker_keys()
        for key in LEGACY_TRACKER_KEYS:
            if key not in data:
                continue
            value = data[key]
            try:
                same = (np.asarray(value, dtype=np.float64).shape == np.asarray(own[key]).shape
                        and np.allclose(np.asarray(value, dtype=np.float64), np.asarray(own[key], dtype=np.float64)))
            except (TypeError, ValueError):
                same = False
            if not same:
                raise HromError(f"{where}: {key}={value!r} conflicts with the network's {key}={own[key]!r}; crop sizes, "
                                "stride and anchors are properties of the model (ModelConfig), not tracker settings: "
                                "remove the key")
