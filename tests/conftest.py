"""Shared fixtures: the real data next to the repository, a small seeded model, one torch thread,
and a folder nothing can be written to."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` (real sequences and peer weights); skips the test when it is absent."""
    if not (SHARED / "data").is_dir():
        pytest.skip(f"needs the real data folder {SHARED}/data next to the repository (absent on this machine)")
    return SHARED


@pytest.fixture()
def tiny_model():
    from hrom.models import build_model

    torch.manual_seed(0)
    return build_model("hrom-tiny").eval()


@pytest.fixture()
def one_torch_thread():
    """Small CPU trainings run fastest single-threaded on a shared 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture()
def readonly_dir(tmp_path) -> Path:
    """A folder nothing can be created in: chmod 555 for a normal user; root ignores file modes, so
    for root /proc (no regular files can be created there)."""
    if os.geteuid() != 0:
        d = tmp_path / "ro"
        d.mkdir()
        d.chmod(0o555)
        yield d
        d.chmod(0o755)
        return
    if not Path("/proc/self").is_dir():
        pytest.skip("running as root without /proc: no read-only folder to test with")
    yield Path("/proc")
