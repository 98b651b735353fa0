"""Tracking speed of HROM presets against OpenCV's trackers, in one process on the same frames.

    .venv/bin/python tools/track_speed.py [--frames 50] [--trackers hrom-w18,hrom-w18@onnx,nano,kcf]

``SPEC@BACKEND`` runs an HROM spec on another network backend (``hrom-w18@onnx``: ONNX Runtime).

For each tracker: init time, median time per update, frames per second and the ratio to
hrom-w18; for HROM also the achieved GFLOP/s of the search pass against this machine's float32
matmul GFLOP/s (4096x4096 torch.mm), i.e. how much of the CPU the network actually uses.
Untrained presets are used: speed does not depend on the weights.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TRACKERS = "hrom-w18,hrom-w18@onnx,hrom-w32,hrom-w48,nano,vit,kcf,csrt"


def load_frames(video: Path, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(video))
    frames = []
    while len(frames) < n:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    if not frames:
        sys.exit(f"{video}: cannot read frames (expected ../shared/data/demo/bag.avi next to the repository)")
    return frames


def matmul_gflops(n: int = 4096, repeats: int = 3) -> float:
    """Best float32 torch.mm rate (2 n^3 FLOPs per product)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


def conv_gflops(repeats: int = 5) -> float:
    """Best rate of one large 3x3 convolution (256 -> 256 channels, 64x64, channels_last):
    on CPUs where oneDNN's convolutions beat MKL's sgemm this is the more honest ceiling."""
    conv = torch.nn.Conv2d(256, 256, 3, padding=1).eval().to(memory_format=torch.channels_last)
    x = torch.randn(1, 256, 64, 64).contiguous(memory_format=torch.channels_last)
    flops = 2 * 256 * 256 * 9 * 64 * 64
    best = float("inf")
    with torch.inference_mode():
        conv(x)
        for _ in range(repeats):
            t = time.perf_counter()
            conv(x)
            best = min(best, time.perf_counter() - t)
    return flops / best / 1e9


def search_gflop(tracker) -> float | None:
    """GFLOPs of one search pass of an HROM tracker (None for other trackers)."""
    backend = getattr(tracker, "backend", None)
    model = getattr(backend, "model", None)
    if model is None and isinstance(getattr(backend, "config", None), dict):  # OnnxBackend: the exported config
        from hrom.models import build_model
        from hrom.models.config import model_config_from_dict

        model = build_model(model_config_from_dict(backend.config))
    if model is None:
        return None
    try:
        from hrom.models.flops import count_flops
    except ImportError:  # trees without hrom.models.flops
        return None
    return count_flops(model)["search"] / 1e9


def run_interleaved(specs: list[str], frames: list[np.ndarray], box, device: str) -> list[dict]:
    """All trackers advance frame by frame in turn, so load from other processes on a shared
    machine hits every tracker alike; each gets a warm-up (init + 3 updates) first."""
    from hrom.tracking import create_tracker

    trackers = {}
    for spec in specs:
        print(f"loading and warming up {spec} ...", file=sys.stderr, flush=True)
        name, _, backend = spec.partition("@")  # "hrom-w18@onnx": another network backend
        t = create_tracker(name, device=device, backend=backend or "torch")
        t.init(frames[0], box)
        for f in frames[1:4]:
            t.update(f)
        trackers[spec] = t
    init_ms, per_frame = {}, {s: [] for s in specs}
    for spec, t in trackers.items():
        t0 = time.perf_counter()
        t.init(frames[0], box)
        init_ms[spec] = (time.perf_counter() - t0) * 1000
    print(f"tracking {len(frames) - 1} frames with {len(specs)} trackers ...", file=sys.stderr, flush=True)
    for f in frames[1:]:
        for spec, t in trackers.items():
            t0 = time.perf_counter()
            t.update(f)
            per_frame[spec].append(time.perf_counter() - t0)
    rows = []
    for spec, t in trackers.items():
        med = statistics.median(per_frame[spec])
        g = search_gflop(t)
        rows.append({"tracker": spec, "init_ms": init_ms[spec], "frame_ms": med * 1000, "fps": 1.0 / med,
                     "search_gflop": g, "gflops": g / med if g else None})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=50, help="frames of the clip to track (default 50)")
    ap.add_argument("--trackers", default=DEFAULT_TRACKERS, help=f"comma-separated specs (default {DEFAULT_TRACKERS})")
    ap.add_argument("--video", default=str(REPO.parent / "shared" / "data" / "demo" / "bag.avi"))
    ap.add_argument("--box-file", default=str(REPO.parent / "shared" / "data" / "demo" / "bag_init_box.txt"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch and OpenCV threads (default: their choice); 1 gives stable per-core figures on a busy machine")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
        cv2.setNumThreads(args.threads)

    frames = load_frames(Path(args.video), args.frames)
    box = [float(v) for v in Path(args.box_file).read_text().replace(",", " ").split()[:4]]
    specs = [s.strip() for s in args.trackers.split(",") if s.strip()]
    peak = matmul_gflops()
    conv_peak = conv_gflops()
    rows = run_interleaved(specs, frames, box, args.device)
    peak = max(peak, matmul_gflops())  # measured before and after: the better of the two
    conv_peak = max(conv_peak, conv_gflops())
    base = next((r for r in rows if r["tracker"] == "hrom-w18"), None)

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    print(f"# hrom tracking speed, {datetime.date.today().isoformat()}: {cpu}, {torch.get_num_threads()} torch threads, "
          f"torch {torch.__version__}, OpenCV {cv2.__version__}, {len(frames)} frames of {Path(args.video).name} "
          f"({frames[0].shape[1]}x{frames[0].shape[0]}), device {args.device}, load average {os.getloadavg()[0]:.1f}")
    print(f"# float32 matmul (4096x4096 torch.mm): {peak:.1f} GFLOP/s; 3x3 conv 256->256 @64x64 (oneDNN): {conv_peak:.1f} GFLOP/s")
    print("| tracker | init (ms) | median per frame (ms) | fps | x hrom-w18 speed | search GFLOPs | achieved GFLOP/s | % of matmul | % of conv |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = f"{r['fps'] / base['fps']:.2f}" if base else "-"
        g = r.get("gflops")
        gcols = (f"{r['search_gflop']:.2f} | {g:.1f} | {100 * g / peak:.0f}% | {100 * g / conv_peak:.0f}%") if g else "- | - | - | -"
        print(f"| {r['tracker']} | {r['init_ms']:.1f} | {r['frame_ms']:.1f} | {r['fps']:.1f} | {ratio} | {gcols} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
