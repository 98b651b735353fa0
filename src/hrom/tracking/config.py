"""Tracker hyper-parameters (``TrackerConfig``) and the named presets per benchmark.

The Siamese post-processing has three tuned knobs — scale/ratio change penalty ``penalty_k``,
cosine-window ``window_influence`` and box-size interpolation ``lr`` — that SiamRPN++ tunes per
benchmark.  Presets start from SiamRPN++'s published values; a checkpoint may carry its own
(``tracker_hp`` in the checkpoint), which become that checkpoint's defaults.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from hrom.config import from_dict, read_yaml, to_dict
from hrom.errors import HromError


@dataclass(frozen=True)
class TrackerConfig:
    """Inference settings of the Siamese tracker (paper section 4.1, SiamRPN++ conventions)."""

    penalty_k: float = 0.04           # scale / aspect-ratio change penalty exp(-(r_c*s_c - 1) * K)
    window_influence: float = 0.44    # weight of the cosine (Hann) window against the penalised score
    lr: float = 0.40                  # box-size interpolation rate, multiplied by penalty*score
    exemplar_size: int = 127          # template crop side (pixels fed to the network)
    instance_size: int = 255          # search-region crop side
    context_amount: float = 0.5       # context added around the box: side + context * (w + h)
    base_size: int = 8                # extra cells of the response map (score size = 25 for 255/127)
    stride: int = 8                   # anchor stride in search-crop pixels
    ratios: tuple[float, ...] = (0.33, 0.5, 1.0, 2.0, 3.0)
    scales: tuple[float, ...] = (8.0,)
    min_size: float = 10.0            # smallest box side kept (pixels of the frame)
    keep_box_inside: bool = True      # clip the whole box into the frame (False: only its centre, as pysot)

    def __post_init__(self) -> None:
        if not (0.0 <= self.window_influence <= 1.0):
            raise HromError(f"tracker window_influence must be in [0, 1], got {self.window_influence}")
        if self.penalty_k < 0 or not (0.0 <= self.lr <= 1.0):
            raise HromError(f"tracker penalty_k must be >= 0 and lr in [0, 1], got {self.penalty_k}, {self.lr}")
        if self.exemplar_size < 1 or self.instance_size <= self.exemplar_size:
            raise HromError(f"tracker sizes: need 0 < exemplar_size < instance_size, got {self.exemplar_size}, {self.instance_size}")
        if self.context_amount < 0 or self.min_size < 1:
            raise HromError("tracker context_amount must be >= 0 and min_size >= 1")

    @property
    def score_size(self) -> int:
        """Side of the response map: (instance - exemplar) / stride + 1 + base_size."""
        return (self.instance_size - self.exemplar_size) // self.stride + 1 + self.base_size

    def replace(self, **changes) -> "TrackerConfig":
        return dataclasses.replace(self, **changes)


def _preset(k: float, w: float, lr: float) -> TrackerConfig:
    return TrackerConfig(penalty_k=k, window_influence=w, lr=lr)


# SiamRPN++ (pysot) published values.  `default` is pysot's built-in default; `vot` and `otb` are
# its tuned experiment configs; SiamRPN++ reported UAV123, LaSOT and GOT-10k with the VOT-tuned
# config, so `uav`, `lasot` and `got10k` start from the same values until re-tuned for HROM.
HP_PRESETS: dict[str, TrackerConfig] = {
    "default": _preset(0.04, 0.44, 0.40),
    "vot": _preset(0.05, 0.42, 0.38),
    "otb": _preset(0.24, 0.50, 0.25),
    "uav": _preset(0.05, 0.42, 0.38),
    "lasot": _preset(0.05, 0.42, 0.38),
    "got10k": _preset(0.05, 0.42, 0.38),
}

HP_NOTES: dict[str, str] = {
    "default": "pysot's built-in defaults",
    "vot": "SiamRPN++ VOT2018 config (siamrpn_r50_l234_dwxcorr)",
    "otb": "SiamRPN++ OTB2015 config (siamrpn_r50_l234_dwxcorr_otb)",
    "uav": "SiamRPN++ evaluated UAV123 with its VOT config",
    "lasot": "SiamRPN++ evaluated LaSOT with its VOT config",
    "got10k": "same as vot (no published GOT-10k tuning)",
}


def tracker_config_from_dict(data: Mapping, where: str = "tracker_hp") -> TrackerConfig:
    """Defaults updated by ``data`` (unknown keys / wrong types raise HromError)."""
    base = to_dict(TrackerConfig())
    base.update(dict(data))
    return from_dict(TrackerConfig, base, where)


def resolve_tracker_config(hp: str | Path | TrackerConfig | Mapping | None = None,
                           checkpoint_hp: Mapping | None = None) -> TrackerConfig:
    """The hyper-parameters to use.

    Order: an explicit ``hp`` (preset name, YAML file, dict or TrackerConfig) wins; otherwise the
    checkpoint's own ``tracker_hp``; otherwise the ``default`` preset.
    """
    if isinstance(hp, TrackerConfig):
        return hp
    if isinstance(hp, Mapping):
        return tracker_config_from_dict(hp, "hp")
    if hp is not None:
        name = str(hp)
        if name in HP_PRESETS:
            return HP_PRESETS[name]
        p = Path(name)
        if p.suffix.lower() in (".yaml", ".yml") or p.is_file():
            return tracker_config_from_dict(read_yaml(p), str(p))
        raise HromError(f"unknown tracker hyper-parameter preset {name!r}; valid presets: "
                        f"{', '.join(HP_PRESETS)} (or a YAML file of TrackerConfig fields)")
    if checkpoint_hp:
        return tracker_config_from_dict(checkpoint_hp, "checkpoint tracker_hp")
    return HP_PRESETS["default"]
