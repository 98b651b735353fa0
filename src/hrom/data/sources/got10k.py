"""GOT-10k train split: ``list.txt``, per-sequence ``groundtruth.txt`` and visibility labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from hrom.annotations import read_flags
from hrom.data.tracks import TrackSet, TrackSetBuilder
from hrom.errors import HromError

from ._util import Selection, read_boxes, require_dir, require_file


def _split_dir(root: Path, split: str) -> Path:
    """Accept either the GOT-10k root (holding ``<split>/``) or the split folder itself."""
    if (root / split / "list.txt").is_file():
        return root / split
    if (root / "list.txt").is_file():
        return root
    raise HromError(f"{root}: no {split}/list.txt or list.txt; expected the GOT-10k root or its {split} folder")


def read_got10k(root: str | Path, split: str = "train", name: str = "got10k", select: Selection = Selection()) -> TrackSet:
    """Frames ``<seq>/00000001.jpg``; a frame is used when its box is finite with w, h > 0,
    ``absence.label`` is 0 and ``cover.label`` (when present) is above 0.  ``select``: which
    sequence names of ``list.txt`` to read."""
    root = Path(root)
    require_dir(root, "the GOT-10k root (with train/list.txt)")
    base = _split_dir(root, split or "train")
    names = [s.strip() for s in (base / "list.txt").read_text().splitlines() if s.strip()]
    if not names:
        raise HromError(f"{base / 'list.txt'}: empty; expected one sequence name per line")
    names = [n for n in names if select(n)]
    if not names:
        raise HromError(f"{base / 'list.txt'}: include / exclude leave no sequence of source {name}")
    builder = TrackSetBuilder(name)
    for seq in tqdm(names, desc=f"reading {name}", unit="seq", disable=None, leave=False):
        seq_dir = require_dir(base / seq, f"sequence {seq} listed in {base / 'list.txt'}")
        gt_path = require_file(seq_dir / "groundtruth.txt", "one x,y,w,h line per frame")
        boxes = read_boxes(gt_path)
        valid = np.ones(len(boxes), dtype=bool)
        absence = seq_dir / "absence.label"
        if absence.is_file():
            valid &= read_flags(absence, len(boxes), exact=True) == 0
        cover = seq_dir / "cover.label"
        if cover.is_file():
            valid &= read_flags(cover, len(boxes), exact=True) > 0
        builder.begin_video(str(seq_dir))
        builder.add_track("{:08d}.jpg", np.arange(1, len(boxes) + 1), boxes, valid, label="0")
    return builder.build(str(base))
