"""Tracker hyper-parameters (``TrackerConfig``) and the named presets per benchmark.

The Siamese post-processing has three tuned knobs — scale/ratio change penalty ``penalty_k``,
cosine-window ``window_influence`` and box-size interpolation ``lr`` — that SiamRPN++ tunes per
benchmark.  Presets start from SiamRPN++'s published values; a checkpoint may carry its own
(``tracker_hp`` in the checkpoint), which become that checkpoint's defaults.

Crop sizes, stride and anchors are not here: they are the network's (``ModelConfig.geometry``).
hrom 0.1 files that still list them (``exemplar_size``, ``instance_size``, ``base_size``,
``stride``, ``ratios``, ``scales``) load when the values agree with the network.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from hrom.config import from_dict, read_yaml, to_dict
from hrom.errors import HromError
from hrom.models.config import ModelConfig
from hrom.models.head_geometry import LEGACY_TRACKER_KEYS, HeadGeometry


@dataclass(frozen=True)
class TrackerConfig:
    """Inference knobs of the Siamese tracker (paper section 4.1, SiamRPN++ conventions)."""

    penalty_k: float = 0.04           # scale / aspect-ratio change penalty exp(-(r_c*s_c - 1) * K)
    window_influence: float = 0.44    # weight of the cosine (Hann) window against the penalised score
    lr: float = 0.40                  # box-size interpolation rate, multiplied by penalty*score
    context_amount: float = 0.5       # context added around the box: side + context * (w + h)
    min_size: float = 10.0            # smallest box side kept (pixels of the frame)
    keep_box_inside: bool = True      # clip the whole box into the frame (False: only its centre, as pysot)
    # Lost-target search (pysot's long-term SiamRPN): after a frame whose score is below
    # lost_score, search a lost_search_size crop at the same scale (about 3x the region for 831)
    # and keep the box size until a score reaches lost_score again.  0: off.
    lost_score: float = 0.0
    lost_search_size: int = 831
    # While lost, only every lost_every-th frame searches the large crop (the first one always
    # does); the others search the normal crop.  Bounds the cost of a long loss (a lost frame
    # costs about 10 normal ones at 831 px).  1: every lost frame, as pysot.
    lost_every: int = 1
    # Template update (UpdateNet's linear-update baseline): after a frame scored at least
    # template_score, the template of the new box joins a running average at rate template_lr;
    # the template used is template_keep * first frame's + (1 - template_keep) * that average.
    # template_lr 0: off (the first frame's template for the whole video).
    template_lr: float = 0.0
    template_keep: float = 0.5
    template_score: float = 0.9

    def __post_init__(self) -> None:
        if not (0.0 <= self.window_influence <= 1.0):
            raise HromError(f"tracker window_influence must be in [0, 1], got {self.window_influence}")
        if self.penalty_k < 0 or not (0.0 <= self.lr <= 1.0):
            raise HromError(f"tracker penalty_k must be >= 0 and lr in [0, 1], got {self.penalty_k}, {self.lr}")
        if self.context_amount < 0 or self.min_size < 1:
            raise HromError("tracker context_amount must be >= 0 and min_size >= 1")
        if not (0.0 <= self.lost_score < 1.0) or self.lost_search_size < 1:
            raise HromError(f"tracker lost_score must be in [0, 1) and lost_search_size >= 1, got {self.lost_score}, "
                            f"{self.lost_search_size}")
        if not (isinstance(self.lost_every, int) and self.lost_every >= 1):
            raise HromError(f"tracker lost_every must be an integer >= 1, got {self.lost_every!r}")
        if not all(0.0 <= v <= 1.0 for v in (self.template_lr, self.template_keep, self.template_score)):
            raise HromError(f"tracker template_lr, template_keep and template_score must be in [0, 1], got "
                            f"{self.template_lr}, {self.template_keep}, {self.template_score}")

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


def default_geometry() -> HeadGeometry:
    """The paper's head geometry (127 / 255 crops, stride 8, five anchors): what hrom 0.1 assumed."""
    return ModelConfig().geometry


def tracker_config_from_dict(data: Mapping, where: str = "tracker_hp", geometry: HeadGeometry | None = None) -> TrackerConfig:
    """Defaults updated by ``data`` (unknown keys / wrong types raise HromError).

    hrom 0.1's geometry keys are checked against ``geometry`` (the network's; default: the
    paper's) and dropped: a value that disagrees is a one-line error.
    """
    data = dict(data)
    legacy = {k: data.pop(k) for k in LEGACY_TRACKER_KEYS if k in data}
    if legacy:
        (geometry or default_geometry()).check_legacy_keys(legacy, where)
    base = to_dict(TrackerConfig())
    base.update(data)
    return from_dict(TrackerConfig, base, where)


def resolve_tracker_config(hp: str | Path | TrackerConfig | Mapping | None = None,
                           checkpoint_hp: Mapping | None = None,
                           geometry: HeadGeometry | None = None) -> TrackerConfig:
    """The hyper-parameters to use.

    Order: an explicit ``hp`` (preset name, YAML file, dict or TrackerConfig) wins; otherwise the
    checkpoint's own ``tracker_hp``; otherwise the ``default`` preset.  ``geometry``: the network's,
    which hrom 0.1 files that name crop sizes or anchors must agree with.
    """
    if isinstance(hp, TrackerConfig):
        return hp
    if isinstance(hp, Mapping):
        return tracker_config_from_dict(hp, "hp", geometry)
    if hp is not None:
        name = str(hp)
        if name in HP_PRESETS:
            return HP_PRESETS[name]
        p = Path(name)
        if p.suffix.lower() in (".yaml", ".yml") or p.is_file():
            return tracker_config_from_dict(read_yaml(p), str(p), geometry)
        raise HromError(f"unknown tracker hyper-parameter preset {name!r}; valid presets: "
                        f"{', '.join(HP_PRESETS)} (or a YAML file of TrackerConfig fields)")
    if checkpoint_hp:
        return tracker_config_from_dict(checkpoint_hp, "checkpoint tracker_hp", geometry)
    return HP_PRESETS["default"]
