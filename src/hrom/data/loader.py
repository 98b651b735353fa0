"""The DataLoader of training: one sampler that shards, orders and resumes.

Sharding happens here and only here: the dataset is the same on every process (item
``(epoch, index)`` is a pure function of its seed, ``epoch`` and ``index``), and
:class:`ResumableDistributedSampler` gives each rank its own blocks of indices. Which items a
process reads at an iteration is a pure function of (seed, epoch, iteration, rank), so
processes see disjoint pairs and a resumed run reads exactly the batches the uninterrupted run
would have read, starting mid-epoch without loading the skipped batches. The sampler yields
``(epoch, index)`` keys, so loader workers, even persistent ones, need no epoch state.
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


class ResumableDistributedSampler(Sampler[tuple[int, int]]):
    """``(epoch, index)`` keys of one rank for one epoch, from ``start_iter`` on; move it with
    :meth:`set_epoch` (PyTorch's DistributedSampler convention) or :meth:`set_position`.

    A seeded permutation of ``range(dataset_len)`` (repeated when the epoch needs more items than
    the dataset holds) is cut into consecutive blocks of ``batch_size``; iteration ``i`` of rank
    ``r`` takes block ``i * world_size + r``.
    """

    def __init__(self, dataset_len: int, batch_size: int, iters_per_epoch: int, rank: int = 0,
                 world_size: int = 1, seed: int = 0, epoch: int = 0, start_iter: int = 0):
        if dataset_len < 1:
            raise HromError("the training dataset is empty")
        if not 0 <= rank < world_size:
            raise HromError(f"rank {rank} is outside world size {world_size}")
        self.dataset_len = dataset_len
        self.batch_size = batch_size
        self.iters_per_epoch = iters_per_epoch
        self.rank = rank
        self.world_size = world_size
        self.seed = seed
        self.epoch = epoch
        self.start_iter = start_iter
        self._order: torch.Tensor | None = None

    def set_position(self, epoch: int, start_iter: int = 0) -> None:
        if epoch != self.epoch:
            self._order = None
        self.epoch, self.start_iter = epoch, start_iter

    def set_epoch(self, epoch: int) -> None:
        self.set_position(epoch, 0)

    def _epoch_order(self) -> torch.Tensor:
        if self._order is None:
            need = self.iters_per_epoch * self.batch_size * self.world_size
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
            parts, have = [], 0
            while have < need:
                parts.append(torch.randperm(self.dataset_len, generator=g))
                have += self.dataset_len
            self._order = torch.cat(parts)[:need]
        return self._order

    def batch_indices(self, iteration: int) -> list[int]:
        """The dataset indices this rank reads at ``iteration`` of the epoch."""
        start = (iteration * self.world_size + self.rank) * self.batch_size
        return self._epoch_order()[start:start + self.batch_size].tolist()

    def __iter__(self):
        epoch = self.epoch
        for it in range(self.start_iter, self.iters_per_epoch):
            for i in self.batch_indices(it):
                yield epoch, i

    def __len__(self) -> int:
        return max(self.iters_per_epoch - self.start_iter, 0) * self.batch_size


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
    iters_per_epoch: int | None = None,
    pin_memory: bool | None = None,
    start_method: str = "forkserver",
) -> DataLoader:
    """Batches of this rank's pairs; ``loader.sampler.set_epoch(e)`` before each epoch (or
    ``set_position(e, iteration)`` to resume mid-epoch). ``hrom train`` uses exactly this.

    ``iters_per_epoch``: batches per rank per epoch (default: the dataset split evenly over the
    ranks, last partial batch dropped). Workers start with ``forkserver`` by default: forking a
    process whose OpenCV thread pool has been used (any crop in the main process) can deadlock
    OpenCV in the child.
    """
    if batch_size < 1 or workers < 0:
        raise HromError(f"batch_size must be >= 1 and workers >= 0 (got {batch_size}, {workers})")
    if iters_per_epoch is None:
        iters_per_epoch = len(dataset) // (batch_size * world_size)
    if iters_per_epoch < 1:
        raise HromError(f"{len(dataset)} samples per epoch make no batch of {batch_size} on each of {world_size} "
                        f"process(es); raise samples_per_epoch or lower batch_size")
    sampler = ResumableDistributedSampler(len(dataset), batch_size, iters_per_epoch, rank, world_size, seed)
    if pin_memory is None:
        pin_memory = torch.cuda.is_available()
    extra = {}
    if workers > 0:
        extra = dict(
            persistent_workers=True,
            prefetch_factor=4,
            multiprocessing_context=forkserver_context() if start_method == "forkserver"
            else multiprocessing.get_context(start_method),
            worker_init_fn=partial(seed_worker, seed=seed, rank=rank),
        )
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=workers, pin_memory=pin_memory,
                      drop_last=True, **extra)
