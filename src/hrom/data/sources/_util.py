"""Small helpers shared by the dataset readers: checked paths, box files, bad-entry counting,
box clipping, image lookup. Text is turned into numbers by :mod:`hrom.annotations`."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from hrom.annotations import IMAGE_EXTS, number_lines
from hrom.data.tracks import escape_pattern
from hrom.errors import HromError


def require_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise HromError(f"{path}: directory not found; expected {what}")
    return path


def require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise HromError(f"{path}: file not found; expected {what}")
    return path


def read_boxes(path: Path) -> np.ndarray:
    """Rows of ``x,y,w,h`` (commas, tabs or spaces); ``NaN`` rows stay NaN (absent target); an
    empty file is no rows. A bad line is an error naming it (``path line N: ...``)."""
    rows = []
    for lineno, text, parts in number_lines(path):
        if len(parts) != 4:
            raise HromError(f"{path} line {lineno}: expected 4 numbers x,y,w,h, got {text!r}")
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            raise HromError(f"{path} line {lineno}: expected numbers x,y,w,h, got {text!r}") from None
    return np.asarray(rows, dtype=np.float64).reshape(-1, 4)


class BadEntries:
    """Bad annotation entries of one source: an error at the first one, or (``skip_bad``) a count.

    ``skip_bad`` is for the few broken entries of a large real set; the reader reports the count
    through :meth:`summary` so the training log says how much was dropped.
    """

    def __init__(self, source: str, skip_bad: bool):
        self.source, self.skip_bad = source, skip_bad
        self.count = 0
        self.first = ""

    def __call__(self, message: str) -> None:
        if not self.skip_bad:
            raise HromError(f"{message} (source {self.source}; set skip_bad: true to skip bad entries with a count)")
        self.count += 1
        self.first = self.first or message

    def summary(self) -> str:
        return f"{self.source}: skipped {self.count} bad entries (first: {self.first})" if self.count else ""


def clip_box(box, width: float, height: float) -> list[float] | None:
    """``x, y, w, h`` clipped to a ``width x height`` image, or None when the box is empty or
    less than half of it lies inside the image (a box *outside the image*: a wrong annotation)."""
    x, y, w, h = (float(v) for v in box)
    if not (w > 0 and h > 0) or not all(np.isfinite([x, y, w, h])):
        return None
    x1, y1 = max(x, 0.0), max(y, 0.0)
    x2, y2 = min(x + w, float(width)), min(y + h, float(height))
    if x2 <= x1 or y2 <= y1 or (x2 - x1) * (y2 - y1) < 0.5 * w * h:
        return None
    return [x1, y1, x2 - x1, y2 - y1]


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the image header alone (no decoding), None when unreadable."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, UnidentifiedImageError):
        return None


def find_image(folder: Path, stem: str) -> Path | None:
    """``folder/stem.<ext>`` for the first image extension that exists (any letter case)."""
    for ext in IMAGE_EXTS:
        for e in (ext, ext.upper()):
            p = folder / f"{stem}{e}"
            if p.is_file():
                return p
    return None


def numbered_pattern(names: list[str]) -> tuple[str, list[int]] | None:
    """(``prefix{:0Nd}suffix`` pattern, frame numbers) when every name is the same prefix, a
    number of one width and the same suffix, else None."""
    parts = [re.fullmatch(r"(.*?)(\d+)(\.[^.]+)", n) for n in names]
    if not parts or any(m is None for m in parts):
        return None
    prefix, digits, suffix = parts[0].groups()
    if any(m.group(1) != prefix or m.group(3) != suffix or len(m.group(2)) != len(digits) for m in parts):
        return None
    return f"{escape_pattern(prefix)}{{:0{len(digits)}d}}{escape_pattern(suffix)}", [int(m.group(2)) for m in parts]


class Selection:
    """Which sequences / videos / images of a source to use: ``include`` (empty: all) minus ``exclude``.
    Names are what the source calls them (sequence folder, video file stem, image file stem)."""

    def __init__(self, include=(), exclude=()):
        self.include, self.exclude = set(include), set(exclude)

    def __call__(self, *names: str) -> bool:
        if any(n in self.exclude for n in names):
            return False
        return not self.include or any(n in self.include for n in names)
