"""Video segmentation masks as boxes: DAVIS (``JPEGImages/480p/<seq>/00000.jpg`` +
``Annotations/480p/<seq>/00000.png``) and YouTube-VOS (``JPEGImages/<seq>/`` + ``Annotations/<seq>/``).

A mask pixel's value is its object id (0 = background; DAVIS-2016's binary masks use 255, DAVIS-2017
and YouTube-VOS palette indices), so each id is one track and its box is the extent of its pixels.
A frame whose mask lacks the id (empty mask) is a frame where that object is absent.  Frames
without a mask file (YouTube-VOS annotates every 5th) are simply not part of the tracks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from hrom.data.tracks import TrackSet, TrackSetBuilder
from hrom.errors import HromError

from ._util import BadEntries, Selection, find_image, require_dir


def read_mask(path: Path) -> np.ndarray | None:
    """The mask as a 2-D array of object ids (palette indices kept as indices), None if unreadable."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            if im.mode not in ("P", "L", "1", "I", "I;16"):
                im = im.convert("L")
            return np.asarray(im)
    except (OSError, UnidentifiedImageError):
        return None


def mask_boxes(mask: np.ndarray) -> dict[int, list[float]]:
    """{object id: [x, y, w, h]} of every non-zero id (box edges enclose the outermost pixels)."""
    out = {}
    for oid in np.unique(mask):
        if oid == 0:
            continue
        ys, xs = np.nonzero(mask == oid)
        out[int(oid)] = [float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)]
    return out


def _layout(root: Path) -> tuple[Path, Path]:
    require_dir(root, "a DAVIS / YouTube-VOS folder with JPEGImages/ and Annotations/")
    imgs, annos = root / "JPEGImages", root / "Annotations"
    if not (imgs.is_dir() and annos.is_dir()):
        raise HromError(f"{root}: expected JPEGImages/ and Annotations/ (DAVIS or YouTube-VOS layout)")
    for res in ("480p", "Full-Resolution", "1080p"):
        if (imgs / res).is_dir() and (annos / res).is_dir():
            return imgs / res, annos / res
    return imgs, annos


def read_masks(root: str | Path, name: str = "masks", skip_bad: bool = False,
               select: Selection = Selection()) -> TrackSet:
    """One video per sequence folder of ``Annotations``, one track per object id."""
    image_root, anno_root = _layout(Path(root))
    bad = BadEntries(name, skip_bad)
    builder = TrackSetBuilder(name)
    seqs = sorted(p for p in anno_root.iterdir() if p.is_dir() and select(p.name))
    for seq in tqdm(seqs, desc=f"reading {name}", unit="seq", disable=None, leave=False):
        frames: dict[int, dict[int, list[float]]] = {}
        width = 0
        for png in sorted(seq.glob("*.png")):
            if not png.stem.isdigit():
                bad(f"{png}: expected a numbered mask like 00000.png")
                continue
            image = find_image(image_root / seq.name, png.stem)
            if image is None:
                bad(f"{png}: no frame {png.stem}.jpg in {image_root / seq.name}")
                continue
            mask = read_mask(png)
            if mask is None:
                bad(f"{png}: not a readable mask image")
                continue
            width = width or len(png.stem)
            frames[int(png.stem)] = mask_boxes(mask)
        ids = sorted({oid for boxes in frames.values() for oid in boxes})
        if not ids:
            continue
        builder.begin_video(str(image_root / seq.name))
        fids = np.asarray(sorted(frames))
        for oid in ids:
            boxes = np.asarray([frames[f].get(oid, [np.nan] * 4) for f in fids])
            builder.add_track(f"{{:0{width}d}}.jpg", fids, boxes, label=str(oid))
    tracks = builder.build(str(anno_root))
    tracks.skipped = bad.summary()
    return tracks
