"""PASCAL VOC XML detection sets (``JPEGImages`` + ``Annotations``): each object a one-frame track.

The same XML is ImageNet DET's and VID's (see :mod:`.imagenet`); this reader takes the plain VOC
layout most detection sets use, including ``VOC2007/``-style nesting and the ``images`` /
``annotations`` spelling of small exports.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import NamedTuple

from tqdm import tqdm

from hrom.data.tracks import TrackSet, TrackSetBuilder, escape_pattern
from hrom.errors import HromError

from ._util import BadEntries, Selection, clip_box, find_image, image_size, require_dir

IMAGE_DIRS = ("jpegimages", "images", "imgs", "frames")
ANNO_DIRS = ("annotations", "xml", "labels")


class VocAnnotation(NamedTuple):
    filename: str
    width: int  # 0 when the XML has no usable <size>
    height: int
    objects: list[tuple[str, list[float]]]  # (trackid or '', [x, y, w, h])


def parse_voc(path: Path) -> VocAnnotation:
    """One VOC XML file; boxes become ``x, y, w, h`` (``xmax - xmin`` wide, VOC's own rule)."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise HromError(f"{path}: not valid XML ({exc})") from None
    objects = []
    for i, obj in enumerate(root.iter("object")):
        bb = obj.find("bndbox")
        if bb is None:
            continue
        try:
            x1, y1, x2, y2 = (float(bb.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
        except (TypeError, ValueError):
            raise HromError(f"{path}: object {i + 1}: <bndbox> needs numeric xmin, ymin, xmax, ymax") from None
        objects.append(((obj.findtext("trackid") or "").strip(), [x1, y1, x2 - x1, y2 - y1]))

    def dim(key: str) -> int:
        try:
            return int(float(root.findtext(f"size/{key}") or 0))
        except ValueError:
            return 0

    return VocAnnotation(root.findtext("filename") or "", dim("width"), dim("height"), objects)


def _child(root: Path, names: tuple[str, ...]) -> Path | None:
    """The first sub-folder of ``root`` whose lower-cased name is in ``names`` (in that order)."""
    subs = {p.name.lower(): p for p in sorted(root.iterdir()) if p.is_dir()} if root.is_dir() else {}
    return next((subs[n] for n in names if n in subs), None)


def voc_layout(root: Path, images: str = "") -> tuple[Path, Path]:
    """(annotation folder, image folder) of a VOC root, also one level down (``VOC2007/``)."""
    require_dir(root, "a VOC folder with JPEGImages/ and Annotations/")
    for base in [root] + sorted(p for p in root.iterdir() if p.is_dir()):
        anno = _child(base, ANNO_DIRS[:2])
        imgs = Path(images) if images else _child(base, IMAGE_DIRS)
        if anno is not None and imgs is not None and any(anno.glob("*.xml")):
            return anno, imgs
    raise HromError(f"{root}: no Annotations/*.xml next to a JPEGImages/ (or images/) folder; "
                    "expected a PASCAL VOC layout")


def read_voc(root: str | Path, name: str = "voc", images: str = "", skip_bad: bool = False,
             select: Selection = Selection()) -> TrackSet:
    """Every object of every ``Annotations/<stem>.xml`` whose image ``<images>/<stem>.<ext>`` exists.

    Bad entries (missing image, box outside the image, an XML with no object) raise one error
    naming the file, or are counted and skipped with ``skip_bad``.
    """
    anno_dir, image_dir = voc_layout(Path(root), images)
    bad = BadEntries(name, skip_bad)
    builder = TrackSetBuilder(name)
    for xml in tqdm(sorted(anno_dir.glob("*.xml")), desc=f"reading {name}", unit="xml", disable=None, leave=False):
        if not select(xml.stem):
            continue
        ann = parse_voc(xml)
        image = find_image(image_dir, xml.stem) or (image_dir / ann.filename if ann.filename else None)
        if image is None or not image.is_file():
            bad(f"{xml}: image {xml.stem}.jpg not found in {image_dir}")
            continue
        if not ann.objects:
            bad(f"{xml}: no <object> with a <bndbox>; expected at least one box")
            continue
        size = (ann.width, ann.height) if ann.width > 0 and ann.height > 0 else image_size(image)
        if size is None:
            bad(f"{image}: not a readable image (annotated by {xml})")
            continue
        builder.begin_video(str(image_dir))
        for i, (_, box) in enumerate(ann.objects):
            clipped = clip_box(box, *size)
            if clipped is None:
                bad(f"{xml}: object {i + 1}: box {box} is empty or outside the {size[0]}x{size[1]} image")
                continue
            builder.add_track(escape_pattern(image.name), [0], [clipped], label=str(i))
    tracks = builder.build(str(anno_dir))
    tracks.skipped = bad.summary()
    return tracks
