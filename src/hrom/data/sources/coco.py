"""COCO detection annotations as one-frame tracks (one per non-crowd object)."""

from __future__ import annotations

import json
from pathlib import Path

from hrom.data.tracks import TrackSet, TrackSetBuilder, escape_pattern
from hrom.errors import HromError

from ._util import require_dir, require_file


def read_coco(root: str | Path, split: str = "train2017", name: str = "coco") -> TrackSet:
    """``<root>/annotations/instances_<split>.json`` + images in ``<root>/<split>/``.

    Crowd regions (``iscrowd=1``) and boxes with zero width or height are skipped.
    """
    root = Path(root)
    require_dir(root, "the COCO root (with annotations/ and the image folder)")
    split = split or "train2017"
    anno = require_file(root / "annotations" / f"instances_{split}.json", "COCO instance annotations")
    images = require_dir(root / split, f"the COCO image folder for split {split!r}")
    try:
        data = json.loads(anno.read_text())
    except json.JSONDecodeError as exc:
        raise HromError(f"{anno}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or "images" not in data or "annotations" not in data:
        raise HromError(f"{anno}: expected a COCO instances file with 'images' and 'annotations'")
    files = {img["id"]: img["file_name"] for img in data["images"]}
    per_image: dict[int, list[dict]] = {}
    for ann in data["annotations"]:
        if ann.get("iscrowd", 0):
            continue
        per_image.setdefault(ann["image_id"], []).append(ann)
    builder = TrackSetBuilder(name)
    for image_id in sorted(per_image):
        if image_id not in files:
            raise HromError(f"{anno}: annotation refers to image id {image_id} that is not in 'images'")
        builder.begin_video(str(images))
        pattern = escape_pattern(files[image_id])
        for ann in per_image[image_id]:
            builder.add_track(pattern, [0], [ann["bbox"]], label=str(ann.get("id", "")))
    return builder.build(str(anno))
