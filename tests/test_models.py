"""The HROM network: shapes, building blocks against naive references, switches, checkpoints."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from hrom.models import PRESETS, build_model, get_preset
from hrom.models.checkpoint import load_backbone_weights, load_model, save_checkpoint
from hrom.models.flops import count_params
from hrom.models.hrnet import HRNetBackbone
from hrom.models.masks import ChannelMask, SpatialMask
from hrom.models.rpn import DeformableConv, xcorr_depthwise



@pytest.fixture(autouse=True)
def _no_grad():
    """Inference only in this module (scoped: other modules train)."""
    with torch.no_grad():
        yield


def _inputs(batch=1):
    g = torch.Generator().manual_seed(1)
    return torch.rand(batch, 3, 127, 127, generator=g) * 255, torch.rand(batch, 3, 255, 255, generator=g) * 255


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_gives_pysot_shapes(preset):
    model = build_model(preset).eval()
    z, x = _inputs(2)
    cls, loc = model(z, x)
    assert cls.shape == (2, 10, 25, 25)
    assert loc.shape == (2, 20, 25, 25)
    assert torch.isfinite(cls).all() and torch.isfinite(loc).all()


def test_backbone_strides_and_widths():
    reps = HRNetBackbone(18).eval()(torch.zeros(1, 3, 255, 255))
    assert [tuple(r.shape[1:]) for r in reps] == [(18, 64, 64), (36, 32, 32), (72, 32, 32), (144, 32, 32)]
    reps = HRNetBackbone(32).eval()(torch.zeros(1, 3, 127, 127))
    assert [tuple(r.shape[1:]) for r in reps] == [(32, 32, 32), (64, 16, 16), (128, 16, 16), (256, 16, 16)]


def test_template_keeps_centre_8x8_of_16x16(tiny_model):
    z, _ = _inputs()
    f = tiny_model.features(z)
    assert f.shape[-2:] == (16, 16)
    crop = tiny_model.crop_template(f)
    assert crop.shape[-2:] == (8, 8)
    assert torch.equal(crop, f[:, :, 4:12, 4:12])
    mask, k_cls, k_loc = tiny_model.template_state(z)
    assert k_cls.shape[-2:] == (6, 6) and k_loc.shape[-2:] == (6, 6)


def test_depthwise_xcorr_matches_naive_loop():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 9, 8, generator=g)
    k = torch.randn(2, 3, 3, 4, generator=g)
    out = xcorr_depthwise(x, k)
    assert out.shape == (2, 3, 7, 5)
    naive = torch.zeros_like(out)
    for b in range(2):
        for c in range(3):
            for i in range(7):
                for j in range(5):
                    naive[b, c, i, j] = (x[b, c, i:i + 3, j:j + 4] * k[b, c]).sum()
    assert torch.allclose(out, naive, atol=1e-5)


def test_masks_are_in_unit_interval_with_expected_shapes():
    x = torch.randn(3, 32, 8, 8) * 10
    cm = ChannelMask(32, 4)(x)
    sm = SpatialMask()(x)
    assert cm.shape == (3, 32, 1, 1) and sm.shape == (3, 1, 8, 8)
    for m in (cm, sm):
        assert m.min() >= 0 and m.max() <= 1


def test_channel_mask_from_template_is_applied_to_both_branches(tiny_model):
    m = tiny_model
    z, x = _inputs()
    mask, k_cls, k_loc = m.template_state(z)
    fz = m.crop_template(m.features(z))
    assert torch.allclose(mask, m.channel_mask(fz))
    # template branch: kernels come from the masked template features
    fz_m = fz * mask
    fz_m = fz_m * m.spatial_mask_z(fz_m)
    assert torch.allclose(k_cls, m.rpn.cls.kernel(fz_m), atol=1e-6)
    # search branch: the same template mask multiplies the search features (computed by hand)
    fx = m.features(x) * mask
    fx = fx * m.spatial_mask_x(fx)
    cls_ref, loc_ref = m.rpn.search(fx, k_cls, k_loc)
    cls, loc = m.search(x, mask, k_cls, k_loc)
    assert torch.allclose(cls, cls_ref, atol=1e-5) and torch.allclose(loc, loc_ref, atol=1e-5)
    # and the mask matters: another mask gives another response
    cls2, _ = m.search(x, torch.zeros_like(mask), k_cls, k_loc)
    assert not torch.allclose(cls, cls2)


def test_deformable_conv_with_zero_offsets_equals_plain_conv():
    torch.manual_seed(0)
    d = DeformableConv(8).eval()
    x = torch.randn(1, 8, 10, 10)
    assert torch.count_nonzero(d.offset(x)) == 0  # zero-initialised offsets
    plain = F.conv2d(x, d.conv.weight, padding=1)
    assert torch.allclose(d.conv(x, torch.zeros(1, 18, 10, 10)), plain, atol=1e-5)
    # non-zero offsets move the sampling points: the result differs
    assert not torch.allclose(d.conv(x, torch.full((1, 18, 10, 10), 0.5)), plain, atol=1e-3)


def test_each_switch_adds_exactly_its_parameters():
    full = count_params(build_model("hrom-w18"))
    base = count_params(build_model("hrom-w18-base"))
    cm = count_params(build_model("hrom-w18-cm"))
    sm = count_params(build_model("hrom-w18-sm"))
    dcn = count_params(build_model("hrom-w18-dcn"))
    c, hidden = 256, 256 // 16
    assert cm["total"] - base["total"] == (c * hidden + hidden) + (hidden * c + c)
    assert sm["total"] - base["total"] == 2 * (2 * 9 + 1)  # one 3x3 conv per branch
    assert dcn["total"] - base["total"] == (c * 18 * 9 + 18) + c * c * 9 + 2 * c
    assert full["total"] - base["total"] == sum(v["total"] - base["total"] for v in (cm, sm, dcn))
    assert full["backbone"] == base["backbone"]


def test_representation_head_input_width_follows_table2():
    for reps, width in (((2,), 36), ((3, 4), 72 + 144), ((1, 2, 3, 4), 18 + 36 + 72 + 144)):
        name = "hrom-w18-r" + "".join(map(str, reps))
        assert build_model(name).neck.fuse[0].in_channels == width
        assert get_preset(name).representations == reps


def test_checkpoint_round_trip(tmp_path, tiny_model):
    path = save_checkpoint(tiny_model, tmp_path / "m.pt", tracker_hp={"penalty_k": 0.1})
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]  # no temp file left behind
    loaded = load_model(path)
    assert loaded.config == tiny_model.config and not loaded.model.training
    assert loaded.tracker_hp == {"penalty_k": 0.1} and loaded.meta["tracker_hp"] == {"penalty_k": 0.1}
    assert (loaded.name, loaded.checkpoint) == ("m", path)
    z, x = _inputs()
    for a, b in zip(tiny_model(z, x), loaded.model(z, x)):
        assert torch.equal(a, b)
    import hrom

    assert hrom.load_model(path).config.name == "hrom-tiny"


def test_hrnet_imagenet_state_dict_loads_by_name():
    timm = pytest.importorskip("timm", reason="timm (dev extra) builds a state dict in the official HRNet naming")
    sd = timm.create_model("hrnet_w18", pretrained=False).state_dict()
    backbone = HRNetBackbone(18)
    report = load_backbone_weights(backbone, sd)
    own = backbone.state_dict()
    r4 = [k for k in own if k.startswith(("r4_fuse.", "r4_blocks."))]
    assert sorted(report.missing) == sorted(r4)  # only the R4 path has no ImageNet counterpart
    assert len(report.loaded) == len(own) - len(r4) == 960
    assert report.shape_mismatch == []
    assert all(k.split(".")[0] in {"transition3", "stage4", "incre_modules", "downsamp_modules", "final_layer", "classifier"}
               for k in report.unexpected)
    key = "stage3.3.fuse_layers.2.0.1.0.weight"
    assert torch.equal(backbone.state_dict()[key], sd[key])


def _hrom(*args):
    return subprocess.run([sys.executable, "-m", "hrom", *args], capture_output=True, text=True, timeout=300)


def test_info_json_reports_params_flops_and_shapes():
    res = _hrom("info", "hrom-w18", "--json")
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["cls_shape"] == [1, 10, 25, 25] and info["loc_shape"] == [1, 20, 25, 25]
    assert info["params"] == sum(p.numel() for p in build_model("hrom-w18").parameters())
    assert info["params_backbone"] < info["params"]
    assert 10e9 < info["flops_search"] < 20e9 and info["flops_template"] < info["flops_search"]


@pytest.mark.parametrize("kind", ["unknown-preset", "other-architecture", "not-a-checkpoint"])
def test_bad_model_gives_one_line_and_exit_2(tmp_path, kind):
    if kind == "unknown-preset":
        spec, expect = "hrom-w19", "neither a model preset"
    elif kind == "other-architecture":
        spec, expect = str(tmp_path / "hrnet.pth"), "HRNet backbone state dict"
        torch.save(HRNetBackbone(8, stem_channels=8, stage1_blocks=1, blocks_per_branch=1, stage3_modules=1).state_dict(), spec)
    else:
        spec, expect = str(tmp_path / "junk.pt"), "not a readable checkpoint"
        (tmp_path / "junk.pt").write_bytes(b"\x00garbage" * 10)
    res = _hrom("info", spec)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0] and "Traceback" not in res.stderr


def test_info_reports_imagenet_weight_loading(tmp_path):
    timm = pytest.importorskip("timm", reason="timm (dev extra) builds a state dict in the official HRNet naming")
    path = tmp_path / "hrnetv2_w18_imagenet_pretrained.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in timm.create_model("hrnet_w18", pretrained=False).state_dict().items()}}, path)
    res = _hrom("info", "hrom-w18", "--json", "--backbone-weights", str(path))
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)["backbone_weights"]
    assert (report["loaded"], report["missing"], report["shape_mismatch"]) == (960, 60, 0)


def test_loc_hidden_widens_only_the_box_branch_and_round_trips(tmp_path):
    from hrom.models.config import model_config_to_dict

    wide_cfg = get_preset("hrom-tiny").replace(loc_hidden=48)
    wide, narrow = build_model(wide_cfg).eval(), build_model("hrom-tiny").eval()
    assert narrow.rpn.loc.conv_search[0].out_channels == 32 and wide.rpn.loc.conv_search[0].out_channels == 48
    assert wide.rpn.cls.conv_search[0].out_channels == 32  # the classifier keeps feature_channels
    # 3x3 kernel and search convs, 1x1 hidden conv, BN/ReLU, 1x1 output conv: 16 extra channels cost this much
    extra = 2 * (32 * 16 * 9 + 2 * 16) + (48 * 48 - 32 * 32 + 2 * 16) + 16 * 20
    assert count_params(wide)["total"] - count_params(narrow)["total"] == extra
    z, x = _inputs()
    cls, loc = wide(z, x)
    assert cls.shape == (1, 10, 25, 25) and loc.shape == (1, 20, 25, 25)
    assert "loc_hidden" not in model_config_to_dict(narrow.config)  # default-width files keep their keys
    assert model_config_to_dict(wide_cfg)["loc_hidden"] == 48
    loaded = load_model(save_checkpoint(wide, tmp_path / "wide.pt"))
    assert loaded.config == wide_cfg
    assert torch.equal(loaded.model(z, x)[1], loc)
