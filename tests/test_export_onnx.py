"""ONNX export: graph structure, BN folding, DeformConv mapping and ONNX Runtime parity with PyTorch."""

from __future__ import annotations

import json
import warnings
from collections import Counter

import numpy as np
import pytest
import torch

onnx = pytest.importorskip("onnx", reason="ONNX export tests need hrom[onnx]")
ort = pytest.importorskip("onnxruntime", reason="ONNX export tests need hrom[onnx]")

from hrom.export.fuse import count_batchnorm, fold_batchnorm  # noqa: E402
from hrom.export.onnx_backend import OnnxBackend, read_sidecar  # noqa: E402
from hrom.export.onnx_export import (SEARCH_FILE, SIDECAR_FILE, TEMPLATE_FILE, export_graphs,  # noqa: E402
                                     register_deform_conv_symbolic, write_export)
from hrom.export.verify import max_abs_difference  # noqa: E402
from hrom.models import get_preset  # noqa: E402
from hrom.models.anchors import AnchorConfig, anchor_grid  # noqa: E402
from hrom.models.checkpoint import load_model, save_checkpoint  # noqa: E402
from hrom.errors import HromError  # noqa: E402
from hrom.tracking.config import HP_PRESETS  # noqa: E402
from helpers.export import frame_crops, random_pixels, realistic_model  # noqa: E402



@pytest.fixture(autouse=True)
def _no_grad():
    """Inference only in this module (scoped: other test modules train)."""
    with torch.no_grad():
        yield


def _ops(data: bytes) -> Counter:
    return Counter(n.op_type for n in onnx.load_from_string(data).graph.node)


@pytest.fixture(scope="module")
def tiny_export(tmp_path_factory):
    model = realistic_model("hrom-tiny")
    out = tmp_path_factory.mktemp("tiny_export")
    write_export(model, out)
    return model, out


def test_fold_batchnorm_removes_every_bn_and_keeps_outputs():
    model = realistic_model("hrom-tiny")
    fused, n = fold_batchnorm(model)
    assert count_batchnorm(model) == n == 45 and count_batchnorm(fused) == 0
    z, x = torch.from_numpy(random_pixels(127, 1)), torch.from_numpy(random_pixels(255, 2))
    for a, b in zip(model(z, x), fused(z, x)):
        assert a.abs().max() > 0.5  # outputs are not trivially small
        assert (a - b).abs().max() < 1e-4


@pytest.mark.parametrize("stride,dilation,groups,offset_groups,with_mask",
                         [(1, 1, 1, 1, False), (2, 2, 2, 2, False), (1, 1, 1, 2, True)])
def test_deform_conv_symbolic_matches_torchvision(tmp_path, stride, dilation, groups, offset_groups, with_mask):
    """The DeformConv mapping (attributes, offset layout, bias, optional mask) against torchvision."""
    import torchvision

    g = torch.Generator().manual_seed(3)
    x = torch.randn(1, 4, 11, 11, generator=g)
    weight = torch.randn(6, 4 // groups, 3, 3, generator=g)
    bias = torch.randn(6, generator=g)
    out_side = (11 + 2 * 2 - dilation * 2 - 1) // stride + 1
    offset = 2.5 * torch.randn(1, 2 * offset_groups * 9, out_side, out_side, generator=g)
    mask = torch.rand(1, offset_groups * 9, out_side, out_side, generator=g) if with_mask else None

    class Net(torch.nn.Module):
        def forward(self, x, offset, *m):
            return torchvision.ops.deform_conv2d(x, offset, weight, bias, stride=stride, padding=2,
                                                 dilation=dilation, mask=m[0] if m else None)

    args = (x, offset) + ((mask,) if with_mask else ())
    register_deform_conv_symbolic(19)
    path = tmp_path / "dc.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TorchScript-exporter deprecation and tracer warnings
        torch.onnx.export(Net(), args, str(path), dynamo=False, opset_version=19)
    proto = onnx.load(str(path))
    assert [n.op_type for n in proto.graph.node if n.op_type == "DeformConv"] == ["DeformConv"]
    proto.ir_version = min(proto.ir_version, 10)
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {i.name: a.numpy() for i, a in zip(sess.get_inputs(), args)}
    got = sess.run(None, feeds)[0]
    want = Net()(*args).numpy()
    assert got.shape == want.shape
    assert np.abs(got - want).max() < 1e-4


def test_graph_structure_and_sidecar(tiny_export):
    model, out = tiny_export
    meta = json.loads((out / SIDECAR_FILE).read_text())
    t_proto, s_proto = onnx.load(str(out / TEMPLATE_FILE)), onnx.load(str(out / SEARCH_FILE))
    for proto in (t_proto, s_proto):
        onnx.checker.check_model(proto, full_check=True)
        assert next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")) == 19
        assert all(n.domain in ("", "ai.onnx") for n in proto.graph.node)
        ops = Counter(n.op_type for n in proto.graph.node)
        assert "BatchNormalization" not in ops and "Identity" not in ops
    assert Counter(n.op_type for n in s_proto.graph.node)["DeformConv"] == 1
    assert "DeformConv" not in Counter(n.op_type for n in t_proto.graph.node)
    # names and shapes in the sidecar are those of the graphs (the nominal size where an axis is free)
    free = {"search": "search_h search_w", "cls": "score_h score_w", "loc": "score_h score_w"}
    for key, proto in (("template", t_proto), ("search", s_proto)):
        for kind in ("inputs", "outputs"):
            vis = proto.graph.input if kind == "inputs" else proto.graph.output
            for v, io in zip(vis, meta["graphs"][key][kind], strict=True):
                dims = v.type.tensor_type.shape.dim
                assert v.name == io["name"]
                assert [d.dim_value for d in dims][:2] == io["shape"][:2]
                if v.name in free:  # the spatial axes of the search crop and maps are dynamic
                    assert " ".join(d.dim_param for d in dims[2:]) == free[v.name]
                else:
                    assert [d.dim_value for d in dims] == io["shape"]
    assert meta["graphs"]["search"]["any_search_size"] is True
    assert meta["graphs"]["template"]["inputs"][0]["shape"] == [1, 3, 127, 127]
    assert [io["name"] for io in meta["graphs"]["search"]["inputs"]] == ["search", "mask", "k_cls", "k_loc"]
    assert meta["graphs"]["search"]["outputs"][0]["shape"] == [1, 10, 25, 25]
    assert meta["graphs"]["search"]["outputs"][1]["shape"] == [1, 20, 25, 25]
    assert meta["model_config"]["name"] == "hrom-tiny"
    assert meta["tracker_hp_source"] == "default"
    assert meta["tracker_hp"]["penalty_k"] == HP_PRESETS["default"].penalty_k
    grid = np.array(meta["anchors"]["grid"])
    assert grid.shape == (5 * 25 * 25, 4)
    assert np.abs(grid - anchor_grid(AnchorConfig(), 25, 0.0)).max() < 1e-3
    assert grid[0].tolist() == [-96.0, -96.0, 104.0, 32.0]  # first anchor: ratio 0.33 -> 104 x 32 (pysot sizes)


def test_search_graph_takes_the_larger_lost_target_crop(tiny_export):
    """One graph, any search side: ONNX Runtime against PyTorch on the 831-pixel lost-target crop."""
    model, out = tiny_export
    backend = OnnxBackend(out)
    z, x = random_pixels(127, 1), random_pixels(831, 2)
    backend.set_template(z)
    cls, loc = backend.search(x)
    want_cls, want_loc = model.search(torch.from_numpy(x), *model.template_state(torch.from_numpy(z)))
    side = model.config.geometry.with_search_size(831).score_size
    assert cls.shape == (1, 10, side, side) == tuple(want_cls.shape) and side == 97
    assert np.abs(cls - want_cls.numpy()).max() < 1e-3 and np.abs(loc - want_loc.numpy()).max() < 1e-3
    with pytest.raises(HromError, match=r"expected \(1, 3, n, n\) with n > 127"):
        backend.search(random_pixels(831, 2)[:, :, :, :500])


def test_sidecar_takes_tracker_hp_from_checkpoint(tmp_path):
    model = realistic_model("hrom-tiny")
    ckpt = save_checkpoint(model, tmp_path / "m.pt", tracker_hp={"penalty_k": 0.3, "window_influence": 0.2, "lr": 0.5})
    write_export(load_model(ckpt), tmp_path / "exp")
    meta = read_sidecar(tmp_path / "exp")
    assert meta["tracker_hp_source"] == "checkpoint"
    assert (meta["tracker_hp"]["penalty_k"], meta["tracker_hp"]["window_influence"], meta["tracker_hp"]["lr"]) == (0.3, 0.2, 0.5)
    assert meta["tracker_hp"]["instance_size"] == 255  # the rest filled with the tracker's defaults
    assert OnnxBackend(tmp_path / "exp").meta["tracker_hp"]["penalty_k"] == 0.3


def test_tiny_parity_random_and_real_crop(tiny_export, shared_dir):
    model, out = tiny_export
    backend = OnnxBackend(out)
    z_real, x_real = frame_crops(shared_dir)
    for z, x in ((random_pixels(127, 5), random_pixels(255, 6)), (z_real, x_real)):
        assert max_abs_difference(model, backend, z, x) < 1e-4


@pytest.mark.parametrize("preset", ["hrom-w18", "hrom-w18-base", "hrom-tiny+loc_hidden=48"])
def test_w18_family_and_wide_loc_parity(preset):
    """The full-size HRNet-w18 network (deformable), the Table 3 baseline (no masks, no DCN), and
    a box branch wider than the classifier (its kernel has more channels than the cls kernel)."""
    name, _, wide = preset.partition("+loc_hidden=")
    model = realistic_model(get_preset(name).replace(loc_hidden=int(wide or 0)))
    graphs = export_graphs(model)
    search_ops = _ops(graphs.search)
    assert ("DeformConv" in search_ops) == model.config.deformable
    assert "BatchNormalization" not in search_ops
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    t_sess = ort.InferenceSession(graphs.template, so, providers=["CPUExecutionProvider"])
    s_sess = ort.InferenceSession(graphs.search, so, providers=["CPUExecutionProvider"])
    z, x = random_pixels(127, 7), random_pixels(255, 8)
    state = model.template_state(torch.from_numpy(z))
    cls, loc = model.search(torch.from_numpy(x), *state)
    o_state = t_sess.run(None, {"template": z})
    o_cls, o_loc = s_sess.run(None, {"search": x, "mask": o_state[0], "k_cls": o_state[1], "k_loc": o_state[2]})
    assert cls.abs().max() > 0.5 and loc.abs().max() > 0.5  # not trivially small outputs
    for a, b in zip(o_state + [o_cls, o_loc], list(state) + [cls, loc]):
        assert np.abs(a - b.numpy()).max() < 1e-4


def test_template_state_blends_the_same_in_onnx_runtime_and_pytorch(tiny_export):
    """The template update's contract: both backends expose the template state, take a blended one
    back and search with it (checked against the network run on the blended state), and restoring
    the first state restores the first template's answer."""
    from hrom.tracking.backends import TorchBackend
    from hrom.tracking.template_memory import blend

    model, out = tiny_export
    z1, z2, x = random_pixels(127, 1), random_pixels(127, 3), random_pixels(255, 2)
    t = {k: model.template_state(torch.from_numpy(v)) for k, v in (("z1", z1), ("z2", z2))}
    want = [o.numpy() for o in model.search(torch.from_numpy(x), *blend(t["z1"], t["z2"], 0.5))]
    for backend in (OnnxBackend(out), TorchBackend(model)):
        assert backend.template_state is None  # nothing to blend before the first template
        backend.set_template(z1)
        first = backend.template_state
        plain = backend.search(x)
        backend.set_template(z2)
        backend.template_state = blend(first, backend.template_state, 0.5)
        mixed = backend.search(x)
        for got, ref, old in zip(mixed, want, plain):
            assert np.abs(got - ref).max() < 0.02 * np.abs(old - ref).max(), backend.name
        backend.template_state = first
        assert np.array_equal(backend.search(x)[0], plain[0]), backend.name
    with pytest.raises(HromError, match="template_state: got 1 arrays; the search graph takes 3"):
        OnnxBackend(out).template_state = (np.zeros(3, np.float32),)
