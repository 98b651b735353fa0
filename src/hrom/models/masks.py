"""Object-aware masks (Sec. 3.3): cross-branch channel mask (Eq. 4), per-branch spatial mask (Eq. 5)."""

from __future__ import annotations

import torch
from torch import nn


class ChannelMask(nn.Module):
    """sigmoid(MLP(GAP(x)) + MLP(GMP(x))), one shared MLP; returns a (B, C, 1, 1) mask.

    Computed from the template features and multiplied into both branches, so the search branch
    is told which channels describe this target.  The MLP is two 1x1 convs (export-friendly).
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        hidden = max(channels // reduction, 1)
        self.mlp = nn.Sequential(nn.Conv2d(channels, hidden, 1), nn.ReLU(inplace=True), nn.Conv2d(hidden, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        avg = x.mean(dim=(2, 3), keepdim=True)
        mx = x.amax(dim=(2, 3), keepdim=True)
        return torch.sigmoid(self.mlp(avg) + self.mlp(mx))


class SpatialMask(nn.Module):
    """sigmoid(Conv3x3([mean_c(x), max_c(x)])); returns a (B, 1, H, W) mask."""

    def __init__(self, kernel_size: int = 3):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        desc = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return torch.sigmoid(self.conv(desc))
