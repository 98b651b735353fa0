"""``create_model``: the one place a model name becomes a network (timm's ``create_model`` style).

Every command (``track``, ``export``, ``info``, ``eval run``, ``tune``) and the Python API
(``create_tracker``, ``build_model``, ``hrom.load_model``) resolve names here:

- a preset (``hrom-w18``): the architecture, freshly initialised (with ``pretrained`` set: its
  default pretrained tag);
- a pretrained tag ``<preset>.<tag>`` (``hrom-tiny.bundled``) or an alias (``hrom``): weights
  shipped with hrom (``pretrained=False``: the tag's architecture, freshly initialised);
- a checkpoint file (or ``checkpoint_path=``): the network it stores.
"""

from __future__ import annotations

from pathlib import Path

import torch

from hrom.errors import HromError
from hrom.models import pretrained as tags
from hrom.models.checkpoint import load_model
from hrom.models.config import PRESETS, ModelConfig, get_preset
from hrom.models.hrom import HROM
from hrom.models.loaded import LoadedModel


def list_models(pretrained: bool = False) -> list[str]:
    """Preset names, or (``pretrained``) the local pretrained tags and aliases."""
    return [*tags.PRETRAINED, *tags.ALIASES] if pretrained else list(PRESETS)


def is_model_name(spec: str | Path) -> bool:
    """Whether ``create_model`` knows ``spec``: a preset, a pretrained tag or alias, or an existing file."""
    s = str(spec)
    return s in PRESETS or tags.canonical(s) in tags.PRETRAINED or Path(s).is_file()


def checkpoint_file(spec: str | Path) -> Path | None:
    """The weights file behind ``spec`` (a checkpoint path, a pretrained tag or alias), or None for a
    preset (fresh weights); unknown names and tags this install lacks are a one-line error."""
    s = str(spec)
    if tags.canonical(s) in tags.PRETRAINED:
        return tags.pretrained_file(s)
    if s in PRESETS:
        return None
    if Path(s).is_file():
        return Path(s)
    raise unknown_model_error(s)


def unknown_model_error(spec: str | Path) -> HromError:
    return HromError(f"{spec}: neither a model preset ({', '.join(PRESETS)}), pretrained weights "
                     f"({', '.join(list_models(True))}) nor an existing checkpoint file")


def create_model(name: str | Path | None = None, *, pretrained: bool | None = None,
                 checkpoint_path: str | Path | None = None, device: str | torch.device = "cpu") -> LoadedModel:
    """The network ``name`` (see module doc) in eval mode on ``device``, with its provenance.

    ``pretrained``: None (default) loads weights exactly when ``name`` is a pretrained tag, alias
    or checkpoint file; True asks for a preset's default tag; False builds the architecture only.
    ``checkpoint_path`` loads that file (``name``, if given, must be the architecture it holds).
    """
    if checkpoint_path is not None:
        loaded = load_model(checkpoint_path, device)
        if name is not None and _architecture(str(name)) != loaded.config.name:
            raise HromError(f"{checkpoint_path}: holds a {loaded.config.name} network, not {name}")
        return loaded
    if name is None:
        raise HromError("create_model: give a model name (a preset, pretrained tag or checkpoint file) or checkpoint_path")
    s = str(name)
    tag = tags.canonical(s)
    if tag in tags.PRETRAINED:
        if pretrained is False:
            return _fresh(tags.PRETRAINED[tag].architecture, device, s)
        loaded = load_model(tags.pretrained_file(s), device)
        return LoadedModel(loaded.model, s, s, loaded.checkpoint, loaded.meta)
    if s in PRESETS:
        if pretrained:
            default = tags.default_tag(s)
            if default is None:
                raise HromError(f"{s}: no pretrained weights are shipped for this preset; pretrained tags: "
                                f"{', '.join(tags.PRETRAINED) or 'none'}")
            return create_model(default, device=device)
        return _fresh(s, device, s)
    if Path(s).is_file():
        if pretrained is False:
            raise HromError(f"{s}: a checkpoint file always loads its weights (pretrained=False is for presets)")
        return load_model(s, device)
    raise unknown_model_error(s)


def build_model(config: ModelConfig | str, device: str | torch.device = "cpu") -> HROM:
    """A freshly initialised HROM in training mode: for a config, or the architecture ``name`` resolves to."""
    if isinstance(config, ModelConfig):
        return HROM(config).to(device)
    return create_model(config, pretrained=False, device=device).model.train()


def _architecture(name: str) -> str:
    tag = tags.canonical(name)
    return tags.PRETRAINED[tag].architecture if tag in tags.PRETRAINED else name


def _fresh(preset: str, device, name: str) -> LoadedModel:
    model = HROM(get_preset(preset)).to(device).eval()
    return LoadedModel(model, name, name)
