"""YOLO text labels: ``images/<split>/<name>.jpg`` + ``labels/<split>/<name>.txt``.

Each label line is ``class cx cy w h`` normalised to the image size (Ultralytics / Darknet
convention); each box becomes a one-frame track.  Images without a label file are background
images and are skipped; an empty label file is a bad entry (it usually means a failed export).
"""

from __future__ import annotations

import os
from pathlib import Path

from tqdm import tqdm

from hrom.annotations import is_image, number_lines
from hrom.data.tracks import TrackSet, TrackSetBuilder, escape_pattern
from hrom.errors import HromError

from ._util import BadEntries, Selection, clip_box, image_size, require_dir


def _layout(root: Path, split: str) -> tuple[Path, Path]:
    """(image folder, label folder) for ``root`` = the folder holding ``images/`` and ``labels/``."""
    require_dir(root, "a YOLO folder with images/ and labels/")
    for base in (root, *sorted(p for p in root.iterdir() if p.is_dir())):
        if (base / "images").is_dir() and (base / "labels").is_dir():
            imgs, labels = base / "images", base / "labels"
            if split:
                return require_dir(imgs / split, f"YOLO images of split {split!r}"), labels / split
            return imgs, labels
    raise HromError(f"{root}: no images/ and labels/ folders side by side; expected the YOLO layout "
                    "images/<split>/x.jpg + labels/<split>/x.txt")


def read_yolo(root: str | Path, split: str = "", name: str = "yolo", skip_bad: bool = False,
              select: Selection = Selection()) -> TrackSet:
    """All labelled images below ``images/[<split>/]`` (sub-folders included)."""
    image_root, label_root = _layout(Path(root), split)
    bad = BadEntries(name, skip_bad)
    builder = TrackSetBuilder(name)
    walk = sorted(os.walk(image_root))
    for dirpath, _, files in tqdm(walk, desc=f"reading {name}", unit="dir", disable=None, leave=False):
        rel = Path(dirpath).relative_to(image_root)
        for fname in sorted(f for f in files if is_image(f)):
            stem = Path(fname).stem
            label = label_root / rel / f"{stem}.txt"
            if not select(stem) or not label.is_file():
                continue
            image = Path(dirpath) / fname
            lines = list(number_lines(label))
            if not lines:
                bad(f"{label}: empty label file; expected 'class cx cy w h' lines (delete it for a background image)")
                continue
            size = image_size(image)
            if size is None:
                bad(f"{image}: not a readable image (labelled by {label})")
                continue
            W, H = size
            builder.begin_video(dirpath)
            for lineno, text, parts in lines:
                try:
                    cx, cy, w, h = (float(v) for v in parts[1:5])
                except ValueError:
                    bad(f"{label} line {lineno}: expected 'class cx cy w h' (normalised), got {text!r}")
                    continue
                box = [(cx - w / 2) * W, (cy - h / 2) * H, w * W, h * H]
                clipped = clip_box(box, W, H)
                if clipped is None:
                    bad(f"{label} line {lineno}: box {cx} {cy} {w} {h} is empty or outside the image "
                        "(expected values in 0..1)")
                    continue
                builder.add_track(escape_pattern(fname), [0], [clipped], label=str(lineno))
    tracks = builder.build(str(label_root))
    tracks.skipped = bad.summary()
    return tracks
