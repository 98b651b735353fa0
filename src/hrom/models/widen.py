"""Function-preserving widening (Net2WiderNet, Chen et al. 2016): start a wider HROM from the
weights of a narrower one, so that a bigger network begins where a trained small one ended
instead of from random weights (``tools/widen_weights.py`` makes such a file for ``init_weights``).

Every channel dimension that the wide config doubles is filled with two copies of the narrow
channels: output channels are duplicated (weights, biases, BatchNorm parameters and statistics),
and the weights reading a duplicated input are split between its two copies as ``w * (1/2 + e)``
and ``w * (1/2 - e)`` with a random ``e`` per weight.  The copies compute the same values, so the
split sums back to ``w``: the wide network computes exactly what the narrow one did, and the
unequal split gives the copies different gradients, so they do not stay identical in training.
Dimensions of equal size are copied as they are.  The one concatenation (the representation
head's input, R1..R4 side by side) is mapped segment by segment.
"""

from __future__ import annotations

import torch

from hrom.errors import HromError
from hrom.models.config import ModelConfig
from hrom.models.hrom import HROM

NECK_INPUT = "neck.fuse.0.weight"


def _segments(model: HROM) -> list[int]:
    """Channel counts of the parts the representation head concatenates, in order."""
    return [model.backbone.channels[r - 1] for r in model.config.representations]


def _source_index(wide_segments: list[int], narrow_segments: list[int]) -> torch.Tensor:
    """For each wide channel, the narrow channel it copies (segment by segment, cyclically)."""
    out, offset = [], 0
    for w, n in zip(wide_segments, narrow_segments):
        if w != n and w != 2 * n:
            raise HromError(f"widen: a dimension goes from {n} to {w} channels; only equal or doubled sizes are supported")
        out += [offset + i % n for i in range(w)]
        offset += n
    return torch.tensor(out)


def widen_weights(narrow: HROM, wide: HROM, seed: int = 0, split: float = 0.25) -> None:
    """Overwrite ``wide``'s weights with the widened weights of ``narrow`` (in place).

    ``split`` bounds ``e``: each copy of a duplicated input gets between ``1/2 - split`` and
    ``1/2 + split`` of the weight.
    """
    g = torch.Generator().manual_seed(seed)
    src = narrow.state_dict()
    seg_wide, seg_narrow = _segments(wide), _segments(narrow)
    if len(seg_wide) != len(seg_narrow):
        raise HromError("widen: the two networks concatenate different representations")
    new = {}
    for name, target in wide.state_dict().items():
        if name not in src:
            raise HromError(f"widen: {name} is not in the narrow network (the two configs differ in more than width)")
        t = src[name]
        if t.dim() != target.dim():
            raise HromError(f"widen: {name} has {t.dim()} dimensions in the narrow network, {target.dim()} in the wide one")
        for dim in range(t.dim()):
            if t.shape[dim] == target.shape[dim]:
                continue
            segs = (seg_wide, seg_narrow) if (name == NECK_INPUT and dim == 1) else ([target.shape[dim]], [t.shape[dim]])
            idx = _source_index(*segs)
            t = t.index_select(dim, idx)
            if dim == 1 and t.dim() >= 2:  # a conv reading duplicated inputs: split each weight between the copies
                t = t * _split_factors(idx, t.shape, g, split)
        new[name] = t.to(target.dtype)
    wide.load_state_dict(new, strict=True)


def _split_factors(idx: torch.Tensor, shape: torch.Size, g: torch.Generator, split: float) -> torch.Tensor:
    """Per-weight factors along dim 1: 1 for a channel with one copy; 1/2 + e and 1/2 - e for
    the two copies of a duplicated one (the same ``e`` with opposite signs, so they sum to 1)."""
    e = (torch.rand(shape, generator=g) * 2 - 1) * split
    counts = torch.bincount(idx)[idx]
    factors = (1.0 / counts.to(e.dtype)).view(1, -1, *([1] * (len(shape) - 2))).expand(shape).clone()
    first: dict[int, int] = {}
    for i, s in enumerate(idx.tolist()):
        if counts[i] < 2:
            continue
        if s in first:
            factors[:, i] -= e[:, first[s]]
        else:
            first[s] = i
            factors[:, i] += e[:, i]
    return factors


def widened(narrow: HROM, wide_config: ModelConfig, seed: int = 0) -> HROM:
    """A new HROM of ``wide_config`` computing what ``narrow`` computes (see the module docstring)."""
    wide = HROM(wide_config)
    widen_weights(narrow, wide, seed)
    return wide
