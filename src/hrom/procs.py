"""Process hygiene shared by every command: child processes that die with their parent, and the
number of PyTorch threads.

Workers (DataLoader workers, evaluation pools, ``hrom data prepare`` / ``hrom tune`` pools) call
:func:`die_with_parent` first thing, so a ``kill -9`` of the command does not leave them running.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM, parent: int | None = None) -> None:
    """Ask the kernel to send ``sig`` to this process when its parent exits (Linux only).

    If the parent is already gone, exit at once: ``parent`` is the pid the caller recorded when
    it started this process (a worker still importing when the command was killed has already
    been re-parented, possibly to a sub-reaper rather than pid 1). A no-op where ``prctl`` is not
    available.
    """
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid() if parent is None else parent
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - non-glibc platforms
        return
    if parent == 1 or os.getppid() != parent:
        os._exit(1)


def forkserver_context() -> multiprocessing.context.BaseContext:
    """The ``forkserver`` start method, with a server that dies with this process.

    Pool and DataLoader workers are children of the fork server, not of the command, so their own
    :func:`die_with_parent` only fires once the server is gone; the server itself would otherwise
    outlive a ``kill -9`` of the command for minutes.  (Takes effect if the server is not running yet.)
    """
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__", "hrom._orphan_guard"])
    return ctx


# Threads for `hrom track` / `hrom train` unless --threads says otherwise: one thread keeps its speed
# when other jobs share the cores, two collapse (tools/thread_speed.py; figures in the README).
DEFAULT_THREADS = 1

_requested_threads: int | None = None


def set_threads(n: int | None) -> None:
    """Use ``n`` threads for PyTorch's intra-op pool and OpenCV (None or 0: leave the defaults).

    ONNX Runtime sessions made afterwards read it back through :func:`requested_threads`.
    """
    global _requested_threads
    if not n:
        return
    import cv2
    import torch

    _requested_threads = int(n)
    torch.set_num_threads(int(n))
    cv2.setNumThreads(int(n))


def requested_threads() -> int | None:
    """The count last given to :func:`set_threads`, or None when it was never called."""
    return _requested_threads
