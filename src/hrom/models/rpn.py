"""Deformable asymmetric RPN (Eq. 6): deformable conv on the search branch + depth-wise xcorr RPN."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import DeformConv2d

from hrom.models.hrnet import BN_MOMENTUM


def xcorr_depthwise(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Depth-wise cross-correlation of each (sample, channel) pair as one grouped convolution."""
    b, c = kernel.shape[:2]
    out = F.conv2d(x.reshape(1, b * c, x.shape[2], x.shape[3]), kernel.reshape(b * c, 1, kernel.shape[2], kernel.shape[3]), groups=b * c)
    return out.reshape(b, c, out.shape[2], out.shape[3])


class DeformableConv(nn.Module):
    """3x3 deformable conv whose offsets are predicted by a plain 3x3 conv (zero-initialised,
    so training starts from a regular convolution)."""

    def __init__(self, channels: int, kernel_size: int = 3):
        super().__init__()
        pad = kernel_size // 2
        self.offset = nn.Conv2d(channels, 2 * kernel_size * kernel_size, kernel_size, padding=pad)
        nn.init.zeros_(self.offset.weight)
        nn.init.zeros_(self.offset.bias)
        self.conv = DeformConv2d(channels, channels, kernel_size, padding=pad, bias=False)
        self.bn = nn.BatchNorm2d(channels, momentum=BN_MOMENTUM)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x, self.offset(x)))


class DepthwiseXCorr(nn.Module):
    """pysot's DepthwiseXCorr split into template (kernel) and search halves so the template half
    runs once per video: conv_kernel / conv_search (3x3, no pad, BN, ReLU) -> xcorr -> 1x1 head."""

    def __init__(self, channels: int, hidden: int, out_channels: int):
        super().__init__()
        self.conv_kernel = nn.Sequential(nn.Conv2d(channels, hidden, 3, bias=False), nn.BatchNorm2d(hidden, momentum=BN_MOMENTUM), nn.ReLU(inplace=True))
        self.conv_search = nn.Sequential(nn.Conv2d(channels, hidden, 3, bias=False), nn.BatchNorm2d(hidden, momentum=BN_MOMENTUM), nn.ReLU(inplace=True))
        self.head = nn.Sequential(
            nn.Conv2d(hidden, hidden, 1, bias=False), nn.BatchNorm2d(hidden, momentum=BN_MOMENTUM), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, out_channels, 1),
        )

    def kernel(self, z: torch.Tensor) -> torch.Tensor:
        return self.conv_kernel(z)

    def search(self, x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        return self.head(xcorr_depthwise(self.conv_search(x), kernel))

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.search(x, self.kernel(z))


class DeformableRPN(nn.Module):
    """Asymmetric RPN: the search features pass a deformable conv (if enabled), the template's do not.

    Outputs follow pysot: cls (B, 2A, H, W) read as (B, 2, A, H, W) = [bg x A, fg x A];
    loc (B, 4A, H, W) read as (B, 4, A, H, W).
    """

    def __init__(self, channels: int = 256, anchor_num: int = 5, deformable: bool = True, loc_hidden: int = 0):
        super().__init__()
        self.deform = DeformableConv(channels) if deformable else nn.Identity()
        self.cls = DepthwiseXCorr(channels, channels, 2 * anchor_num)
        self.loc = DepthwiseXCorr(channels, loc_hidden or channels, 4 * anchor_num)

    def kernels(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.cls.kernel(z), self.loc.kernel(z)

    def search(self, x: torch.Tensor, k_cls: torch.Tensor, k_loc: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.deform(x)
        return self.cls.search(x, k_cls), self.loc.search(x, k_loc)
