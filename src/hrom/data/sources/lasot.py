"""LaSOT training split: every sequence not named in ``testing_set.txt``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hrom.annotations import read_flags
from hrom.data.tracks import TrackSet, TrackSetBuilder
from hrom.errors import HromError

from ._util import Selection, read_boxes, require_dir, require_file


def read_lasot(root: str | Path, test_list: str | Path | None = None, name: str = "lasot",
               select: Selection = Selection()) -> TrackSet:
    """``<root>/<class>/<class>-<n>/img/00000001.jpg`` with ``groundtruth.txt``,
    ``full_occlusion.txt`` and ``out_of_view.txt``; frames occluded or out of view are skipped.

    ``test_list`` defaults to ``<root>/testing_set.txt`` (the official 280-sequence test split);
    ``select`` picks among the remaining sequence names (``airplane-1``, ...).
    """
    root = Path(root)
    require_dir(root, "the LaSOT root (<class>/<class>-<n>/img/...)")
    test_path = Path(test_list) if test_list else root / "testing_set.txt"
    require_file(test_path, "LaSOT's testing_set.txt (sequences to exclude from training)")
    test = {s.strip() for s in test_path.read_text().splitlines() if s.strip()}
    builder = TrackSetBuilder(name)
    classes = sorted(p for p in root.iterdir() if p.is_dir())
    for cls_dir in classes:
        for seq_dir in sorted(p for p in cls_dir.iterdir() if p.is_dir()):
            if seq_dir.name in test or not select(seq_dir.name) or not (seq_dir / "img").is_dir():
                continue
            gt_path = require_file(seq_dir / "groundtruth.txt", "one x,y,w,h line per frame")
            boxes = read_boxes(gt_path)
            valid = np.ones(len(boxes), dtype=bool)
            for label in ("full_occlusion.txt", "out_of_view.txt"):
                p = seq_dir / label
                if p.is_file():
                    valid &= read_flags(p, len(boxes), exact=True) == 0
            builder.begin_video(str(seq_dir / "img"))
            builder.add_track("{:08d}.jpg", np.arange(1, len(boxes) + 1), boxes, valid, label="0")
    if not builder.track_pattern:
        raise HromError(f"{root}: no LaSOT training sequence found (<class>/<class>-<n>/img with groundtruth.txt)")
    return builder.build(str(root))
