"""Any training source's tracks as a GOT-10k-layout folder of sequences, for evaluation.

``<out>/<seq>/00000001.jpg ...`` + ``groundtruth.txt`` + ``<out>/list.txt``, which ``hrom eval
--benchmark got10k_val --root <out>`` scores.  This is how a validation split is held out of
training data: export the held-out sequences here and leave them out of training with the
source's ``exclude`` list.  A sequence is a track's annotated frames (every ``frame_step``-th):
frames where the target is absent are left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from hrom.data.config import SourceConfig
from hrom.data.sources import load_source
from hrom.data.tracks import VIDEO_FRAME_SEP
from hrom.errors import HromError
from hrom.io import atomic_write_text


def export_sequences(src: SourceConfig, out: str | Path, frame_step: int = 1, min_frames: int = 10,
                     max_frames: int = 0) -> list[str]:
    """Write every track with at least ``min_frames`` kept frames; returns the sequence names."""
    tracks = load_source(src)
    out = Path(out)
    names = []
    for t in range(len(tracks)):
        idx = list(range(0, tracks.track_length(t), frame_step))
        if max_frames:
            idx = idx[:max_frames]
        if len(idx) < min_frames:
            continue
        video = Path(tracks.video_dirs[tracks.track_video[t]])
        first = tracks.frame_path(t, 0)
        if VIDEO_FRAME_SEP in first:
            stem = Path(first.rpartition(VIDEO_FRAME_SEP)[0]).stem
        else:
            stem = video.parent.name if video.name.lower() in ("img", "imgs", "images", "frames") else video.name
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{src.label}_{stem}_{tracks.track_labels[t] if tracks.track_labels else t}")
        seq = out / name
        seq.mkdir(parents=True, exist_ok=True)
        boxes = []
        for k, j in enumerate(idx):
            image = tracks.read_image(tracks.frame_path(t, j))
            if not cv2.imwrite(str(seq / f"{k + 1:08d}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 95]):
                raise HromError(f"{seq}: cannot write frame {k + 1}")
            boxes.append(tracks.frame_box(t, j))
        atomic_write_text(seq / "groundtruth.txt", "".join(",".join(f"{v:.2f}" for v in b) + "\n" for b in np.asarray(boxes)))
        names.append(name)
    if not names:
        raise HromError(f"source {src.label}: no track with {min_frames} frames or more to export")
    return names


def write_list(out: str | Path) -> list[str]:
    """(Re)write ``<out>/list.txt`` from the sequence folders present."""
    out = Path(out)
    names = sorted(p.name for p in out.iterdir() if (p / "groundtruth.txt").is_file())
    atomic_write_text(out / "list.txt", "".join(n + "\n" for n in names))
    return names
