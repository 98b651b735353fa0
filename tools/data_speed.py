"""Training-pair throughput: pairs/s of one worker, and of a DataLoader with several workers.

Uses ``<repo>/../shared/data/train`` (coco128 + got10k_uav) when present, else the synthetic
source.  Prints the figures; nothing is asserted (speed is machine dependent).

    python tools/data_speed.py [--pairs 300] [--workers 2] [--cache]
    python tools/data_speed.py --prepared configs/extra/prepare_video.yaml --crops data_local/crops

``--prepared``: for each source of a ``hrom data prepare`` config whose crop cache exists under
``--crops``, pairs/s of training from its raw frames (decoding images or video) against pairs/s
from the cache (the ``pysot`` source over ``<crops>/<name>``), measured in the same run.
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


def per_worker(cfg: DataConfig, n: int, label: str) -> float:
    ds = TrackingPairDataset(cfg)
    ds[0]  # warm-up (imports, first decode)
    t = time.perf_counter()
    for i in range(n):
        ds[i]
    dt = time.perf_counter() - t
    print(f"{label:<40s} {n / dt:7.1f} pairs/s  ({1000 * dt / n:.1f} ms/pair, 1 process, 1 thread)")
    return n / dt


def raw_vs_cache(prepare_config: str, crops: Path, n: int) -> None:
    """Raw frames against the crop cache, source by source (same pairs count, same process)."""
    from hrom.config import load_config
    from hrom.data.prepare import PrepareConfig

    cfg = load_config(PrepareConfig, prepare_config)
    rows = []
    for src in cfg.sources:
        cache = crops / src.label
        if not (cache / "train.json").is_file():
            print(f"{src.label}: no crop cache at {cache} (hrom data prepare first); skipped")
            continue
        raw = per_worker(DataConfig(sources=[src], samples_per_epoch=n), n, f"{src.label}: raw {src.type}")
        cached = per_worker(DataConfig(sources=[SourceConfig(type="pysot", name=src.label, root=str(cache))],
                                       samples_per_epoch=n), n, f"{src.label}: crop cache")
        rows.append((src.label, src.type, raw, cached))
    print(f"\n| source | raw type | raw pairs/s | cache pairs/s | cache / raw |\n|---|---|---|---|---|")
    for label, kind, raw, cached in rows:
        print(f"| {label} | {kind} | {raw:.1f} | {cached:.1f} | {cached / raw:.1f}x |")


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
    ap.add_argument("--prepared", metavar="PREPARE_YAML", help="raw frames vs hrom data prepare's crop cache, per source")
    ap.add_argument("--crops", default="data_local/crops", help="--out of hrom data prepare (with --prepared)")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    if args.prepared:
        raw_vs_cache(args.prepared, Path(args.crops), args.pairs)
        return
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
