"""The network is the paper's (sections 3-4, Table 1, Eq. 2-3 and 6): modules per stage, blocks
per branch, strides and dilations, the fusion rules, the representation head and the RPN."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torchvision.ops import DeformConv2d

import hrom.models.hrnet as hrnet
from hrom.models import build_model
from hrom.models.anchors import DEFAULT_RATIOS
from hrom.models.hrnet import BasicBlock, Bottleneck


@pytest.fixture(scope="module")
def w18():
    return build_model("hrom-w18").eval()


def _convs(module: nn.Module) -> list[nn.Conv2d]:
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


def test_stem_and_stage1_follow_table1(w18):
    b = w18.backbone
    for conv in (b.conv1, b.conv2):  # "a stem consisting of two 3x3 convolutions with stride 2", 64 channels
        assert (conv.kernel_size, conv.stride, conv.out_channels) == ((3, 3), (2, 2), 64)
    assert len(b.layer1) == 4 and all(isinstance(m, Bottleneck) for m in b.layer1)  # [1x1,64; 3x3,64; 1x1,256] x4
    assert b.layer1[0].conv1.in_channels == 64 and b.layer1[-1].conv3.out_channels == 256


@pytest.mark.parametrize("preset,width", [("hrom-w18", 18), ("hrom-w32", 32), ("hrom-w48", 48)])
def test_modules_per_stage_and_blocks_per_branch(preset, width):
    """Table 1: modularized blocks repeated 1, 1 and 4 times; four residual units per branch."""
    b = build_model(preset).backbone
    assert len(b.stage2) == 1 and len(b.stage3) == 4
    for stage, widths in ((b.stage2, [width, 2 * width]), (b.stage3, [width, 2 * width, 4 * width])):
        for module in stage:
            assert len(module.branches) == len(widths)
            for branch, c in zip(module.branches, widths):
                assert len(branch) == 4 and all(isinstance(blk, BasicBlock) for blk in branch)
                assert all(conv.out_channels == c for blk in branch for conv in (blk.conv1, blk.conv2))


def test_strides_and_dilations(w18):
    """Resolutions 1/4, 1/8, 1/8 (stride kept at 8 for the third branch, dilation 2 instead) and
    R4 at 8C / stride 8 from dilated (d=4) blocks."""
    b = w18.backbone
    assert b.strides == [4, 8, 8, 8] and b.dilations == [1, 1, 2, 4] and b.channels == [18, 36, 72, 144]
    assert _convs(b.transition2[2])[0].stride == (1, 1)  # new branch: no stride-16 step
    for module in b.stage3:
        for branch, dilation in zip(module.branches, (1, 1, 2)):
            assert {(c.dilation, c.stride) for c in _convs(branch) if c.kernel_size == (3, 3)} == {((dilation,) * 2, (1, 1))}
    assert {c.dilation for c in _convs(b.r4_blocks) if c.kernel_size == (3, 3)} == {(4, 4)}
    assert b.r4_blocks[0].conv1.out_channels == 8 * 18
    reps = b(torch.zeros(1, 3, 255, 255))
    assert [tuple(r.shape[-2:]) for r in reps] == [(64, 64), (32, 32), (32, 32), (32, 32)]


def test_fusion_units_follow_eq2(w18):
    """T_xr: identity for x = r; lower resolution -> higher (x > r): 1x1 conv (+ bilinear upsampling);
    higher -> lower (x < r): 3x3 convs, stride 2 while the resolution has to drop."""
    for module in [*w18.backbone.stage2, *w18.backbone.stage3]:
        n = len(module.branches)
        strides = [4, 8, 8][:n]
        for r in range(n):
            for x in range(n):
                t = module.fuse_layers[r][x]
                if x == r:
                    assert t is None
                elif x > r:
                    assert [c.kernel_size for c in _convs(t)] == [(1, 1)]
                else:
                    convs = _convs(t)
                    assert len(convs) == r - x and all(c.kernel_size == (3, 3) for c in convs)
                    drops = sum(c.stride == (2, 2) for c in convs)
                    assert drops == (1 if strides[x] < strides[r] else 0)


def test_the_two_stride8_branches_fuse_without_resampling(w18, monkeypatch):
    """Branches 2 (2C) and 3 (4C) share stride 8: their exchange is a stride-1 3x3 conv one way and a
    1x1 conv the other, with no interpolation; the only upsampling is into the stride-4 branch."""
    module = w18.backbone.stage3[0]
    assert [c.stride for c in _convs(module.fuse_layers[2][1])] == [(1, 1)]
    assert [c.kernel_size for c in _convs(module.fuse_layers[1][2])] == [(1, 1)]
    resized = []
    real = hrnet.F.interpolate
    monkeypatch.setattr(hrnet.F, "interpolate",
                        lambda x, size=None, **kw: resized.append((tuple(x.shape[-2:]), tuple(size))) or real(x, size=size, **kw))
    with torch.no_grad():
        w18.backbone(torch.zeros(1, 3, 255, 255))
    # stage 2: branch 1 -> 0; each of the four stage-3 modules: branches 1 and 2 -> 0
    assert resized == [((32, 32), (64, 64))] * (1 + 2 * 4)


def test_r4_transform_fusion_and_representation_head(w18):
    """R4 = dilated blocks over the sum of the three stage-3 outputs brought to 8C at stride 8; the
    head (Eq. 3) downsamples R1 with a 3x3 stride-2 conv, concatenates R1..R4, mixes to 256 with 1x1."""
    b = w18.backbone
    assert [sum(c.stride == (2, 2) for c in _convs(t)) for t in b.r4_fuse] == [1, 0, 0]
    assert all(_convs(t)[-1].out_channels == 8 * 18 for t in b.r4_fuse)
    conv = _convs(w18.neck.downsample_r1)[0]
    assert (conv.kernel_size, conv.stride) == ((3, 3), (2, 2))
    fuse = w18.neck.fuse[0]
    assert fuse.kernel_size == (1, 1) and fuse.in_channels == 18 + 36 + 72 + 144 and fuse.out_channels == 256


def test_deformable_conv_on_the_search_branch_only(w18):
    """Eq. 6: DeConv acts on the search features; the template kernels are computed without it."""
    calls = []
    handles = [m.register_forward_hook(lambda mod, i, o: calls.append(o.shape[-1]))
               for m in w18.modules() if isinstance(m, DeformConv2d)]
    try:
        with torch.no_grad():
            state = w18.template_state(torch.zeros(1, 3, 127, 127))
            assert calls == []
            w18.search(torch.zeros(1, 3, 255, 255), *state)
    finally:
        for h in handles:
            h.remove()
    assert calls == [32]  # once, on the 32x32 search features


def test_anchors_are_the_papers_five_ratios(w18):
    """Section 4.1: anchors with 5 aspect ratios [0.33, 0.5, 1, 2, 3]."""
    g = w18.config.geometry
    assert g.ratios == DEFAULT_RATIOS == (0.33, 0.5, 1.0, 2.0, 3.0) and g.anchor_num == 5
    assert (g.template_size, g.search_size, g.stride, g.score_size) == (127, 255, 8, 25)
