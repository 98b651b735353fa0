"""Readers of the training datasets, each returning a :class:`~hrom.data.tracks.TrackSet`.

``load_source`` reads a ``SourceConfig`` with the reader ``READERS[type]`` (every real source
honours ``include`` / ``exclude``) and, with a cache folder, keeps the parsed
annotation index as ``<cache>/index-<name>-<hash>.npz`` so large sources (VID: ~1M XML files)
are parsed once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

from hrom.data.config import SourceConfig
from hrom.data.tracks import TrackSet
from hrom.errors import HromError

from ._util import Selection
from .coco import read_coco
from .got10k import read_got10k
from .imagenet import read_imagenet_det, read_imagenet_vid
from .lasot import read_lasot
from .masks import read_masks
from .pysot_crops import box_in_crop, read_pysot_crops
from .sequences import read_sequences
from .video import read_videos
from .voc import read_voc
from .yolo import read_yolo

__all__ = [
    "READERS",
    "box_in_crop",
    "load_source",
    "read_coco",
    "read_got10k",
    "read_imagenet_det",
    "read_imagenet_vid",
    "read_lasot",
    "read_masks",
    "read_pysot_crops",
    "read_sequences",
    "read_videos",
    "read_voc",
    "read_yolo",
]


def _synthetic(src: SourceConfig, select: Selection) -> TrackSet:
    from hrom.data.synthetic import SyntheticSpec, synthetic_source

    return synthetic_source(SyntheticSpec(num_sequences=src.num_sequences, num_frames=src.num_frames), src.label)


# type -> reader(src, selection): the one table of training formats (SOURCE_TYPES names the same keys;
# skip_bad goes to the SKIP_BAD_TYPES readers only, DataConfig.validate refuses it elsewhere).
READERS: dict[str, Callable[[SourceConfig, Selection], TrackSet]] = {
    "coco": lambda src, sel: read_coco(src.root, src.split or "train2017", images=src.images, anno=src.anno,
                                       name=src.label, select=sel, skip_bad=src.skip_bad),
    "voc": lambda src, sel: read_voc(src.root, images=src.images, name=src.label, select=sel, skip_bad=src.skip_bad),
    "yolo": lambda src, sel: read_yolo(src.root, src.split, name=src.label, select=sel, skip_bad=src.skip_bad),
    "masks": lambda src, sel: read_masks(src.root, name=src.label, select=sel, skip_bad=src.skip_bad),
    "sequences": lambda src, sel: read_sequences(src.root, name=src.label, select=sel, skip_bad=src.skip_bad),
    "video": lambda src, sel: read_videos(src.root, src.anno, name=src.label, select=sel, skip_bad=src.skip_bad),
    "vid": lambda src, sel: read_imagenet_vid(src.root, src.split or "train", name=src.label, select=sel),
    "det": lambda src, sel: read_imagenet_det(src.root, src.split or "train", name=src.label, select=sel),
    "got10k": lambda src, sel: read_got10k(src.root, src.split or "train", name=src.label, select=sel),
    "lasot": lambda src, sel: read_lasot(src.root, src.anno or None, name=src.label, select=sel),
    "pysot": lambda src, sel: read_pysot_crops(src.root, src.anno or None, name=src.label, select=sel),
    "synthetic": _synthetic,
}


def _read(src: SourceConfig) -> TrackSet:
    try:
        reader = READERS[src.type]
    except KeyError:
        raise HromError(f"source {src.label}: unknown type {src.type!r}; expected one of {', '.join(READERS)}") from None
    return reader(src, Selection(src.include, src.exclude))


def load_source(src: SourceConfig, cache_dir: str | Path | None = None) -> TrackSet:
    """The tracks of one configured source (from the index cache when one matches)."""
    if not cache_dir or src.type in ("synthetic", "pysot"):
        return _read(src)
    root = Path(src.root).resolve()
    key = hashlib.sha1(f"{src.type}|{root}|{src.split}|{src.anno}|{src.images}|{src.skip_bad}|{sorted(src.include)}|{sorted(src.exclude)}"
                       .encode()).hexdigest()[:12]
    path = Path(cache_dir) / f"index-{src.label}-{key}.npz"
    if path.is_file() and root.exists() and path.stat().st_mtime >= root.stat().st_mtime:
        tracks = TrackSet.load(path)
        tracks.name = src.label
        return tracks
    tracks = _read(src)
    tracks.save(path)
    return tracks
