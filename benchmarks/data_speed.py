"""Training-pair throughput: pairs/s of one worker, and of a DataLoader with several workers.

Uses ``<repo>/../shared/data/train`` (coco128 + got10k_uav) when present, else the synthetic
source.  Prints the figures; nothing is asserted (speed is machine dependent).

    python benchmarks/data_speed.py [--pairs 300] [--workers 2] [--cache]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
import torch  # noqa: E402

from hrom.data import DataConfig, SourceConfig, TrackingPairDataset, build_dataloader  # noqa: E402

TRAIN = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "train"


def sources() -> list[SourceConfig]:
    if (TRAIN / "coco128").is_dir() and (TRAIN / "got10k_uav").is_dir():
        return [
            SourceConfig(type="got10k", root=str(TRAIN / "got10k_uav")),
            SourceConfig(type="coco", root=str(TRAIN / "coco128")),
        ]
    print(f"{TRAIN} absent: using the synthetic source")
    return [SourceConfig(type="synthetic", num_sequences=32, num_frames=100)]


def per_worker(cfg: DataConfig, n: int, label: str) -> None:
    ds = TrackingPairDataset(cfg)
    ds[0]  # warm-up (imports, first decode)
    t = time.perf_counter()
    for i in range(n):
        ds[i]
    dt = time.perf_counter() - t
    print(f"{label:<40s} {n / dt:7.1f} pairs/s  ({1000 * dt / n:.1f} ms/pair, 1 process, 1 thread)")


def loader(cfg: DataConfig, workers: int, batch: int) -> None:
    ds = TrackingPairDataset(cfg)
    dl = build_dataloader(ds, batch_size=batch, workers=workers)
    it = iter(dl)
    next(it)  # worker start-up not counted
    t = time.perf_counter()
    n = 0
    for b in it:
        n += b["search"].shape[0]
    dt = time.perf_counter() - t
    print(f"{f'DataLoader, {workers} workers, batch {batch}':<40s} {n / dt:7.1f} pairs/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--cache", action="store_true", help="also time the on-disk crop cache (cold and warm)")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    cfg = DataConfig(sources=sources(), samples_per_epoch=args.pairs)
    print(f"cpu cores: {os.cpu_count()}, opencv {cv2.__version__}, torch {torch.__version__}")
    per_worker(cfg, args.pairs, "raw frames, full augmentation")
    if args.cache:
        with tempfile.TemporaryDirectory() as tmp:
            cached = DataConfig(sources=sources(), samples_per_epoch=args.pairs, cache_dir=tmp, crop_cache=True)
            per_worker(cached, args.pairs, "crop cache, cold (writes 511 crops)")
            per_worker(cached, args.pairs, "crop cache, warm")
    if args.workers > 0:
        loader(DataConfig(sources=sources(), samples_per_epoch=max(args.pairs, 4 * args.batch)), args.workers, args.batch)


if __name__ == "__main__":
    main()
