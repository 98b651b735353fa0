"""Model configuration and the named presets (paper Tables 2 and 3)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from hrom.errors import HromError


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild an HROM network; stored inside every checkpoint.

    ``width`` is HRNet's C (18, 32, 48): branch widths are C, 2C, 4C and R4 has 8C.
    ``representations`` picks which of R1..R4 the representation head concatenates (Table 2).
    ``channel_mask`` / ``spatial_mask`` / ``deformable`` are the Table 3 switches.
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
    anchor_num: int = 5
    template_size: int = 127
    search_size: int = 255
    template_crop: int = 8
    mask_reduction: int = 16

    def __post_init__(self) -> None:
        reps = tuple(sorted(set(self.representations)))
        if not reps or any(r not in (1, 2, 3, 4) for r in reps):
            raise HromError(f"model {self.name}: representations must be a subset of 1,2,3,4, got {self.representations}")
        object.__setattr__(self, "representations", reps)
        if self.width < 1 or self.stem_channels < 1:
            raise HromError(f"model {self.name}: width and stem_channels must be positive")

    def replace(self, **changes) -> "ModelConfig":
        return dataclasses.replace(self, **changes)


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


def get_preset(name: str) -> ModelConfig:
    """The named preset; an unknown name lists the valid ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise HromError(f"unknown model preset {name!r}; valid presets: {', '.join(PRESETS)}") from None
