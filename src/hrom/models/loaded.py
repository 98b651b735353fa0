"""``LoadedModel``: a network together with what is known about where it came from.

``create_model`` and ``load_model`` return one, so the checkpoint's metadata (its own tracker
hyper-parameters, the hrom version that wrote it, training extras) travels next to the
``nn.Module`` instead of as attributes stuck onto it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hrom.models.config import ModelConfig
from hrom.models.head_geometry import HeadGeometry
from hrom.models.hrom import HROM

_OWN = frozenset({"model", "name", "source", "checkpoint", "meta"})


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """``model`` (the HROM network, eval mode) and its provenance.

    ``name``: what to call it (the preset, the pretrained tag or alias as asked for, or the
    checkpoint file's stem); ``source``: what was asked for; ``checkpoint``: the file the weights
    came from (None for a freshly initialised preset); ``meta``: the checkpoint's entries besides
    the weights (``format``, ``hrom_version``, ``model_config``, ``tracker_hp``, ``extra``).
    """

    model: HROM
    name: str
    source: str
    checkpoint: Path | None = None
    meta: dict = field(default_factory=dict)

    @classmethod
    def fresh(cls, model: HROM, name: str | None = None) -> "LoadedModel":
        """A network built in memory (no file behind it)."""
        name = name or model.config.name
        return cls(model, name, name)

    @property
    def config(self) -> ModelConfig:
        return self.model.config

    @property
    def geometry(self) -> HeadGeometry:
        return self.model.config.geometry

    @property
    def tracker_hp(self) -> dict:
        """The checkpoint's own tracker hyper-parameters ({} when it has none)."""
        hp = self.meta.get("tracker_hp")
        return dict(hp) if isinstance(hp, dict) else {}

    @property
    def hrom_version(self) -> str | None:
        return self.meta.get("hrom_version")

    # -- hrom 0.1 returned the bare network with ``checkpoint_meta`` attached ------------------
    def __getattr__(self, item: str) -> Any:
        if item.startswith("__") or item in _OWN:
            raise AttributeError(item)
        if item == "checkpoint_meta":
            warnings.warn("LoadedModel.checkpoint_meta: use .meta (or .tracker_hp, .hrom_version)", DeprecationWarning,
                          stacklevel=2)
            return self.meta
        warnings.warn(f"LoadedModel.{item}: load_model / create_model return a LoadedModel; use .model.{item} "
                      "(the network)", DeprecationWarning, stacklevel=2)
        return getattr(self.model, item)

    def __call__(self, *args, **kwargs):
        warnings.warn("calling a LoadedModel: call .model(z, x) (the network)", DeprecationWarning, stacklevel=2)
        return self.model(*args, **kwargs)


def as_loaded(model: "HROM | LoadedModel") -> LoadedModel:
    """``model`` as a LoadedModel (a bare network gets no metadata)."""
    return model if isinstance(model, LoadedModel) else LoadedModel.fresh(model)
