"""The HROM network: HRNet backbone, representation head, object-aware masks, deformable RPN.

``create_model(name)`` is the one entry point from a name (preset, pretrained tag, checkpoint)
to a network; ``build_model`` is its architecture-only shortcut.
"""

from hrom.models.config import PRESETS, ModelConfig, get_preset, register_preset
from hrom.models.factory import build_model, checkpoint_file, create_model, is_model_name, list_models
from hrom.models.hrom import HROM
from hrom.models.loaded import LoadedModel
from hrom.models.pretrained import register_pretrained

__all__ = ["HROM", "LoadedModel", "ModelConfig", "PRESETS", "build_model", "checkpoint_file", "create_model",
           "get_preset", "is_model_name", "list_models", "register_preset", "register_pretrained"]

