"""Shared fixtures: the real data next to the repository, and a small seeded model."""

from __future__ import annotations

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
