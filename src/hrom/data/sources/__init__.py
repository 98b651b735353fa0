"""Readers of the training datasets, each returning a :class:`~hrom.data.tracks.TrackSet`.

``load_source`` dispatches on ``SourceConfig.type`` and, with a cache folder, keeps the parsed
annotation index as ``<cache>/index-<name>-<hash>.npz`` so large sources (VID: ~1M XML files)
are parsed once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

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


def _read(src: SourceConfig) -> TrackSet:
    name = src.label
    common = dict(name=name, skip_bad=src.skip_bad, select=Selection(src.include, src.exclude))
    if src.type == "coco":
        return read_coco(src.root, src.split or "train2017", images=src.images, anno=src.anno, **common)
    if src.type == "voc":
        return read_voc(src.root, images=src.images, **common)
    if src.type == "yolo":
        return read_yolo(src.root, src.split, **common)
    if src.type == "masks":
        return read_masks(src.root, **common)
    if src.type == "sequences":
        return read_sequences(src.root, **common)
    if src.type == "video":
        return read_videos(src.root, src.anno, **common)
    if src.type == "vid":
        return read_imagenet_vid(src.root, src.split or "train", name=name)
    if src.type == "det":
        return read_imagenet_det(src.root, src.split or "train", name=name)
    if src.type == "got10k":
        return read_got10k(src.root, src.split or "train", name=name)
    if src.type == "lasot":
        return read_lasot(src.root, src.anno or None, name=name)
    if src.type == "pysot":
        return read_pysot_crops(src.root, src.anno or None, name=name)
    if src.type == "synthetic":
        from hrom.data.synthetic import SyntheticSpec, synthetic_source

        return synthetic_source(SyntheticSpec(num_sequences=src.num_sequences, num_frames=src.num_frames), name)
    raise HromError(f"source {name}: unknown type {src.type!r}")


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
