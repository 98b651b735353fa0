"""Fold eval-mode BatchNorm into the convolution before it, for export and fast CPU inference.

The exported graphs and the fast PyTorch path then carry one convolution (with bias) where
the training network has conv + BN.  The deformable convolution is folded too (ONNX exporters
cannot fold a BN that follows a custom op).
"""

from __future__ import annotations

import copy
import re

import torch
from torch import nn
from torchvision.ops import DeformConv2d


@torch.no_grad()
def _fold_into(conv: nn.Module, bn: nn.BatchNorm2d) -> None:
    """conv(x) -> bn(conv(x)) in place: scale the output channels and set the bias."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    conv.weight.mul_(scale.reshape(-1, 1, 1, 1))
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    new_bias = (bias - bn.running_mean) * scale + bn.bias
    conv.bias = nn.Parameter(new_bias.detach().clone())


def _foldable(conv: nn.Module, bn: nn.Module) -> bool:
    return (isinstance(conv, (nn.Conv2d, DeformConv2d)) and isinstance(bn, nn.BatchNorm2d)
            and bn.track_running_stats and bn.running_var is not None
            and conv.weight.shape[0] == bn.num_features)


_CONV_ATTR = re.compile(r"^conv(\d*)$")


def fold_batchnorm(model: nn.Module, inplace: bool = False) -> tuple[nn.Module, int]:
    """A copy of ``model`` (eval mode) where every BN that directly follows a conv is folded.

    Two structural patterns are recognised: a conv directly followed by a BN inside an
    ``nn.Sequential``, and sibling attributes ``convN`` / ``bnN`` of one module (HRNet blocks,
    the stem, the deformable conv) — in this code base each ``bnN`` is applied right after
    ``convN``.  The BN modules become ``nn.Identity``.  Returns (model, number of folded BNs).
    """
    m = model if inplace else copy.deepcopy(model)
    m.eval()
    folded = 0
    for module in list(m.modules()):
        if isinstance(module, nn.Sequential):
            keys = list(module._modules.keys())
            for a, b in zip(keys, keys[1:]):
                conv, bn = module._modules[a], module._modules[b]
                if _foldable(conv, bn):
                    _fold_into(conv, bn)
                    module._modules[b] = nn.Identity()
                    folded += 1
        for name, child in list(module._modules.items()):
            match = _CONV_ATTR.match(name)
            if not match:
                continue
            bn_name = f"bn{match.group(1)}"
            bn = module._modules.get(bn_name)
            if bn is not None and _foldable(child, bn):
                _fold_into(child, bn)
                module._modules[bn_name] = nn.Identity()
                folded += 1
    return m, folded


def count_batchnorm(model: nn.Module) -> int:
    return sum(isinstance(x, nn.modules.batchnorm._BatchNorm) for x in model.modules())
