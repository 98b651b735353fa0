"""Process-group handling: the same training code runs alone or under ``torchrun``.

torchrun sets RANK / WORLD_SIZE / LOCAL_RANK; without them the run is a single process and no
process group is created.  NCCL on CUDA, gloo on CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

from hrom.errors import HromError


@dataclass(frozen=True)
class DistEnv:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def detect_env() -> DistEnv:
    """Rank / world size from torchrun's environment variables (single process when unset)."""
    try:
        return DistEnv(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
                       int(os.environ.get("LOCAL_RANK", 0)))
    except ValueError:
        raise HromError("RANK / WORLD_SIZE / LOCAL_RANK must be integers (they are set by torchrun)") from None


def resolve_device(spec: str, env: DistEnv) -> torch.device:
    """'auto' -> CUDA when available else CPU; 'cuda' under torchrun -> cuda:LOCAL_RANK."""
    spec = spec.strip().lower()
    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(spec)
    except RuntimeError:
        raise HromError(f"device {spec!r}: expected auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise HromError(f"device {spec!r}: CUDA is not available on this machine; use device=cpu")
        if device.index is None:
            device = torch.device("cuda", env.local_rank if env.distributed else torch.cuda.current_device())
        if device.index >= torch.cuda.device_count():
            raise HromError(f"device {device}: only {torch.cuda.device_count()} CUDA device(s) visible")
    elif device.type != "cpu":
        raise HromError(f"device {spec!r}: expected auto, cpu, cuda or cuda:N")
    return device


def init(env: DistEnv, device: torch.device, timeout_minutes: int = 60) -> None:
    """Join the process group torchrun prepared (no-op for a single process)."""
    if not env.distributed or dist.is_initialized():
        return
    if device.type == "cuda":
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend=backend, timeout=timedelta(minutes=timeout_minutes))


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def mean_across(values: torch.Tensor) -> torch.Tensor:
    """Average a tensor over all processes (identity for one process)."""
    if dist.is_available() and dist.is_initialized():
        values = values.clone()
        dist.all_reduce(values)
        values /= dist.get_world_size()
    return values


def gather_objects(obj: Any) -> list[Any]:
    """One picklable object from every rank, in rank order (``[obj]`` for one process)."""
    if dist.is_available() and dist.is_initialized():
        out: list[Any] = [None] * dist.get_world_size()
        dist.all_gather_object(out, obj)
        return out
    return [obj]


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def max_across(values: torch.Tensor) -> torch.Tensor:
    """In-place maximum over all processes (unchanged for one process)."""
    if is_distributed():
        dist.all_reduce(values, op=dist.ReduceOp.MAX)
    return values
