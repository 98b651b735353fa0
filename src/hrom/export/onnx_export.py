"""Export HROM as two ONNX graphs (template branch, search branch) plus a JSON sidecar.

The deformable convolution becomes the standard ONNX ``DeformConv`` op (opset >= 19): neither
torchvision nor torch's TorchScript exporter register one for ``torchvision::deform_conv2d``,
so ``_deform_conv2d_symbolic`` below does.  The search graph takes any crop side (its spatial
axes are dynamic: the tracker's lost-target search uses a larger crop).  BatchNorm is folded into the convolutions first
(``fuse.fold_batchnorm``), so the graphs contain Conv / DeformConv with bias and no BN.
Only the TorchScript exporter (``dynamo=False``) is used: the dynamo exporter needs
``onnxscript``, which is not a dependency.
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from hrom.errors import HromError
from hrom.export.fuse import fold_batchnorm
from hrom.export.layout import (SEARCH_DYNAMIC_AXES, SEARCH_FILE, SEARCH_INPUTS, SEARCH_OUTPUTS, SIDECAR_FILE,
                                TEMPLATE_FILE, TEMPLATE_INPUTS, TEMPLATE_OUTPUTS)
from hrom.export.sidecar import build_sidecar, dumps_compact
from hrom.io import atomic_write_bytes
from hrom.models.hrom import HROM
from hrom.models.loaded import LoadedModel, as_loaded

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "SEARCH_FILE", "SEARCH_INPUTS", "SEARCH_OUTPUTS", "SIDECAR_FILE",
           "TEMPLATE_FILE", "TEMPLATE_INPUTS", "TEMPLATE_OUTPUTS", "export_graphs", "require_onnx", "write_export"]

MIN_OPSET = 19  # first opset with DeformConv
DEFAULT_OPSET = 19
MAX_IR_VERSION = 10  # what onnxruntime >= 1.20 reads; torch may write newer IR versions


def require_onnx():
    """Import onnx and onnxruntime, or say how to get them (one line, exit 2)."""
    try:
        import onnx
        import onnxruntime
    except ImportError as exc:
        raise HromError(f"ONNX support needs the onnx and onnxruntime packages ({exc.name} is missing); "
                        "install hrom[onnx] (pip install 'hrom[onnx]')") from None
    return onnx, onnxruntime


def _deform_conv2d_symbolic(g, input, weight, offset, mask, bias, stride_h, stride_w, pad_h, pad_w,
                            dil_h, dil_w, groups, offset_groups, use_mask):
    """torchvision::deform_conv2d -> ONNX DeformConv (same offset layout: (dy, dx) pairs per tap)."""
    from torch.onnx import symbolic_helper as sh

    s_h, s_w, p_h, p_w = (sh._get_const(v, "i", n) for v, n in
                          ((stride_h, "stride_h"), (stride_w, "stride_w"), (pad_h, "pad_h"), (pad_w, "pad_w")))
    d_h, d_w = sh._get_const(dil_h, "i", "dil_h"), sh._get_const(dil_w, "i", "dil_w")
    n_groups, n_offset_groups = sh._get_const(groups, "i", "groups"), sh._get_const(offset_groups, "i", "offset_groups")
    with_mask = bool(sh._get_const(use_mask, "b", "use_mask"))
    kernel = sh._get_tensor_sizes(weight)
    if kernel is None or len(kernel) != 4 or None in kernel[2:]:
        raise HromError("DeformConv export: the weight shape must be static")
    inputs = [input, weight, offset, bias] + ([mask] if with_mask else [])
    return g.op("DeformConv", *inputs, kernel_shape_i=list(kernel[2:]), strides_i=[s_h, s_w],
                pads_i=[p_h, p_w, p_h, p_w], dilations_i=[d_h, d_w], group_i=n_groups,
                offset_group_i=n_offset_groups)


_REGISTERED: set[int] = set()


def register_deform_conv_symbolic(opset: int) -> None:
    if opset in _REGISTERED:
        return
    torch.onnx.register_custom_op_symbolic("torchvision::deform_conv2d", _deform_conv2d_symbolic, opset)
    _REGISTERED.add(opset)


class TemplateBranch(nn.Module):
    """template (1,3,127,127) RGB 0..255 -> (mask, k_cls, k_loc)."""

    def __init__(self, model: HROM):
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor):
        return self.model.template_state(z)


class SearchBranch(nn.Module):
    """(search (1,3,255,255), mask, k_cls, k_loc) -> (cls, loc)."""

    def __init__(self, model: HROM):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, mask: torch.Tensor, k_cls: torch.Tensor, k_loc: torch.Tensor):
        return self.model.search(x, mask, k_cls, k_loc)


@dataclass(frozen=True)
class ExportedGraphs:
    template: bytes
    search: bytes
    shapes: dict[str, list[int]]


def example_inputs(model: HROM) -> tuple[torch.Tensor, torch.Tensor]:
    cfg = model.config
    gen = torch.Generator().manual_seed(0)
    z = torch.rand(1, 3, cfg.template_size, cfg.template_size, generator=gen) * 255
    x = torch.rand(1, 3, cfg.search_size, cfg.search_size, generator=gen) * 255
    return z, x


def _strip_identities(graph) -> int:
    """Remove Identity nodes (left where BN was folded) by rewiring their consumers."""
    outputs = {o.name for o in graph.output}
    alias: dict[str, str] = {}
    keep = []
    for node in graph.node:
        if node.op_type == "Identity" and node.output[0] not in outputs:
            alias[node.output[0]] = alias.get(node.input[0], node.input[0])
        else:
            keep.append(node)
    for node in keep:
        for i, name in enumerate(node.input):
            if name in alias:
                node.input[i] = alias[name]
    removed = len(graph.node) - len(keep)
    del graph.node[:]
    graph.node.extend(keep)
    return removed


def _restore_inputs(graph, args: tuple, input_names) -> None:
    """Put back inputs the tracer dropped because the graph ignores them (``mask`` when the
    channel mask is off), so every preset has the same signature."""
    from onnx import TensorProto, helper

    present = {i.name: i for i in graph.input}
    ordered = []
    for name, tensor in zip(input_names, args):
        ordered.append(present.get(name) or helper.make_tensor_value_info(name, TensorProto.FLOAT, list(tensor.shape)))
    del graph.input[:]
    graph.input.extend(ordered)


def _export_one(module: nn.Module, args: tuple, input_names, output_names, opset: int,
                dynamic_axes: dict | None = None) -> bytes:
    onnx, _ = require_onnx()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TorchScript-exporter deprecation / tracer warnings
        torch.onnx.export(module, args, buf, dynamo=False, opset_version=opset, input_names=list(input_names),
                          output_names=list(output_names), do_constant_folding=True, dynamic_axes=dynamic_axes,
                          training=torch.onnx.TrainingMode.EVAL)
    proto = onnx.load_from_string(buf.getvalue())
    _strip_identities(proto.graph)
    _restore_inputs(proto.graph, args, input_names)
    if proto.ir_version > MAX_IR_VERSION:
        proto.ir_version = MAX_IR_VERSION
    proto = simplify(proto)
    proto.producer_name = "hrom"
    onnx.checker.check_model(proto, full_check=True)
    return proto.SerializeToString()


def simplify(proto):
    """Constant-fold the tracer's shape arithmetic (Shape/Gather/Concat chains) with onnxruntime's
    *basic* optimisation level, which only rewrites into standard ONNX ops, so the graphs stay
    portable to other runtimes.  Falls back to the input graph if anything non-standard appears."""
    onnx, ort = require_onnx()
    with tempfile.TemporaryDirectory(prefix="hrom-onnx-") as tmp:
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        so.optimized_model_filepath = os.path.join(tmp, "basic.onnx")
        so.log_severity_level = 3
        ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
        out = onnx.load(so.optimized_model_filepath)
    if any(n.domain not in ("", "ai.onnx") for n in out.graph.node):
        return proto
    if [i.name for i in out.graph.input] != [i.name for i in proto.graph.input]:
        return proto
    del out.opset_import[:]
    out.opset_import.extend(proto.opset_import)
    out.ir_version = proto.ir_version
    return out


@torch.no_grad()
def export_graphs(model: HROM | LoadedModel, opset: int = DEFAULT_OPSET) -> ExportedGraphs:
    """Both graphs as serialised ONNX models (BN folded, checked with onnx.checker)."""
    model = as_loaded(model).model
    if opset < MIN_OPSET:
        raise HromError(f"--opset {opset}: DeformConv needs ONNX opset {MIN_OPSET} or later")
    require_onnx()
    register_deform_conv_symbolic(opset)
    fused, _ = fold_batchnorm(model)  # a copy: the caller's model is left as it is
    fused = fused.cpu().float().eval()
    z, x = example_inputs(fused)
    state = fused.template_state(z)
    cls, loc = fused.search(x, *state)
    template = _export_one(TemplateBranch(fused), (z,), TEMPLATE_INPUTS, TEMPLATE_OUTPUTS, opset)
    search = _export_one(SearchBranch(fused), (x, *state), SEARCH_INPUTS, SEARCH_OUTPUTS, opset, SEARCH_DYNAMIC_AXES)
    shapes = {"template": list(z.shape), "search": list(x.shape), "mask": list(state[0].shape),
              "k_cls": list(state[1].shape), "k_loc": list(state[2].shape), "cls": list(cls.shape), "loc": list(loc.shape)}
    return ExportedGraphs(template, search, shapes)


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def write_export(model: HROM | LoadedModel, out_dir: str | Path, opset: int = DEFAULT_OPSET, source: str | None = None,
                 tracker_hp: dict | None = None) -> Path:
    """Write the two graphs and the sidecar into ``out_dir``; returns the sidecar path.

    ``tracker_hp`` (default: a LoadedModel's own, else the ``default`` preset) goes into the
    sidecar.  Each file is written atomically and the sidecar last (it holds the graphs' SHA-256),
    so a directory with a sidecar whose hashes match is a complete export.
    """
    model = as_loaded(model)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise HromError(f"{out}: exists and is not a directory; expected an output directory for the ONNX export")
    graphs = export_graphs(model, opset)
    atomic_write_bytes(out / TEMPLATE_FILE, graphs.template)
    atomic_write_bytes(out / SEARCH_FILE, graphs.search)
    sidecar = build_sidecar(model, graphs.shapes, opset, source=source, tracker_hp=tracker_hp,
                            hashes={TEMPLATE_FILE: _sha256(graphs.template), SEARCH_FILE: _sha256(graphs.search)})
    atomic_write_bytes(out / SIDECAR_FILE, (dumps_compact(sidecar) + "\n").encode())
    return out / SIDECAR_FILE
