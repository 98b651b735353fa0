"""ImageNet VID and DET (ILSVRC2015) with PASCAL-VOC XML annotations."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from tqdm import tqdm

from hrom.data.tracks import TrackSet, TrackSetBuilder, escape_pattern
from hrom.errors import HromError

from ._util import Selection, require_dir
from .voc import parse_voc as _parse_voc


def _xml_dirs(anno_root: Path) -> list[tuple[Path, list[str]]]:
    """Every directory below ``anno_root`` holding XML files, sorted, with its sorted XML names."""
    out = []
    for dirpath, dirnames, filenames in os.walk(anno_root):
        dirnames.sort()
        xmls = sorted(f for f in filenames if f.endswith(".xml"))
        if xmls:
            out.append((Path(dirpath), xmls))
    out.sort(key=lambda item: str(item[0]))
    return out


def read_imagenet_vid(root: str | Path, split: str = "train", name: str = "vid", select: Selection = Selection()) -> TrackSet:
    """``<root>/Data/VID/<split>/[<batch>/]<snippet>/000000.JPEG`` + ``Annotations/VID/...`` XML.

    One track per (snippet, trackid); frames where the object is not annotated are simply
    absent from the track.  ``select``: snippet names (or their ``<batch>/<snippet>`` path).
    """
    root = Path(root)
    require_dir(root, "the ILSVRC2015 root (with Data/VID and Annotations/VID)")
    split = split or "train"
    anno_root = require_dir(root / "Annotations" / "VID" / split, "ImageNet VID XML annotations")
    data_root = require_dir(root / "Data" / "VID" / split, "ImageNet VID frames")
    builder = TrackSetBuilder(name)
    for xml_dir, xmls in tqdm(_xml_dirs(anno_root), desc=f"reading {name}", unit="snippet", disable=None, leave=False):
        rel = xml_dir.relative_to(anno_root)
        if not select(rel.name, rel.as_posix()):
            continue
        tracks: dict[str, tuple[list[int], list[list[float]]]] = {}
        for fname in xmls:
            stem = Path(fname).stem
            if not stem.isdigit():
                raise HromError(f"{xml_dir / fname}: expected a numbered frame annotation like 000000.xml")
            objects = _parse_voc(xml_dir / fname).objects
            for tid, box in objects:
                ids, boxes = tracks.setdefault(tid or "0", ([], []))
                ids.append(int(stem))
                boxes.append(box)
        if not tracks:
            continue
        width = len(Path(xmls[0]).stem)
        builder.begin_video(str(data_root / rel))
        for tid in sorted(tracks, key=lambda s: (len(s), s)):
            ids, boxes = tracks[tid]
            builder.add_track(f"{{:0{width}d}}.JPEG", ids, np.asarray(boxes), label=tid)
    return builder.build(str(anno_root))


def read_imagenet_det(root: str | Path, split: str = "train", name: str = "det", select: Selection = Selection()) -> TrackSet:
    """``<root>/Data/DET/<split>/.../<image>.JPEG`` + ``Annotations/DET/<split>/.../<image>.xml``.

    Each object is a one-frame track; images without objects are skipped.  ``select``: image
    file stems.
    """
    root = Path(root)
    require_dir(root, "the ILSVRC2015 root (with Data/DET and Annotations/DET)")
    split = split or "train"
    anno_root = require_dir(root / "Annotations" / "DET" / split, "ImageNet DET XML annotations")
    data_root = require_dir(root / "Data" / "DET" / split, "ImageNet DET images")
    builder = TrackSetBuilder(name)
    for xml_dir, xmls in tqdm(_xml_dirs(anno_root), desc=f"reading {name}", unit="dir", disable=None, leave=False):
        image_dir = str(data_root / xml_dir.relative_to(anno_root))
        for fname in xmls:
            if not select(Path(fname).stem):
                continue
            objects = _parse_voc(xml_dir / fname).objects
            if not objects:
                continue
            builder.begin_video(image_dir)
            pattern = escape_pattern(Path(fname).stem + ".JPEG")
            for i, (_, box) in enumerate(objects):
                builder.add_track(pattern, [0], [box], label=str(i))
    return builder.build(str(anno_root))
