"""Which dataset items each process draws at each iteration: a pure function of
(seed, epoch, iteration, rank), so processes see disjoint pairs and a resumed run reads exactly
the batches the uninterrupted run would have read — starting mid-epoch without loading the
skipped batches.

The sampler yields ``(epoch, index)`` keys (the convention of ``hrom.data``), so loader workers,
even persistent ones, need no epoch state; the dataset must make item ``(e, i)`` depend only on
(its seed, e, i) — not on which worker produced it — for resumed runs to be bit-identical.
"""

from __future__ import annotations

import torch
from torch.utils.data import Sampler


class ResumableDistributedSampler(Sampler[tuple[int, int]]):
    """``(epoch, index)`` keys of one rank for one epoch, from ``start_iter`` on; change
    ``epoch`` / ``start_iter`` with :meth:`set_position` between passes.

    A seeded permutation of ``range(dataset_len)`` (repeated when the epoch needs more items than
    the dataset holds) is cut into consecutive blocks of ``batch_size``; iteration ``i`` of rank
    ``r`` takes block ``i * world_size + r``.
    """

    def __init__(self, dataset_len: int, batch_size: int, iters_per_epoch: int, rank: int = 0,
                 world_size: int = 1, seed: int = 0, epoch: int = 0, start_iter: int = 0):
        if dataset_len < 1:
            raise ValueError("dataset is empty")
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
