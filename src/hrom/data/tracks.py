"""The uniform representation every training source is read into: tracks of valid frames.

A *track* is one object followed through one video (a static image is a one-frame track).
It holds only the frames where the object is visible with a positive-size box, so samplers
never see absent / occluded / empty annotations.  A *video* groups the tracks that share
frames (several objects in one ImageNet VID snippet or one COCO image), so a sampler can pick
videos uniformly first, as SiamRPN++ does.

Large datasets (COCO: ~860k objects, VID: ~1M frames) are held in flat numpy arrays rather
than one Python object per frame: fast to pickle into DataLoader workers, cheap to save as an
index cache, and no copy-on-write blow-up from reference counts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from hrom.errors import HromError
from hrom.io import atomic_write

INDEX_VERSION = 1
VIDEO_FRAME_SEP = "::"  # a frame of a video file: "<video path>::<frame index>"


class VideoFrames:
    """Frames of video files by index, keeping the last video open so sequential reads do not seek."""

    def __init__(self):
        self.path = ""
        self.cap = None
        self.pos = -1

    def read(self, path: str, index: int) -> np.ndarray | None:
        if path != self.path:
            if self.cap is not None:
                self.cap.release()
            self.cap, self.path, self.pos = cv2.VideoCapture(path), path, 0
        if not self.cap.isOpened():
            return None
        if self.pos < 0 or index < self.pos or index - self.pos > 64:
            self.cap.set(cv2.CAP_PROP_POS_FRAMES, index)  # a seek decodes from the last key frame
        else:
            for _ in range(index - self.pos):  # a short step forward: decode without converting
                self.cap.grab()
        ok, frame = self.cap.read()
        self.pos = index + 1 if ok else -1
        return frame if ok else None


_VIDEOS = VideoFrames()


def read_frame(path: str) -> np.ndarray | None:
    """A BGR image file, or a frame ``<video>::<index>`` of a video file; None when unreadable."""
    if VIDEO_FRAME_SEP in path and not os.path.exists(path):
        video, _, index = path.rpartition(VIDEO_FRAME_SEP)
        if index.isdigit():
            return _VIDEOS.read(video, int(index))
    return cv2.imread(path, cv2.IMREAD_COLOR)


@dataclass(frozen=True)
class Track:
    """One object in one video: image paths and (x, y, w, h) boxes of its valid frames."""

    name: str
    frames: list[str]
    boxes: np.ndarray  # (N, 4) float32, x, y, w, h (top-left corner, size; pixel-edge units)
    frame_ids: np.ndarray  # (N,) int64 frame numbers as in the file names (used for frame ranges)

    def __len__(self) -> int:
        return len(self.frames)


def escape_pattern(name: str) -> str:
    """A literal file name usable as a ``str.format`` pattern (braces doubled)."""
    return name.replace("{", "{{").replace("}", "}}")


class TrackSet:
    """All tracks of one source, stored flat.  ``ts[i]`` gives a :class:`Track`."""

    def __init__(
        self,
        name: str,
        video_dirs: list[str],
        video_track_start: np.ndarray,
        patterns: list[str],
        track_pattern: np.ndarray,
        track_frame_start: np.ndarray,
        frame_ids: np.ndarray,
        boxes: np.ndarray,
        track_labels: list[str] | None = None,
    ):
        self.name = name
        self.video_dirs = list(video_dirs)
        self.video_track_start = np.asarray(video_track_start, dtype=np.int64)
        self.patterns = list(patterns)
        self.track_pattern = np.asarray(track_pattern, dtype=np.int32)
        self.track_frame_start = np.asarray(track_frame_start, dtype=np.int64)
        self.frame_ids = np.asarray(frame_ids, dtype=np.int64)
        self.boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
        self.track_labels = list(track_labels) if track_labels is not None else None
        self.skipped = ""  # what the reader dropped as bad entries (skip_bad), for the training log
        self.square_size = 0  # >0: every frame must be a square image of this side (pysot crops)
        self.track_video = np.repeat(
            np.arange(len(self.video_dirs), dtype=np.int64), np.diff(self.video_track_start)
        )

    # -- sizes ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.track_pattern)

    @property
    def num_videos(self) -> int:
        return len(self.video_dirs)

    @property
    def num_frames(self) -> int:
        return len(self.frame_ids)

    def track_length(self, t: int) -> int:
        return int(self.track_frame_start[t + 1] - self.track_frame_start[t])

    def video_tracks(self, v: int) -> range:
        return range(int(self.video_track_start[v]), int(self.video_track_start[v + 1]))

    # -- access --------------------------------------------------------------------------
    def frame_path(self, t: int, j: int) -> str:
        """Image path of the ``j``-th valid frame of track ``t``."""
        fid = int(self.frame_ids[self.track_frame_start[t] + j])
        pattern = self.patterns[self.track_pattern[t]]
        return os.path.join(self.video_dirs[self.track_video[t]], pattern.format(fid))

    def frame_box(self, t: int, j: int) -> np.ndarray:
        return self.boxes[self.track_frame_start[t] + j].copy()

    def track_frame_ids(self, t: int) -> np.ndarray:
        return self.frame_ids[self.track_frame_start[t] : self.track_frame_start[t + 1]]

    def track_name(self, t: int) -> str:
        label = self.track_labels[t] if self.track_labels is not None else str(t - self.video_track_start[self.track_video[t]])
        return f"{self.video_dirs[self.track_video[t]]}#{label}"

    def __getitem__(self, t: int) -> Track:
        if not 0 <= t < len(self):
            raise IndexError(t)
        s, e = self.track_frame_start[t], self.track_frame_start[t + 1]
        return Track(
            name=self.track_name(t),
            frames=[self.frame_path(t, j) for j in range(e - s)],
            boxes=self.boxes[s:e].copy(),
            frame_ids=self.frame_ids[s:e].copy(),
        )

    def __iter__(self):
        return (self[t] for t in range(len(self)))

    def read_image(self, path: str) -> np.ndarray:
        """The frame at ``path`` as a BGR uint8 array (HromError when unreadable)."""
        img = read_frame(path)
        if img is None:
            what = "missing" if not os.path.exists(path) else "not a readable image"
            raise HromError(f"{path}: training frame {what} (source {self.name}); expected a JPEG/PNG image")
        if self.square_size and img.shape[:2] != (self.square_size, self.square_size):
            raise HromError(
                f"{path}: crop is {img.shape[1]}x{img.shape[0]}, expected {self.square_size}x{self.square_size} (pysot crop)"
            )
        return img

    def summary(self) -> str:
        return f"{self.name}: {self.num_videos} videos, {len(self)} tracks, {self.num_frames} frames"

    # -- index cache ---------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the index as .npz atomically (hrom.io)."""
        arrays = dict(
            version=np.int64(INDEX_VERSION),
            name=np.array(self.name),
            video_dirs=np.array(self.video_dirs, dtype=str),
            video_track_start=self.video_track_start,
            patterns=np.array(self.patterns, dtype=str),
            track_pattern=self.track_pattern,
            track_frame_start=self.track_frame_start,
            frame_ids=self.frame_ids,
            boxes=self.boxes,
            square_size=np.int64(self.square_size),
        )
        if self.track_labels is not None:
            arrays["track_labels"] = np.array(self.track_labels, dtype=str)

        def write(tmp: str) -> None:
            with open(tmp, "wb") as f:  # a file object: np.savez would add ".npz" to a name
                np.savez(f, **arrays)

        atomic_write(path, write)

    @classmethod
    def load(cls, path: str | Path) -> TrackSet:
        try:
            with np.load(path, allow_pickle=False) as z:
                if int(z["version"]) != INDEX_VERSION:
                    raise HromError(f"{path}: index cache version {int(z['version'])}, expected {INDEX_VERSION}")
                labels = [str(s) for s in z["track_labels"]] if "track_labels" in z.files else None
                ts = cls(
                    name=str(z["name"]),
                    video_dirs=[str(s) for s in z["video_dirs"]],
                    video_track_start=z["video_track_start"],
                    patterns=[str(s) for s in z["patterns"]],
                    track_pattern=z["track_pattern"],
                    track_frame_start=z["track_frame_start"],
                    frame_ids=z["frame_ids"],
                    boxes=z["boxes"],
                    track_labels=labels,
                )
                ts.square_size = int(z["square_size"])
                return ts
        except (OSError, KeyError, ValueError) as exc:
            raise HromError(f"{path}: unreadable index cache ({exc}); delete it to rebuild") from None


class TrackSetBuilder:
    """Collects videos and their tracks, dropping frames whose boxes are not usable."""

    def __init__(self, name: str):
        self.name = name
        self.video_dirs: list[str] = []
        self.video_track_start: list[int] = [0]
        self.patterns: list[str] = []
        self._pattern_index: dict[str, int] = {}
        self.track_pattern: list[int] = []
        self.track_labels: list[str] = []
        self.track_frame_start: list[int] = [0]
        self.frame_ids: list[np.ndarray] = []
        self.boxes: list[np.ndarray] = []
        self._n_frames = 0
        self._open_video: str | None = None
        self._open_tracks = 0

    def begin_video(self, directory: str) -> None:
        self._close_video()
        self._open_video = directory
        self._open_tracks = 0

    def add_track(self, pattern: str, frame_ids, boxes, valid=None, label: str = "") -> bool:
        """Add a track of frames ``pattern.format(frame_id)`` in the current video.

        Frames whose box is non-finite, has w <= 0 or h <= 0, or whose ``valid`` flag is False
        are dropped; a track left with no frame is not added (returns False).
        """
        if self._open_video is None:
            raise RuntimeError("begin_video() first")
        fids = np.asarray(frame_ids, dtype=np.int64).reshape(-1)
        b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        keep = np.isfinite(b).all(axis=1) & (b[:, 2] > 0) & (b[:, 3] > 0)
        if valid is not None:
            keep &= np.asarray(valid, dtype=bool).reshape(-1)
        if not keep.any():
            return False
        fids, b = fids[keep], b[keep]
        order = np.argsort(fids, kind="stable")
        fids, b = fids[order], b[order]
        idx = self._pattern_index.get(pattern)
        if idx is None:
            idx = self._pattern_index[pattern] = len(self.patterns)
            self.patterns.append(pattern)
        self.track_pattern.append(idx)
        self.track_labels.append(label or str(self._open_tracks))
        self.frame_ids.append(fids)
        self.boxes.append(b.astype(np.float32))
        self._n_frames += len(fids)
        self.track_frame_start.append(self._n_frames)
        self._open_tracks += 1
        return True

    def _close_video(self) -> None:
        if self._open_video is not None and self._open_tracks > 0:
            self.video_dirs.append(self._open_video)
            self.video_track_start.append(len(self.track_pattern))
        self._open_video = None
        self._open_tracks = 0

    def build(self, where: str) -> TrackSet:
        self._close_video()
        if not self.track_pattern:
            raise HromError(f"{where}: no usable annotated object found (all boxes empty, absent or crowd)")
        return TrackSet(
            name=self.name,
            video_dirs=self.video_dirs,
            video_track_start=np.asarray(self.video_track_start),
            patterns=self.patterns,
            track_pattern=np.asarray(self.track_pattern),
            track_frame_start=np.asarray(self.track_frame_start),
            frame_ids=np.concatenate(self.frame_ids),
            boxes=np.concatenate(self.boxes),
            track_labels=self.track_labels,
        )
