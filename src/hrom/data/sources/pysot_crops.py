"""pysot's pre-cropped training sets: ``crop511/<video>/<frame:06d>.<track>.x.jpg`` + ``train.json``.

Each crop is a 511x511 patch centred on the target, cut at the scale that maps the target's
context square (side ``s_z``, context 0.5) to 127 pixels; ``train.json`` keeps the boxes in
the ORIGINAL image.  Like pysot's training code we only use the box size: in the crop the
target is centred with size ``(w, h) * 127 / s_z``.  The crops then go through the same
crop/augmentation code as raw frames.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from hrom.data.tracks import TrackSet, TrackSetBuilder
from hrom.errors import HromError

from ._util import Selection, require_dir, require_file


def box_in_crop(w: float, h: float, crop_size: int = 511, exemplar_size: int = 127, context: float = 0.5):
    """(x, y, w, h) of an original ``w x h`` box inside its centred pysot crop."""
    pad = context * (w + h)
    s_z = math.sqrt((w + pad) * (h + pad))
    k = exemplar_size / s_z
    cw, ch = w * k, h * k
    centre = (crop_size - 1) / 2 + 0.5  # pixel-index centre -> edge coordinates
    return [centre - cw / 2, centre - ch / 2, cw, ch]


def _find_anno(root: Path, anno: str | Path | None) -> Path:
    if anno:
        return require_file(Path(anno), "a pysot train.json ({video: {track: {frame: [x1,y1,x2,y2]}}})")
    if (root / "train.json").is_file():
        return root / "train.json"
    jsons = sorted(root.glob("*.json"))
    if len(jsons) == 1:
        return jsons[0]
    found = ", ".join(p.name for p in jsons) or "none"
    raise HromError(f"{root / 'train.json'}: file not found (json files here: {found}); give the annotation file explicitly")


def read_pysot_crops(
    root: str | Path,
    anno: str | Path | None = None,
    name: str = "pysot",
    crop_size: int = 511,
    exemplar_size: int = 127,
    context: float = 0.5,
    select: Selection = Selection(),
) -> TrackSet:
    """``<root>/crop511/`` and ``<root>/train.json`` (or ``anno``) as made by pysot's par_crop.
    ``select``: video keys of ``train.json`` (or their last path component)."""
    root = Path(root)
    require_dir(root, "a pysot training folder with crop511/ and train.json")
    crops = require_dir(root / f"crop{crop_size}", f"pysot {crop_size}x{crop_size} crops")
    anno_path = _find_anno(root, anno)
    try:
        meta = json.loads(anno_path.read_text())
    except json.JSONDecodeError as exc:
        raise HromError(f"{anno_path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(meta, dict):
        raise HromError(f"{anno_path}: expected {{video: {{track: {{frame: [x1,y1,x2,y2]}}}}}}")
    builder = TrackSetBuilder(name)
    for video in sorted(meta):
        if not select(video, Path(video).name):
            continue
        tracks = meta[video]
        if not isinstance(tracks, dict):
            raise HromError(f"{anno_path}: video {video!r} should map track ids to frames")
        builder.begin_video(str(crops / video))
        for track in sorted(tracks):
            frames = tracks[track]
            if not isinstance(frames, dict):
                continue
            ids, boxes = [], []
            for frame, box in frames.items():
                if not str(frame).isdigit() or not isinstance(box, list):
                    continue
                if len(box) == 4:
                    w, h = box[2] - box[0], box[3] - box[1]
                elif len(box) == 2:
                    w, h = box
                else:
                    raise HromError(f"{anno_path}: {video}/{track}/{frame}: expected [x1,y1,x2,y2], got {box!r}")
                if not (w > 0 and h > 0):
                    continue
                ids.append(int(frame))
                boxes.append(box_in_crop(w, h, crop_size, exemplar_size, context))
            if ids:
                builder.add_track(f"{{:06d}}.{track}.x.jpg", ids, np.asarray(boxes), label=str(track))
    tracks = builder.build(str(anno_path))
    tracks.square_size = crop_size
    return tracks
