"""Small helpers shared by the dataset readers: checked paths and tolerant text tables."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from hrom.errors import HromError

_SPLIT = re.compile(r"[,\s;]+")


def require_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise HromError(f"{path}: directory not found; expected {what}")
    return path


def require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise HromError(f"{path}: file not found; expected {what}")
    return path


def read_boxes(path: Path, n_cols: int = 4) -> np.ndarray:
    """Rows of ``x,y,w,h`` (commas, tabs or spaces); ``NaN`` rows stay NaN (absent target)."""
    rows = []
    for i, line in enumerate(path.read_text().splitlines()):
        line = line.strip()
        if not line:
            continue
        parts = [p for p in _SPLIT.split(line) if p]
        if len(parts) != n_cols:
            raise HromError(f"{path} line {i + 1}: expected {n_cols} numbers x,y,w,h, got {line!r}")
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            raise HromError(f"{path} line {i + 1}: expected numbers x,y,w,h, got {line!r}") from None
    return np.asarray(rows, dtype=np.float64).reshape(-1, n_cols)


def read_flags(path: Path) -> np.ndarray:
    """Integers one per line or comma separated on one line (absence/cover/occlusion labels)."""
    text = path.read_text().strip()
    if not text:
        return np.zeros(0, dtype=np.int64)
    try:
        return np.asarray([int(float(p)) for p in _SPLIT.split(text) if p], dtype=np.int64)
    except ValueError:
        raise HromError(f"{path}: expected integers (one per frame)") from None


def check_length(flags: np.ndarray, n: int, path: Path, gt: Path) -> np.ndarray:
    if len(flags) != n:
        raise HromError(f"{path}: {len(flags)} values but {gt} has {n} boxes; expected one per frame")
    return flags
