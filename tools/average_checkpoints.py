"""Average the weights of several checkpoints of one run (fairseq's average_checkpoints.py, for
hrom): a cheap ensemble that smooths the epoch-to-epoch noise of SGD at a high learning rate.

    python tools/average_checkpoints.py runs/x/checkpoints/epoch_{11,12,13,14,15}.pt --out runs/x/avg_11_15.pt

Floating-point tensors (weights and BatchNorm running statistics) are averaged; integer ones
(``num_batches_tracked``) come from the last file.  All inputs must share the network
configuration.  The output is an ordinary hrom checkpoint (``hrom eval``, ``hrom tune``,
``tools/release_weights.py``); it keeps the last input's progress counters (``epoch``,
``global_iter``, ``config``) but no optimizer state, and lists its inputs in ``extra``.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import torch

from hrom.models.checkpoint import atomic_torch_save, read_checkpoint

KEPT_PROGRESS = ("epoch", "iter_in_epoch", "global_iter", "iters_per_epoch", "world_size", "config")


def average(paths: list[Path]) -> dict:
    """The averaged checkpoint dict (see the module docstring)."""
    ckpts = [read_checkpoint(p) for p in paths]
    first = ckpts[0]
    for p, c in zip(paths[1:], ckpts[1:]):
        if c["model_config"] != first["model_config"] or c["state_dict"].keys() != first["state_dict"].keys():
            raise SystemExit(f"{p}: another network than {paths[0]} (model_config or tensor names differ)")
    state = {}
    for k, last in ckpts[-1]["state_dict"].items():
        if last.is_floating_point():
            state[k] = torch.stack([c["state_dict"][k].double() for c in ckpts]).mean(0).to(last.dtype)
        else:
            state[k] = last.clone()
    out = {k: v for k, v in ckpts[-1].items() if k not in ("state_dict", "train_state", "tracker_hp", "extra")}
    out["state_dict"] = state
    progress = ckpts[-1].get("train_state") or {}
    if progress:
        out["train_state"] = {k: progress[k] for k in KEPT_PROGRESS if k in progress}
    out["extra"] = {"averaged_from": [{"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
                                      for p in paths]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoints", nargs="+", type=Path)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args()
    if len(args.checkpoints) < 2:
        raise SystemExit("give at least two checkpoints to average")
    atomic_torch_save(average(args.checkpoints), args.out)
    print(f"{args.out}: mean of {', '.join(p.name for p in args.checkpoints)}")


if __name__ == "__main__":
    main()
