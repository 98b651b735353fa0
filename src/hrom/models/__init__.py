"""The HROM network: HRNet backbone, representation head, object-aware masks, deformable RPN."""

from hrom.models.config import PRESETS, ModelConfig, get_preset
from hrom.models.hrom import HROM, build_model

__all__ = ["HROM", "ModelConfig", "PRESETS", "build_model", "get_preset"]
