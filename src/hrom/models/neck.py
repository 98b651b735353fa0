"""Representation head (Eq. 3): aggregate R1..R4 into one 256-channel map at stride 8."""

from __future__ import annotations

import torch
from torch import nn

from hrom.models.hrnet import BN_MOMENTUM, conv3x3


class RepresentationHead(nn.Module):
    """Conv3x3/s2 on R1, concatenate with the chosen R2..R4, 1x1 conv + BN to ``out_channels``."""

    def __init__(self, channels: list[int], representations: tuple[int, ...], out_channels: int = 256):
        super().__init__()
        self.representations = tuple(representations)
        c1 = channels[0]
        self.downsample_r1 = (
            nn.Sequential(conv3x3(c1, c1, 2), nn.BatchNorm2d(c1, momentum=BN_MOMENTUM), nn.ReLU(inplace=True))
            if 1 in self.representations else None
        )
        cin = sum(channels[r - 1] for r in self.representations)
        self.fuse = nn.Sequential(nn.Conv2d(cin, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels, momentum=BN_MOMENTUM))

    def forward(self, reps: list[torch.Tensor]) -> torch.Tensor:
        parts = []
        for r in self.representations:
            x = reps[r - 1]
            parts.append(self.downsample_r1(x) if r == 1 else x)
        return self.fuse(parts[0] if len(parts) == 1 else torch.cat(parts, dim=1))
