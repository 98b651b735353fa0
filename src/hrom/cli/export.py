"""``hrom export CHECKPOINT_OR_PRESET --out DIR [--opset N]``: two ONNX graphs + JSON sidecar."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a model to ONNX (template + search graphs, tracker sidecar)",
                       description="Write hrom_template.onnx, hrom_search.onnx and hrom_tracker.json into DIR. "
                                   "The deformable convolution is the native ONNX DeformConv op (opset >= 19); "
                                   "BatchNorm is folded into the convolutions.")
    p.add_argument("model", metavar="CHECKPOINT_OR_PRESET", help="an hrom checkpoint file, pretrained weights ('hrom-tiny.bundled', alias 'hrom') "
                        "or a preset name (random weights)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory (created if missing)")
    p.add_argument("--opset", type=int, default=19, metavar="N", help="ONNX opset (>= 19, default 19)")
    p.add_argument("--no-verify", action="store_true", help="skip the onnxruntime-vs-PyTorch check after export")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hrom.export.onnx_export import MIN_OPSET, require_onnx
    from hrom.errors import HromError

    if args.opset < MIN_OPSET:
        raise HromError(f"--opset {args.opset}: DeformConv needs ONNX opset {MIN_OPSET} or later")
    require_onnx()
    from hrom.io import check_writable_dir

    check_writable_dir(args.out, "--out")  # before the export and its check, which take a while
    from hrom.export.onnx_export import write_export
    from hrom.export.verify import verify_export
    from hrom.models.factory import create_model

    model = create_model(args.model, device="cpu")
    sidecar = write_export(model, args.out, args.opset, source=args.model)
    print(f"wrote {sidecar.parent}/{{hrom_template.onnx, hrom_search.onnx, hrom_tracker.json}} (opset {args.opset})")
    if not args.no_verify:
        err = verify_export(model, sidecar.parent)
        print(f"onnxruntime vs PyTorch: max abs difference {err:.2e} (cls/loc/state, random 0..255 inputs)")
        if err > 1e-3:
            raise HromError(f"{sidecar.parent}: exported graphs differ from PyTorch by {err:.2e} (> 1e-3)")
    return 0
