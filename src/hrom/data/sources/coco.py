"""COCO json boxes: still images (one-frame tracks) or, with track ids, videos (MOT-style COCO).

Track ids are read from ``track_id`` / ``instance_id`` or CVAT's ``attributes.track_id``; images
are grouped into videos by ``video_id`` when present (TAO / YouTube-VIS style), otherwise the whole
file is one video, ordered by ``frame_index`` or image id.  Video frames must be one numbered
series of files (``000001.jpg`` ...).

A ``file_name`` that does not exist in the image folder is looked up by the name a Roboflow export
keeps before ``.rf.<hash>`` and then by its frame number (CVAT's ``frame_000012.png`` for
``000012.jpg``): exports rename files more often than they change them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from hrom.annotations import is_image
from hrom.data.tracks import TrackSet, TrackSetBuilder, escape_pattern
from hrom.errors import HromError

from ._util import BadEntries, Selection, clip_box, numbered_pattern, require_dir, require_file


class _FileResolver:
    """Maps a json ``file_name`` to a file of the image folder (see module doc)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._by_key: dict[str, str] | None = None
        self._by_num: dict[int, str] = {}

    @staticmethod
    def _rf_key(name: str) -> str:
        return Path(name).name.split(".rf.")[0]

    @staticmethod
    def _number(name: str) -> int | None:
        nums = re.findall(r"\d+", Path(name).stem)
        return int(nums[-1]) if nums else None

    def __call__(self, file_name: str) -> Path | None:
        p = self.folder / file_name
        if p.is_file():
            return p
        if self._by_key is None:
            files = sorted(f.name for f in self.folder.iterdir() if is_image(f.name))
            self._by_key = {self._rf_key(f): f for f in files if ".rf." in f}
            numbered = [f for f in files if re.fullmatch(r"\d+", Path(f).stem)]
            self._by_num = {int(Path(f).stem): f for f in numbered}
        hit = self._by_key.get(self._rf_key(file_name)) if ".rf." in file_name else None
        if hit is None and self._by_num:
            num = self._number(file_name)
            hit = self._by_num.get(num) if num is not None else None
        return self.folder / hit if hit else None


def _track_id(ann: dict):
    for key in ("track_id", "instance_id"):
        if key in ann:
            return ann[key]
    attrs = ann.get("attributes")
    return attrs.get("track_id") if isinstance(attrs, dict) else None


def read_coco(root: str | Path, split: str = "train2017", name: str = "coco", images: str = "",
              anno: str = "", skip_bad: bool = False, select: Selection = Selection()) -> TrackSet:
    """``<root>/annotations/instances_<split>.json`` (or ``anno``) + images in ``<root>/<split>/``
    (or ``images``).  Crowd regions (``iscrowd=1``) and empty boxes are skipped."""
    root = Path(root)
    require_dir(root, "the COCO root (with annotations/ and the image folder)")
    split = split or "train2017"
    anno_path = require_file(Path(anno) if anno else root / "annotations" / f"instances_{split}.json",
                             "COCO instance annotations")
    folder = require_dir(Path(images) if images else root / split, f"the COCO image folder for split {split!r}")
    try:
        data = json.loads(anno_path.read_text())
    except json.JSONDecodeError as exc:
        raise HromError(f"{anno_path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or "images" not in data or "annotations" not in data:
        raise HromError(f"{anno_path}: expected a COCO instances file with 'images' and 'annotations'")
    imgs = {img["id"]: img for img in data["images"]}
    anns = [a for a in data["annotations"] if not a.get("iscrowd", 0)]
    for a in anns:
        if a["image_id"] not in imgs:
            raise HromError(f"{anno_path}: annotation {a.get('id')} refers to image id {a['image_id']} that is not in 'images'")
    bad = BadEntries(name, skip_bad)
    resolve = _FileResolver(folder)
    tracked = bool(anns) and all(_track_id(a) is not None for a in anns)
    builder = TrackSetBuilder(name)

    def box_of(a: dict, img: dict) -> list[float] | None:
        box = a.get("bbox")
        if not (isinstance(box, list) and len(box) == 4):
            bad(f"{anno_path}: annotation {a.get('id')}: bbox {box!r}; expected [x, y, w, h]")
            return None
        W, H = img.get("width") or 0, img.get("height") or 0
        clipped = clip_box(box, W, H) if W and H else (box if box[2] > 0 and box[3] > 0 else None)
        if clipped is None and box[2] > 0 and box[3] > 0:
            bad(f"{anno_path}: annotation {a.get('id')}: bbox {box} outside the {W}x{H} image {img['file_name']}")
        return clipped

    if not tracked:
        per_image: dict[int, list[dict]] = {}
        for a in anns:
            per_image.setdefault(a["image_id"], []).append(a)
        for image_id in sorted(per_image):
            img = imgs[image_id]
            if not select(Path(img["file_name"]).stem):
                continue
            path = resolve(img["file_name"])
            if path is None:
                bad(f"{anno_path}: image {img['file_name']} (id {image_id}) not found in {folder}")
                continue
            builder.begin_video(str(path.parent))
            for a in per_image[image_id]:
                box = box_of(a, img)
                if box is not None:
                    builder.add_track(escape_pattern(path.name), [0], [box], label=str(a.get("id", "")))
    else:
        videos: dict = {}
        for img in imgs.values():
            videos.setdefault(img.get("video_id", 0), []).append(img)
        for vid in sorted(videos, key=str):
            frames = sorted(videos[vid], key=lambda im: (im.get("frame_index", im.get("frame_id", im["id"])), im["id"]))
            paths = [resolve(im["file_name"]) for im in frames]
            missing = [im["file_name"] for im, p in zip(frames, paths) if p is None]
            if missing:
                bad(f"{anno_path}: video {vid}: {len(missing)} frames not found in {folder} (first: {missing[0]})")
                continue
            numbered = numbered_pattern([p.name for p in paths])
            if numbered is None or len({p.parent for p in paths}) != 1:
                bad(f"{anno_path}: video {vid}: frame files are not one numbered series in one folder")
                continue
            if not select(str(vid)):
                continue
            pattern, numbers = numbered
            frame_of = {im["id"]: n for im, n in zip(frames, numbers)}
            per_track: dict = {}
            for a in anns:
                if a["image_id"] in frame_of:
                    box = box_of(a, imgs[a["image_id"]])
                    if box is not None:
                        per_track.setdefault(str(_track_id(a)), []).append((frame_of[a["image_id"]], box))
            builder.begin_video(str(paths[0].parent))
            for tid in sorted(per_track, key=lambda s: (len(s), s)):
                rows = sorted(per_track[tid])
                builder.add_track(pattern, [f for f, _ in rows], np.asarray([b for _, b in rows]), label=tid)
    tracks = builder.build(str(anno_path))
    tracks.skipped = bad.summary()
    return tracks
