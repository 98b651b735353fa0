"""Annotation text files, read the same way by every reader (benchmarks, training sources, results).

One definition each of: what separates numbers on a line (commas, semicolons, tabs, spaces),
how a file of number rows is read (boxes, polygons, attribute flags, result files), how a
per-frame label file is read (VOT tags, LaSOT occlusion, GOT-10k absence / cover), and which
file names are images. Readers keep their format's own rules (which files, what a row means);
this module only turns text into numbers, so a box file means the same thing everywhere.

Low level on purpose: numpy, the standard library and :mod:`hrom.errors` only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from hrom.errors import HromError

# Every image suffix a frame may have (lower case; compare with ``name.lower()``), in the
# order a missing suffix is tried.
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm", ".jp2")


def is_image(name: str | Path) -> bool:
    """Whether a file name has an image suffix (any letter case)."""
    return str(name).lower().endswith(IMAGE_EXTS)


def fields(text: str) -> list[str]:
    """The fields of a line (or a whole file): separated by commas, semicolons and white space."""
    return text.replace(",", " ").replace(";", " ").split()


def number_lines(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """``(line number, stripped line, fields)`` of every non-empty line (UTF-8; undecodable
    bytes become U+FFFD and then fail as numbers, naming their line)."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    for lineno, line in enumerate(text.splitlines(), 1):
        parts = fields(line)
        if parts:
            yield lineno, line.strip(), parts


def read_number_table(path: str | Path, widths: tuple[int, ...] = (4,), what: str = "x,y,w,h") -> np.ndarray:
    """An ``(N, k)`` float64 array from a file of number rows, ``k`` in ``widths`` and equal on
    every line (``NaN`` rows allowed). Errors name the file and the line (``path:line: ...``).
    The whole file is split and converted at once (result files are read by the thousand)."""
    path = Path(path)
    if not path.is_file():
        raise HromError(f"{path}: file not found; expected {what} per line")
    text = path.read_text(encoding="utf-8", errors="replace")
    spaced = text.replace(",", " ").replace(";", " ")
    counts = [(lineno, n) for lineno, n in enumerate(map(len, map(str.split, spaced.splitlines())), 1) if n]
    try:
        values = np.array(spaced.split(), dtype=np.float64)
    except ValueError:
        for lineno, line, parts in number_lines(path):  # name the first line that is not numbers
            try:
                [float(p) for p in parts]
            except ValueError:
                raise HromError(f"{path}:{lineno}: cannot read {line!r} as numbers; expected {what}") from None
        raise
    if not counts:
        raise HromError(f"{path}: empty; expected {what} per line")
    first, n = counts[0]
    if n not in widths:
        raise HromError(f"{path}:{first}: {n} values per line; expected {what} "
                        f"({' or '.join(map(str, widths))} values)")
    for lineno, k in counts:
        if k != n:
            raise HromError(f"{path}:{lineno}: {k} values; expected {n} like the first line")
    return values.reshape(-1, n)


def read_flags(path: str | Path, length: int, exact: bool = False) -> np.ndarray:
    """A per-frame label file (0/1 flags, GOT-10k cover levels): one value per line or all on one
    comma-separated line, as ``(length,)`` float64. A shorter file is padded with 0 (VOT tag files
    leave out trailing zeros) unless ``exact``, where the count must be ``length``."""
    path = Path(path)
    try:
        values = np.array(fields(path.read_text(encoding="utf-8", errors="replace")), dtype=np.float64)
    except ValueError:
        raise HromError(f"{path}: expected one number per frame (0/1 flags or label values)") from None
    if len(values) > length or (exact and len(values) != length):
        bound = "" if exact else "at most "
        raise HromError(f"{path}: {len(values)} values for {length} frames; expected {bound}one per frame")
    out = np.zeros(length, dtype=np.float64)
    out[: len(values)] = values
    return out
