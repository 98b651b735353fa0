"""A folder of tracking sequences, the way OTB / UAV123 / TColor copies and most users hold them:
``<root>/<seq>/img/*.jpg`` (or the images directly in ``<seq>/``) + ``groundtruth.txt`` or
``groundtruth_rect.txt`` with one ``x,y,w,h`` line per frame (commas, tabs or spaces).

Line ``i`` of the box file is the ``i``-th image in natural order.  A file with fewer lines than
images annotates the first frames (OTB's Diving, UAV's truck2); more lines than images is an
error.  ``NaN`` or zero-size rows are absent-target frames.
"""

from __future__ import annotations

import re
from pathlib import Path

from tqdm import tqdm

from hrom.annotations import is_image
from hrom.data.tracks import TrackSet, TrackSetBuilder
from hrom.errors import HromError

from ._util import BadEntries, Selection, numbered_pattern, read_boxes, require_dir

GT_NAMES = ("groundtruth.txt", "groundtruth_rect.txt")


def natural_key(name: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _sequence(seq: Path) -> tuple[Path, Path] | None:
    """(image folder, box file) of a sequence folder, None when it is not one."""
    gt = next((seq / n for n in GT_NAMES if (seq / n).is_file()), None)
    if gt is None:
        return None
    return (seq / "img" if (seq / "img").is_dir() else seq), gt


def read_sequences(root: str | Path, name: str = "sequences", skip_bad: bool = False,
                   select: Selection = Selection()) -> TrackSet:
    """Every sequence folder directly below ``root`` (or one level further, e.g. ``otb/<seq>``)."""
    root = Path(root)
    require_dir(root, "a folder of sequences <seq>/img/*.jpg + <seq>/groundtruth.txt")
    bad = BadEntries(name, skip_bad)
    found: list[tuple[str, Path, Path]] = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        inner = [d] if _sequence(d) else sorted(p for p in d.iterdir() if p.is_dir())
        for seq in inner:
            pair = _sequence(seq)
            rel = seq.relative_to(root).as_posix()
            if pair and select(seq.name, rel):
                found.append((rel, *pair))
    if not found:
        raise HromError(f"{root}: no sequence folder with {' or '.join(GT_NAMES)}; expected <seq>/img/*.jpg + <seq>/groundtruth.txt")
    builder = TrackSetBuilder(name)
    for rel, img_dir, gt in tqdm(found, desc=f"reading {name}", unit="seq", disable=None, leave=False):
        images = sorted((p.name for p in img_dir.iterdir() if is_image(p.name)), key=natural_key)
        boxes = read_boxes(gt)
        if len(boxes) > len(images) or not images:
            bad(f"{gt}: {len(boxes)} boxes but {len(images)} images in {img_dir}; expected one box per image")
            continue
        numbered = numbered_pattern(images[: len(boxes)])
        if numbered is None:
            bad(f"{img_dir}: image names are not one numbered series (like 0001.jpg, img00002.jpg)")
            continue
        builder.begin_video(str(img_dir))
        builder.add_track(numbered[0], numbered[1], boxes, label="0")
    tracks = builder.build(str(root))
    tracks.skipped = bad.summary()
    return tracks
