"""Parity check of an export against the PyTorch model it came from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from hrom.models.hrom import HROM
from hrom.models.loaded import LoadedModel, as_loaded


@torch.no_grad()
def max_abs_difference(model: HROM | LoadedModel, backend, z: np.ndarray, x: np.ndarray) -> float:
    """Largest |onnx - torch| over the template state and the (cls, loc) outputs."""
    model = as_loaded(model).model.eval()
    state = model.template_state(torch.from_numpy(z).to(model.device))
    cls, loc = model.search(torch.from_numpy(x).to(model.device), *state)
    backend.set_template(z)
    o_cls, o_loc = backend.search(x)
    diffs = [float(np.abs(o_cls - cls.cpu().numpy()).max()), float(np.abs(o_loc - loc.cpu().numpy()).max())]
    for name, t in zip(backend._state_names, state):
        diffs.append(float(np.abs(backend._state[name] - t.cpu().numpy()).max()))
    return max(diffs)


def verify_export(model: HROM | LoadedModel, export_dir: str | Path, seed: int = 0) -> float:
    """Run both graphs and the model on random 0..255 inputs; return the max abs difference."""
    from hrom.export.onnx_backend import OnnxBackend

    model = as_loaded(model).model
    cfg = model.config
    rng = np.random.default_rng(seed)
    z = rng.uniform(0, 255, (1, 3, cfg.template_size, cfg.template_size)).astype(np.float32)
    x = rng.uniform(0, 255, (1, 3, cfg.search_size, cfg.search_size)).astype(np.float32)
    return max_abs_difference(model, OnnxBackend(export_dir), z, x)
