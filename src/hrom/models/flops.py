"""Parameter and FLOP counts per part (FLOPs = 2 x multiply-accumulates)."""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode
from torchvision.ops import DeformConv2d

from hrom.models.hrom import HROM


def count_params(model: HROM) -> dict[str, int]:
    out = {name: sum(p.numel() for m in mods for p in m.parameters()) for name, mods in model.parts().items()}
    out["total"] = sum(p.numel() for p in model.parameters())
    return out


def _deform_flops(model: HROM):
    """FlopCounterMode does not see torchvision's deform_conv2d op: count it with hooks."""
    total = [0]

    def hook(mod: DeformConv2d, inputs, output):
        kh, kw = mod.weight.shape[-2:]
        cin_g = mod.weight.shape[1]
        total[0] += 2 * output.numel() * cin_g * kh * kw

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, DeformConv2d)]
    return total, handles


@torch.no_grad()
def count_flops(model: HROM) -> dict[str, int]:
    """FLOPs of the template pass (127x127 -> state) and of one search pass (255x255)."""
    cfg = model.config
    dev = model.device
    z = torch.full((1, 3, cfg.template_size, cfg.template_size), 128.0, device=dev)
    x = torch.full((1, 3, cfg.search_size, cfg.search_size), 128.0, device=dev)
    was_training = model.training
    model.eval()
    out = {}
    deform, handles = _deform_flops(model)
    try:
        with FlopCounterMode(display=False) as fc:
            state = model.template_state(z)
        out["template"] = int(fc.get_total_flops()) + deform[0]
        deform[0] = 0
        with FlopCounterMode(display=False) as fc:
            model.search(x, *state)
        out["search"] = int(fc.get_total_flops()) + deform[0]
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return out
