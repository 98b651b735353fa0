"""Video files with a per-frame box file: ``<root>/<name>.mp4`` + a box file found by name.

Box files (in ``anno`` or next to the video): ``<name>.txt`` with one ``x,y,w,h`` line per frame
(line ``i`` = frame ``i``; NaN / zero rows = absent), or a CSV with a header naming ``frame``,
``x``, ``y``, ``w``/``width``, ``h``/``height`` and optionally ``track``/``track_id``/``id``
(``<name>.csv``, ``<name>_LABELS.csv``, ``<name>_gt.txt``...).  A CSV with several boxes in one
frame and no track column is split into tracks by linking each box to the previous frame's box
it overlaps most.

Frames are read by decoding the video (OpenCV), so train from a crop cache (``hrom data prepare``)
rather than from the video itself: a random frame means seeking.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from hrom.data.tracks import VIDEO_FRAME_SEP, TrackSet, TrackSetBuilder, escape_pattern
from hrom.errors import HromError

from ._util import BadEntries, Selection, clip_box, read_boxes, require_dir

VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")
BOX_SUFFIXES = (".txt", ".csv", "_LABELS.csv", "_labels.csv", "_gt.txt", "_groundtruth.txt", ".groundtruth.txt")
_COLS = {"frame": ("frame", "frame_id", "frame_index"), "x": ("x", "xmin", "left"), "y": ("y", "ymin", "top"),
         "w": ("w", "width"), "h": ("h", "height"), "track": ("track", "track_id", "trackid", "id", "object_id")}


def find_box_file(video: Path, anno_dir: Path) -> Path | None:
    for folder in (anno_dir, video.parent):
        for suffix in BOX_SUFFIXES:
            p = folder / f"{video.stem}{suffix}"
            if p.is_file():
                return p
    return None


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(x2 - x1, 0.0) * max(y2 - y1, 0.0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter + 1e-12)


def link_tracks(rows: list[tuple[int, np.ndarray]], max_gap: int = 5) -> list[list[tuple[int, np.ndarray]]]:
    """Split (frame, box) rows of unknown identity into tracks: each box joins the track whose last
    box (at most ``max_gap`` frames back) it overlaps most (IoU > 0.1), else starts a new one."""
    tracks: list[list[tuple[int, np.ndarray]]] = []
    for frame in sorted({f for f, _ in rows}):
        taken: set[int] = set()
        for _, box in (r for r in rows if r[0] == frame):
            best, best_iou = -1, 0.1
            for k, tr in enumerate(tracks):
                if k in taken or frame - tr[-1][0] > max_gap or tr[-1][0] == frame:
                    continue
                iou = _iou(tr[-1][1], box)
                if iou > best_iou:
                    best, best_iou = k, iou
            if best < 0:
                tracks.append([])
                best = len(tracks) - 1
            tracks[best].append((frame, box))
            taken.add(best)
    return tracks


def read_box_table(path: Path) -> dict[str, list[tuple[int, np.ndarray]]]:
    """{track id: [(frame, x,y,w,h), ...]} from a box file (see module doc)."""
    first = path.read_text().lstrip().split("\n", 1)[0]
    if not any(c.isalpha() for c in first.replace("nan", "").replace("NaN", "")):
        boxes = read_boxes(path)
        return {"0": [(i, b) for i, b in enumerate(boxes)]}
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        header = {k.strip().lower(): k for k in reader.fieldnames or []}
        cols = {key: next((header[n] for n in names if n in header), None) for key, names in _COLS.items()}
        missing = [k for k in ("frame", "x", "y", "w", "h") if cols[k] is None]
        if missing:
            raise HromError(f"{path} line 1: header {first.strip()!r} lacks {', '.join(missing)}; "
                            "expected columns frame,x,y,width,height")
        per_track: dict[str, list[tuple[int, np.ndarray]]] = {}
        for lineno, row in enumerate(reader, start=2):
            try:
                frame = int(float(row[cols["frame"]]))
                box = np.asarray([float(row[cols[k]]) for k in ("x", "y", "w", "h")])
            except (TypeError, ValueError):
                raise HromError(f"{path} line {lineno}: expected numbers in frame,x,y,width,height") from None
            tid = row[cols["track"]].strip() if cols["track"] else ""
            per_track.setdefault(tid, []).append((frame, box))
    if "" in per_track:  # no identities: link boxes when a frame has several
        rows = per_track.pop("")
        if len({f for f, _ in rows}) == len(rows):
            per_track["0"] = rows
        else:
            per_track.update({str(k): tr for k, tr in enumerate(link_tracks(rows))})
    return per_track


def video_info(path: Path) -> tuple[int, int, int] | None:
    """(width, height, frame count) of a video OpenCV can open, else None."""
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            return None
        w, h, n = (int(cap.get(p)) for p in (cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT, cv2.CAP_PROP_FRAME_COUNT))
        return (w, h, n) if w > 0 and h > 0 else None
    finally:
        cap.release()


def read_videos(root: str | Path, anno: str | Path = "", name: str = "video", skip_bad: bool = False,
                select: Selection = Selection()) -> TrackSet:
    """Every video below ``root`` that has a box file (in ``anno`` or beside it)."""
    root = Path(root)
    require_dir(root, "a folder of videos with per-frame box files")
    anno_dir = Path(anno) if anno else root
    if anno:
        require_dir(anno_dir, "the folder of per-frame box files")
    videos = sorted(p for p in root.rglob("*") if p.suffix.lower() in VIDEO_EXTS and select(p.stem))
    if not videos:
        raise HromError(f"{root}: no video file ({', '.join(VIDEO_EXTS)})")
    bad = BadEntries(name, skip_bad)
    builder = TrackSetBuilder(name)
    for video in tqdm(videos, desc=f"reading {name}", unit="video", disable=None, leave=False):
        box_file = find_box_file(video, anno_dir)
        if box_file is None:
            continue  # an unannotated video is not a training video
        info = video_info(video)
        if info is None:
            bad(f"{video}: unreadable video (OpenCV cannot decode it); expected e.g. an H.264 .mp4")
            continue
        width, height, count = info
        table = read_box_table(box_file)
        builder.begin_video(str(video.parent))
        for tid, rows in sorted(table.items()):
            fids, boxes = [], []
            for frame, box in rows:
                if not (box[2] > 0 and box[3] > 0):
                    continue  # absent
                clipped = clip_box(box, width, height)
                if clipped is None or (count > 0 and frame >= count):
                    bad(f"{box_file}: frame {frame}: box {box.tolist()} outside the {width}x{height} video "
                        f"of {count} frames")
                    continue
                fids.append(frame)
                boxes.append(clipped)
            if fids:
                builder.add_track(escape_pattern(video.name) + VIDEO_FRAME_SEP + "{:d}", fids, np.asarray(boxes), label=tid)
    tracks = builder.build(str(root))
    tracks.skipped = bad.summary()
    return tracks
