"""Model configuration and the named presets (paper Tables 2 and 3).

A ``ModelConfig`` is everything that defines a network, its head's geometry included (crop
sizes, anchors; ``.geometry`` derives stride and response-map size): training targets and the
tracker read that geometry from here instead of keeping their own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping

from hrom.errors import HromError
from hrom.models.anchors import DEFAULT_RATIOS, DEFAULT_SCALES
from hrom.models.head_geometry import OUTPUT_STRIDE, HeadGeometry, feature_side


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild an HROM network; stored inside every checkpoint.

    ``width`` is HRNet's C (18, 32, 48): branch widths are C, 2C, 4C and R4 has 8C.
    ``representations`` picks which of R1..R4 the representation head concatenates (Table 2).
    ``channel_mask`` / ``spatial_mask`` / ``deformable`` are the Table 3 switches.
    ``template_size`` / ``search_size`` (crop sides), ``template_crop`` (template cells kept) and
    ``anchor_ratios`` x ``anchor_scales`` (the RPN's anchors) make the head's geometry.
    ``loc_hidden`` widens the box-regression branch alone (the classifier keeps ``feature_channels``).
    """

    name: str = "hrom-w18"
    width: int = 18
    representations: tuple[int, ...] = (1, 2, 3, 4)
    channel_mask: bool = True
    spatial_mask: bool = True
    deformable: bool = True
    # backbone shape (Table 1); smaller values give the light presets used for tests/CPU training
    stem_channels: int = 64
    stage1_blocks: int = 4
    blocks_per_branch: int = 4
    stage3_modules: int = 4
    r4_blocks: int = 2
    # neck / RPN
    feature_channels: int = 256
    template_size: int = 127
    search_size: int = 255
    template_crop: int = 8
    mask_reduction: int = 16
    loc_hidden: int = 0  # channels of the RPN's box-regression branch; 0: feature_channels (the paper)
    anchor_ratios: tuple[float, ...] = DEFAULT_RATIOS
    anchor_scales: tuple[float, ...] = DEFAULT_SCALES

    def __post_init__(self) -> None:
        reps = tuple(sorted(set(self.representations)))
        if not reps or any(r not in (1, 2, 3, 4) for r in reps):
            raise HromError(f"model {self.name}: representations must be a subset of 1,2,3,4, got {self.representations}")
        object.__setattr__(self, "representations", reps)
        object.__setattr__(self, "anchor_ratios", tuple(float(r) for r in self.anchor_ratios))
        object.__setattr__(self, "anchor_scales", tuple(float(r) for r in self.anchor_scales))
        if self.width < 1 or self.stem_channels < 1:
            raise HromError(f"model {self.name}: width and stem_channels must be positive")
        if self.loc_hidden < 0:
            raise HromError(f"model {self.name}: loc_hidden must be 0 (feature_channels) or a channel count, got {self.loc_hidden}")
        if not self.anchor_ratios or not self.anchor_scales or min(self.anchor_ratios + self.anchor_scales) <= 0:
            raise HromError(f"model {self.name}: anchor_ratios and anchor_scales must be non-empty and positive")
        if (min(feature_side(self.template_size), self.template_crop) < 3 or self.score_size < 1
                or self.search_size <= self.template_size):
            raise HromError(f"model {self.name}: template_size {self.template_size} / search_size {self.search_size} / "
                            f"template_crop {self.template_crop} give no response map; the template needs at least 3 "
                            "feature cells and the search crop must be larger than the template")

    def replace(self, **changes) -> "ModelConfig":
        return dataclasses.replace(self, **changes)

    @property
    def anchor_num(self) -> int:
        """Anchors per response-map cell (the RPN predicts 2 and 4 values for each)."""
        return len(self.anchor_ratios) * len(self.anchor_scales)

    @property
    def score_size(self) -> int:
        """Side of the response map, from the network's arithmetic: stride-8 search features,
        minus the template kernel (the kept template cells; both lose 2 in the RPN's 3x3 convs)."""
        kernel = min(feature_side(self.template_size), self.template_crop)
        return feature_side(self.search_size) - kernel + 1

    @property
    def geometry(self) -> HeadGeometry:
        """The head's geometry, for training targets and the tracker's decoding."""
        return HeadGeometry(self.template_size, self.search_size, OUTPUT_STRIDE, tuple(self.anchor_ratios),
                            tuple(self.anchor_scales), self.score_size)


_DEFAULT_ANCHORS = {"anchor_ratios": DEFAULT_RATIOS, "anchor_scales": DEFAULT_SCALES}


def model_config_to_dict(cfg: ModelConfig) -> dict:
    """``cfg`` as stored in checkpoints and sidecars: every field, except anchors and
    ``loc_hidden`` left at their defaults (so files of such models keep hrom 0.1's keys and it can
    read them), plus ``anchor_num`` as hrom 0.1 wrote it."""
    from hrom.config import to_dict

    data = {}
    for key, value in to_dict(cfg).items():
        if key in _DEFAULT_ANCHORS and tuple(value) == tuple(_DEFAULT_ANCHORS[key]):
            continue
        if key == "loc_hidden" and value == 0:
            continue
        data[key] = value
        if key == "feature_channels":  # hrom 0.1's key order, so written files do not change
            data["anchor_num"] = cfg.anchor_num
    return data


def model_config_from_dict(data: Mapping, where: str = "model_config") -> ModelConfig:
    """A stored ``model_config`` (any hrom version) as a ModelConfig; unknown keys are an error.

    ``anchor_num`` (a field of hrom 0.1, now derived from the anchors) is accepted when it agrees.
    """
    from hrom.config import from_dict

    data = dict(data)
    anchor_num = data.pop("anchor_num", None)
    cfg = from_dict(ModelConfig, data, where)
    if anchor_num is not None and anchor_num != cfg.anchor_num:
        raise HromError(f"{where}: anchor_num={anchor_num!r} but anchor_ratios x anchor_scales give {cfg.anchor_num} "
                        "anchors; remove anchor_num (it follows from the anchors)")
    return cfg


def _ablation_presets() -> dict[str, ModelConfig]:
    base = ModelConfig(name="hrom-w18")
    presets: dict[str, ModelConfig] = {}
    for w in (18, 32, 48):
        presets[f"hrom-w{w}"] = base.replace(name=f"hrom-w{w}", width=w)
    # Table 2: representation heads on HRNet-w18 (no masks, no deformable conv, as in the paper's study)
    for reps in ((2,), (3,), (4,), (2, 3), (2, 4), (3, 4), (2, 3, 4), (1, 2, 3, 4)):
        tag = "".join(str(r) for r in reps)
        name = f"hrom-w18-r{tag}"
        presets[name] = base.replace(name=name, representations=reps, channel_mask=False, spatial_mask=False, deformable=False)
    # Table 3: the mask / deformable switches on top of R1+R2+R3+R4
    for cm, sm, dc in ((0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0)):
        tag = "-".join(t for t, on in (("cm", cm), ("sm", sm), ("dcn", dc)) if on) or "base"
        name = f"hrom-w18-{tag}"
        presets[name] = base.replace(name=name, channel_mask=bool(cm), spatial_mask=bool(sm), deformable=bool(dc))
    # Light presets: same architecture, thinner and shallower, for CPU training and fast tests.
    presets["hrom-tiny"] = base.replace(
        name="hrom-tiny", width=8, stem_channels=16, stage1_blocks=1, blocks_per_branch=1,
        stage3_modules=1, r4_blocks=1, feature_channels=32, mask_reduction=4,
    )
    # Twice tiny's width (and a 64-channel head) at the same depth: the CPU candidate for shipping.
    presets["hrom-small"] = presets["hrom-tiny"].replace(
        name="hrom-small", width=16, stem_channels=32, feature_channels=64, mask_reduction=8,
    )
    return presets


PRESETS: dict[str, ModelConfig] = _ablation_presets()
PRESET_NOTES: dict[str, str] = {
    "hrom-w18": "paper HROM-18 (Table 3, last HRNet-w18 row)",
    "hrom-w32": "paper HROM-32",
    "hrom-w48": "paper HROM-48",
    "hrom-w18-base": "Table 3 baseline: R1+R2+R3+R4, no masks, no deformable conv (= hrom-w18-r1234)",
    "hrom-tiny": "light variant for tests and CPU training (not from the paper)",
    "hrom-small": "CPU variant: hrom-tiny at twice the width (not from the paper)",
}


def register_preset(config: ModelConfig, note: str = "") -> ModelConfig:
    """Make ``config`` available by its name (``build_model``, ``create_model``, ``hrom info --list``).

    Names hold no ``.``: ``<preset>.<tag>`` names shipped weights (see ``hrom.models.pretrained``).
    """
    if not config.name or "." in config.name:
        raise ValueError(f"preset name {config.name!r}: must be non-empty and without '.'")
    PRESETS[config.name] = config
    if note:
        PRESET_NOTES[config.name] = note
    return config


def get_preset(name: str) -> ModelConfig:
    """The named preset; an unknown name lists the valid ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise HromError(f"unknown model preset {name!r}; valid presets: {', '.join(PRESETS)}") from None
