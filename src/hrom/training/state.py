"""Training checkpoints: a normal hrom checkpoint (loadable by ``hrom.load_model`` /
``hrom track --model``) plus a ``train_state`` entry with everything ``--resume`` needs.

Everything stored is plain types and tensors, so the file loads with ``weights_only=True``.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hrom.errors import HromError
from hrom.models.checkpoint import atomic_torch_save, checkpoint_dict, read_checkpoint

LATEST = "latest.pt"


def epoch_name(epoch: int) -> str:
    """File name of the checkpoint written after 1-based ``epoch``."""
    return f"epoch_{epoch:02d}.pt"


def capture_rng() -> dict[str, Any]:
    """Python / numpy / torch / CUDA generator states as weights_only-safe values."""
    py = random.getstate()
    np_state = np.random.get_state()
    return {
        "python": [py[0], list(py[1]), py[2]],
        "numpy": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached_gaussian": float(np_state[4])},
        "torch": torch.get_rng_state(),
        "cuda": list(torch.cuda.get_rng_state_all()) if torch.cuda.is_available() else [],
    }


def restore_rng(state: dict[str, Any]) -> None:
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_training_checkpoint(path: Path, model, train_state: dict[str, Any]) -> Path:
    """Atomically write weights + model config (hrom checkpoint format) + the resume state."""
    ckpt = checkpoint_dict(model, extra={"epoch": train_state["epoch"], "iteration": train_state["global_iter"]})
    ckpt["train_state"] = train_state
    return atomic_torch_save(ckpt, path)


def load_training_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint dict, checked to contain a resume state."""
    ckpt = read_checkpoint(path)
    if not isinstance(ckpt.get("train_state"), dict):
        raise HromError(f"{path}: has no training state (expected a checkpoint written by `hrom train`)")
    return ckpt
