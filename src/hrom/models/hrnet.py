"""The modified HRNet backbone of the paper (Table 1): three stages, every branch at stride <= 8.

Module and parameter names follow the official HRNet classification code (``conv1``, ``bn1``,
``layer1``, ``transition1``, ``stage2.<m>.branches.<b>.<k>``, ``stage2.<m>.fuse_layers.<i>.<j>``,
...) so ImageNet checkpoints load by name.  Only strides and dilations differ from the original:
the third branch stays at stride 8 (dilated convolutions instead of going to 1/16), which changes
no weight shape.  The fourth representation R4 (8C) has no ImageNet counterpart: it is built by a
transform-fusion unit over the three stage-3 outputs followed by dilated BasicBlocks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

BN_MOMENTUM = 0.1


def conv3x3(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None, dilation: int = 1):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride, dilation)
        self.bn1 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes, 1, dilation)
        self.bn2 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + residual)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None, dilation: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv2 = conv3x3(planes, planes, stride, dilation)
        self.bn2 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + residual)


def make_layer(block: type[nn.Module], inplanes: int, planes: int, blocks: int, dilation: int = 1) -> nn.Sequential:
    downsample = None
    if inplanes != planes * block.expansion:
        downsample = nn.Sequential(
            nn.Conv2d(inplanes, planes * block.expansion, 1, bias=False),
            nn.BatchNorm2d(planes * block.expansion, momentum=BN_MOMENTUM),
        )
    layers = [block(inplanes, planes, 1, downsample, dilation)]
    layers += [block(planes * block.expansion, planes, 1, None, dilation) for _ in range(1, blocks)]
    return nn.Sequential(*layers)


def make_fuse(cin: int, sin: int, cout: int, sout: int, hops: int) -> nn.Module | None:
    """Transform T_{x->r} from a branch (channels ``cin``, stride ``sin``) to another.

    ``hops`` is the branch-index distance (output index - input index), which fixes the layer
    count and thus the checkpoint names.  Lower-index output (hops < 0): 1x1 conv + BN, then
    bilinear upsampling in ``forward`` when the resolutions differ (conv and bilinear upsampling
    commute, so convolving first is equivalent and cheaper).  Higher-index output (hops > 0): a
    chain of ``hops`` 3x3 convs; a conv has stride 2 only while the resolution still has to drop.
    """
    if hops == 0:
        return None
    if hops < 0:
        return nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout, momentum=BN_MOMENTUM))
    chain = []
    stride_now = sin
    for k in range(hops):
        last = k == hops - 1
        step = 2 if stride_now < sout else 1
        stride_now *= step
        c_out = cout if last else cin
        layers: list[nn.Module] = [conv3x3(cin, c_out, step), nn.BatchNorm2d(c_out, momentum=BN_MOMENTUM)]
        if not last:
            layers.append(nn.ReLU(inplace=True))
        chain.append(nn.Sequential(*layers))
    return nn.Sequential(*chain)


def apply_fuse(layer: nn.Module | None, x: torch.Tensor, size: torch.Size) -> torch.Tensor:
    if layer is None:
        return x
    y = layer(x)
    if y.shape[-2:] != size:
        y = F.interpolate(y, size=size, mode="bilinear", align_corners=False)
    return y


class HighResolutionModule(nn.Module):
    """Parallel branches of BasicBlocks followed by the multi-resolution fusion of Eq. 2."""

    def __init__(self, channels: list[int], strides: list[int], dilations: list[int], blocks: int):
        super().__init__()
        self.branches = nn.ModuleList(
            make_layer(BasicBlock, c, c, blocks, d) for c, d in zip(channels, dilations)
        )
        n = len(channels)
        self.fuse_layers = nn.ModuleList(
            nn.ModuleList(make_fuse(channels[j], strides[j], channels[i], strides[i], i - j) for j in range(n))
            for i in range(n)
        )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        xs = [branch(x) for branch, x in zip(self.branches, xs)]
        outs = []
        for i, fuse in enumerate(self.fuse_layers):
            size = xs[i].shape[-2:]
            y = xs[i]
            for j, layer in enumerate(fuse):
                if j != i:
                    y = y + apply_fuse(layer, xs[j], size)
            outs.append(self.relu(y))
        return outs


class HRNetBackbone(nn.Module):
    """Stem + stages 1-3 of Table 1, plus the R4 fusion; returns [R1, R2, R3, R4].

    Strides 4, 8, 8, 8; channels C, 2C, 4C, 8C.  Input: normalised RGB (B, 3, H, W).
    """

    def __init__(self, width: int = 18, stem_channels: int = 64, stage1_blocks: int = 4,
                 blocks_per_branch: int = 4, stage3_modules: int = 4, r4_blocks: int = 2):
        super().__init__()
        c = width
        self.channels = [c, 2 * c, 4 * c, 8 * c]
        self.strides = [4, 8, 8, 8]
        self.dilations = [1, 1, 2, 4]
        s = stem_channels
        self.conv1 = nn.Conv2d(3, s, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(s, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(s, s, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(s, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = make_layer(Bottleneck, s, s, stage1_blocks)
        c1 = s * Bottleneck.expansion
        # transition1: 256 -> C at 1/4 (3x3 conv), 256 -> 2C at 1/8 (strided 3x3 conv)
        self.transition1 = nn.ModuleList([
            nn.Sequential(conv3x3(c1, c), nn.BatchNorm2d(c, momentum=BN_MOMENTUM), nn.ReLU(inplace=True)),
            nn.Sequential(nn.Sequential(conv3x3(c1, 2 * c, 2), nn.BatchNorm2d(2 * c, momentum=BN_MOMENTUM), nn.ReLU(inplace=True))),
        ])
        self.stage2 = nn.Sequential(HighResolutionModule(self.channels[:2], self.strides[:2], self.dilations[:2], blocks_per_branch))
        # transition2: the new third branch stays at stride 8 (stride-1 conv where HRNet has stride 2)
        self.transition2 = nn.ModuleList([
            None,
            None,
            nn.Sequential(nn.Sequential(conv3x3(2 * c, 4 * c, 1), nn.BatchNorm2d(4 * c, momentum=BN_MOMENTUM), nn.ReLU(inplace=True))),
        ])
        self.stage3 = nn.Sequential(*[
            HighResolutionModule(self.channels[:3], self.strides[:3], self.dilations[:3], blocks_per_branch)
            for _ in range(stage3_modules)
        ])
        # R4: transform-fusion of the three stage-3 outputs into 8C at stride 8, then dilated blocks
        self.r4_fuse = nn.ModuleList(
            make_fuse(self.channels[j], self.strides[j], 8 * c, 8, 3 - j) for j in range(3)
        )
        self.r4_relu = nn.ReLU(inplace=True)
        self.r4_blocks = make_layer(BasicBlock, 8 * c, 8 * c, r4_blocks, dilation=4) if r4_blocks > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        x = self.layer1(x)
        xs = [t(x) for t in self.transition1]
        xs = self.stage2(xs)
        xs = [xs[0], xs[1], self.transition2[2](xs[1])]
        xs = self.stage3(xs)
        size = xs[2].shape[-2:]
        r4 = self.r4_fuse[0](xs[0])
        for j in (1, 2):
            r4 = r4 + apply_fuse(self.r4_fuse[j], xs[j], size)
        r4 = self.r4_blocks(self.r4_relu(r4))
        return [xs[0], xs[1], xs[2], r4]
