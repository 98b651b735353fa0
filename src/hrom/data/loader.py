"""DataLoader for :class:`TrackingPairDataset`: several seeded workers, epoch-aware sampler.

The sampler runs in the main process and yields ``(epoch, index)`` keys read from the
dataset's ``epoch`` at the start of each pass, so ``dataset.set_epoch(e)`` takes effect even
with persistent workers (whose dataset copies never see the main process's attribute).
"""

from __future__ import annotations

import multiprocessing
import random
from functools import partial

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler

from hrom.errors import HromError
from hrom.procs import forkserver_context


class EpochPairSampler(Sampler):
    """Yields ``(dataset.epoch, i)`` for ``i`` in ``range(len(dataset))``, in order.

    Order does not matter for randomness: each item is already a random pair.
    """

    def __init__(self, dataset):
        self.dataset = dataset

    def __iter__(self):
        epoch = int(self.dataset.epoch)
        return iter([(epoch, i) for i in range(len(self.dataset))])

    def __len__(self) -> int:
        return len(self.dataset)


def seed_worker(worker_id: int, seed: int = 0, rank: int = 0) -> None:
    """Seed numpy / random / torch per (seed, rank, worker) and keep OpenCV / torch single-threaded.

    Also: exit when the parent dies (no orphans after ``kill -9``) and ignore Ctrl-C, which the
    main process handles (training saves a checkpoint first, and needs its workers meanwhile).
    """
    import signal

    import cv2

    from hrom.procs import die_with_parent

    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ss = np.random.SeedSequence([seed, rank, worker_id])
    np.random.seed(ss.generate_state(1)[0])
    random.seed(int(ss.generate_state(1, dtype=np.uint64)[0]))
    torch.manual_seed(int(ss.generate_state(1, dtype=np.uint64)[0]) & 0x7FFFFFFFFFFFFFFF)
    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def build_dataloader(
    dataset,
    batch_size: int,
    workers: int = 4,
    rank: int = 0,
    world_size: int = 1,
    seed: int = 0,
    drop_last: bool = True,
    pin_memory: bool | None = None,
    start_method: str = "forkserver",
) -> DataLoader:
    """Batches of pairs for one rank; call ``dataset.set_epoch(e)`` before each epoch.

    Workers start with ``forkserver`` by default: forking a process whose OpenCV thread pool
    has been used (any crop in the main process) can deadlock OpenCV in the child.
    """
    if getattr(dataset, "rank", rank) != rank or getattr(dataset, "world_size", world_size) != world_size:
        raise HromError(
            f"dataset was built for rank {dataset.rank}/{dataset.world_size} but the loader for {rank}/{world_size}"
        )
    if batch_size < 1 or workers < 0:
        raise HromError(f"batch_size must be >= 1 and workers >= 0 (got {batch_size}, {workers})")
    if pin_memory is None:
        pin_memory = torch.cuda.is_available()
    extra = {}
    if workers > 0:
        extra = dict(
            persistent_workers=True,
            prefetch_factor=4,
            multiprocessing_context=forkserver_context() if start_method == "forkserver"
            else multiprocessing.get_context(start_method),
        )
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=EpochPairSampler(dataset),
        num_workers=workers,
        pin_memory=pin_memory,
        drop_last=drop_last,
        worker_init_fn=partial(seed_worker, seed=seed, rank=rank),
        **extra,
    )
