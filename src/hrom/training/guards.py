"""Safety of the training loop: a Ctrl-C that stops at an iteration boundary (so the saved
checkpoint is a consistent, resumable state), agreed on by every rank together with the
finiteness of the loss (so a diverged run stops before it can write a checkpoint that would
"track" garbage; the tensors themselves are checked by ``hrom.models.checkpoint.first_nonfinite``)."""

from __future__ import annotations

import signal
import threading

import torch

from hrom.training import distributed as dist_utils


class StopRequest:
    """While active, the first SIGINT only sets ``requested``; a second one interrupts at once.

    A no-op outside the main thread (Python only delivers signals there).
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def __enter__(self) -> "StopRequest":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        from tqdm import tqdm

        tqdm.write("[hrom train] Ctrl-C: stopping after this iteration and saving a resumable checkpoint "
                   "(press Ctrl-C again to stop without saving)")


def agree(loss_ok: bool | torch.Tensor, stop: bool, device: torch.device) -> tuple[bool, bool]:
    """``(every rank's loss is finite, some rank asked to stop)``: one tiny all-reduce under DDP so
    all ranks leave the loop at the same iteration; plain values for a single process."""
    if not dist_utils.is_distributed():
        return bool(loss_ok), stop
    flags = torch.tensor([0.0 if bool(loss_ok) else 1.0, 1.0 if stop else 0.0], device=device)
    dist_utils.max_across(flags)
    return flags[0].item() == 0.0, flags[1].item() > 0.0
