"""CPU inference speed of HROM's search pass and of the whole tracker, per runtime.

Prints, for one model (default hrom-w18):

- the float32 matmul ceiling of this machine measured in the same run (best of torch.mm,
  numpy/OpenBLAS and an onnxruntime MatMul, 2048^3, at the start and at the end);
- the search pass (255x255 -> cls, loc) per CPU path: PyTorch eager, channels_last, channels_last
  with BN folded, bfloat16 autocast (only if the CPU has avx512_bf16/amx), ONNX Runtime;
  with ms, GFLOP/s (hrom.models.flops.count_flops) and the fraction of the ceiling;
- end-to-end frames/s of ``create_tracker(..., backend=...)`` on the same real frames
  (crop + network + post-processing), and the ratio to OpenCV's NanoTrack (cv2.TrackerNano
  with ../shared/peers/nanotrack_v2) on those frames.

    OMP_NUM_THREADS=2 .venv/bin/python tools/onnx_speed.py --model hrom-w18 --frames 40

Other processes sharing the CPU lower every number (the ceiling too): compare rows of one run.
On a busy machine PyTorch with 2 threads collapses (each of its many small parallel regions waits
for a descheduled worker); ``--threads 1`` gives stable per-core figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def timed(fn, reps: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def matmul_ceiling(threads: int, n: int = 2048, reps: int = 5) -> dict[str, float]:
    """Best float32 GFLOP/s of a square matmul in three libraries."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    flops = 2.0 * n ** 3
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    res = {"torch.mm": flops / min(timed(lambda: torch.mm(ta, tb), reps)) / 1e9,
           "numpy": flops / min(timed(lambda: a @ b, reps)) / 1e9}
    graph = helper.make_graph([helper.make_node("MatMul", ["A", "B"], ["C"])], "mm",
                              [helper.make_tensor_value_info("A", TensorProto.FLOAT, [n, n]),
                               helper.make_tensor_value_info("B", TensorProto.FLOAT, [n, n])],
                              [helper.make_tensor_value_info("C", TensorProto.FLOAT, [n, n])])
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)], ir_version=10)
                                .SerializeToString(), so, providers=["CPUExecutionProvider"])
    res["onnxruntime"] = flops / min(timed(lambda: sess.run(None, {"A": a, "B": b}), reps)) / 1e9
    return res


def search_paths(model, threads: int, cache_dir: str, with_bf16: bool, with_compile: bool):
    """name -> (set_template(z), search(x)) callables for each CPU path."""
    from hrom.export.fuse import fold_batchnorm
    from hrom.export.onnx_backend import OnnxBackend
    from hrom.tracking.backends import TorchBackend

    paths = {}
    paths["torch eager (NCHW)"] = TorchBackend(_copy(model), channels_last=False)
    paths["torch channels_last (TorchBackend)"] = TorchBackend(_copy(model), channels_last=True)
    paths["torch channels_last + BN folded"] = TorchBackend(fold_batchnorm(model)[0], channels_last=True)
    if with_bf16:
        fused = fold_batchnorm(model)[0]
        if fused.config.deformable:  # torchvision's deform_conv2d has no bfloat16 CPU kernel
            fused.rpn.deform.conv = _Float32Deform(fused.rpn.deform.conv)
        paths["torch bf16 autocast, channels_last, BN folded"] = _AutocastBackend(TorchBackend(fused, channels_last=True))
    if with_compile:
        fused = fold_batchnorm(model)[0].to(memory_format=torch.channels_last)
        fused.search = torch.compile(fused.search)
        paths["torch.compile, channels_last, BN folded"] = TorchBackend(fused, channels_last=True)
    paths["onnxruntime (OnnxBackend)"] = OnnxBackend(model, cache_dir=cache_dir, threads=threads)
    return paths


def _copy(model):
    import copy

    return copy.deepcopy(model)


class _Float32Deform(torch.nn.Module):
    """Runs a DeformConv2d in float32 inside a bfloat16 autocast region."""

    def __init__(self, conv):
        super().__init__()
        self.conv = conv

    def forward(self, x, offset):
        with torch.autocast("cpu", enabled=False):
            return self.conv(x.float(), offset.float())


class _AutocastBackend:
    """A TorchBackend whose calls run under CPU bfloat16 autocast (outputs cast back to float32)."""

    def __init__(self, inner):
        self.inner = inner

    def set_template(self, z):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            self.inner.set_template(z)

    def search(self, x):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return self.inner.search(x)


def read_frames(n: int) -> tuple[list[np.ndarray], tuple[float, ...], str]:
    import cv2

    seq = SHARED / "data" / "otb" / "Crossing"
    if not seq.is_dir():
        sys.exit(f"needs the real frames in {seq} (../shared next to the repository)")
    files = sorted((seq / "img").glob("*.jpg"))[:n]
    box = tuple(float(v) for v in np.loadtxt(seq / "groundtruth_rect.txt")[0])
    return [cv2.imread(str(f)) for f in files], box, "otb/Crossing"


def fps_interleaved(trackers: dict, frames, box) -> dict[str, float]:
    """Frames/s of each tracker over the same frames, taking turns frame by frame so that load
    from other processes affects them alike."""
    spent = {name: 0.0 for name in trackers}
    for tracker in trackers.values():
        tracker.init(frames[0], box)
        tracker.update(frames[1])  # warm-up (first-call allocations)
    for f in frames[2:]:
        for name, tracker in trackers.items():
            t = time.perf_counter()
            tracker.update(f)
            spent[name] += time.perf_counter() - t
    return {name: (len(frames) - 2) / spent[name] for name in trackers}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="hrom-w18", help="model preset or checkpoint (default hrom-w18)")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    ap.add_argument("--reps", type=int, default=10, help="timed search passes per path")
    ap.add_argument("--frames", type=int, default=40, help="frames for the end-to-end runs")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile (slow to compile)")
    args = ap.parse_args()

    import cv2

    from hrom.models import create_model
    from hrom.models.flops import count_flops
    from hrom.tracking import create_tracker

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    torch.set_grad_enabled(False)
    flags = cpu_flags()
    has_bf16 = bool({"avx512_bf16", "amx_bf16"} & flags)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} (other processes slow every row)")
    print(f"CPU: {os.cpu_count()} logical cores visible, {args.threads} threads used; "
          f"avx512f={'avx512f' in flags} avx512_bf16={'avx512_bf16' in flags} amx={'amx_bf16' in flags}")

    torch.manual_seed(0)
    model = create_model(args.model).model.eval()
    flops = count_flops(model)["search"]
    ceil_start = matmul_ceiling(args.threads)
    print("matmul ceiling (start): " + ", ".join(f"{k} {v:.0f}" for k, v in ceil_start.items()) + " GFLOP/s")

    cache = tempfile.mkdtemp(prefix="hrom-onnx-speed-")  # this run's exports; removed at exit
    import atexit
    import shutil

    atexit.register(shutil.rmtree, cache, True)
    paths = search_paths(model, args.threads, cache, has_bf16, args.compile)
    rng = np.random.default_rng(0)
    z = rng.uniform(0, 255, (1, 3, 127, 127)).astype(np.float32)
    x = rng.uniform(0, 255, (1, 3, 255, 255)).astype(np.float32)
    times, outputs = {name: [] for name in paths}, {}
    for name, backend in paths.items():
        backend.set_template(z)
        outputs[name] = backend.search(x)
        backend.search(x)
    for _ in range(args.reps):  # round-robin, so a burst of load from other processes hits every path
        for name, backend in paths.items():
            t = time.perf_counter()
            backend.search(x)
            times[name].append(time.perf_counter() - t)

    ceil_end = matmul_ceiling(args.threads)
    print("matmul ceiling (end):   " + ", ".join(f"{k} {v:.0f}" for k, v in ceil_end.items()) + " GFLOP/s")
    ceiling = max(*ceil_start.values(), *ceil_end.values())
    ref = outputs["torch eager (NCHW)"]
    print(f"\n{args.model} search pass: {flops / 1e9:.2f} GFLOP; ceiling {ceiling:.0f} GFLOP/s (best matmul above)")
    print(f"{'path':<48}{'best ms':>9}{'median ms':>11}{'GFLOP/s':>9}{'of ceiling':>12}{'max |diff|':>12}")
    for name, ts in times.items():
        best = min(ts)
        diff = max(float(np.abs(a - b).max()) for a, b in zip(outputs[name], ref))
        print(f"{name:<48}{best * 1e3:>9.1f}{np.median(ts) * 1e3:>11.1f}{flops / best / 1e9:>9.0f}"
              f"{flops / best / 1e9 / ceiling:>11.0%} {diff:>11.1e}")

    frames, box, clip = read_frames(args.frames)
    print(f"\nend to end on {clip}, {len(frames) - 2} timed frames (crop + network + post-processing):")
    trackers = {f"HROM {args.model} (torch)": create_tracker(model, backend="torch"),
                f"HROM {args.model} (onnx)": create_tracker_onnx(model, cache, args.threads)}
    nano_name = "OpenCV NanoTrack v2 (cv2.TrackerNano)"
    try:
        trackers[nano_name] = create_tracker("nano", peers_dir=SHARED / "peers")
    except Exception as exc:  # noqa: BLE001 - report and go on
        print(f"  NanoTrack unavailable: {exc}")
    fps = fps_interleaved(trackers, frames, box)
    nano = fps.get(nano_name)
    print(f"  (load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())})")
    for name, v in fps.items():
        ratio = f"{v / nano:.2f}x NanoTrack" if nano else ""
        print(f"  {name:<44}{v:>8.1f} frames/s   {ratio}")
    return 0


def create_tracker_onnx(model, cache: str, threads: int):
    """create_tracker(model, backend="onnx") but exporting into this run's temp cache."""
    from hrom.export.onnx_backend import OnnxBackend
    from hrom.tracking.config import resolve_tracker_config
    from hrom.tracking.siamese import SiameseTracker

    backend = OnnxBackend(model, cache_dir=cache, threads=threads)
    return SiameseTracker(backend, resolve_tracker_config(None, backend.meta.get("tracker_hp")), name=model.config.name)


if __name__ == "__main__":
    raise SystemExit(main())
