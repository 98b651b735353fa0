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
