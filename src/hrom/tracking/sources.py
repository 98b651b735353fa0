"""Frame sources for ``hrom track``: a video file, a folder of images or a glob pattern.

Folders and globs are sorted naturally (``2.jpg`` before ``10.jpg``).  Problems that can be
seen before tracking starts (missing path, no images, undecodable first frame, a file OpenCV
has no reader for) raise HromError at ``open_source``; a frame that fails to decode later
raises HromError naming the frame and file — never a silently skipped frame.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from hrom.errors import HromError

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm", ".jp2"}


def natural_key(path: str | Path) -> list:
    """Sort key treating digit runs as numbers: frame2 < frame10."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(path))]


class ImageSequence:
    """Frames from image files, in the given order."""

    def __init__(self, paths: list[Path], label: str):
        self.paths = paths
        self.label = label
        self.fps = 30.0
        bad = [p for p in paths if not cv2.haveImageReader(str(p))]
        if bad:
            i = paths.index(bad[0])
            raise HromError(f"{bad[0]}: not an image OpenCV can decode (frame {i} of {label})")
        self.first = self._read(0)

    def __len__(self) -> int:
        return len(self.paths)

    def _read(self, i: int) -> np.ndarray:
        img = cv2.imread(str(self.paths[i]), cv2.IMREAD_COLOR)
        if img is None:
            raise HromError(f"{self.paths[i]}: cannot decode image (frame {i} of {self.label}); no output written")
        return img

    def frames(self, start: int = 0) -> Iterator[np.ndarray]:
        for i in range(start, len(self.paths)):
            yield self.first if i == 0 else self._read(i)

    def frame_name(self, i: int) -> str:
        return str(self.paths[i])


class VideoSource:
    """Frames decoded by OpenCV from a video file."""

    def __init__(self, path: Path):
        self.path = path
        self.label = str(path)
        cap = cv2.VideoCapture(str(path))
        ok, first = cap.read() if cap.isOpened() else (False, None)
        if not ok or first is None:
            cap.release()
            raise HromError(f"{path}: cannot decode video (expected a video file OpenCV can read, an image folder or a glob)")
        self.first = first
        self.fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        if not (0 < self.fps < 1000):
            self.fps = 30.0
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self._count = n if n > 0 else None
        cap.release()

    def __len__(self) -> int:
        """Frame count from the container header (an estimate for some formats; 0 if unknown)."""
        return self._count or 0

    def frames(self, start: int = 0) -> Iterator[np.ndarray]:
        cap = cv2.VideoCapture(str(self.path))
        try:
            i = 0
            while True:
                ok, frame = cap.read()
                if not ok:
                    return
                if i >= start:
                    yield frame
                i += 1
        finally:
            cap.release()

    def frame_name(self, i: int) -> str:
        return f"{self.path} frame {i}"


def open_source(source: str | Path) -> ImageSequence | VideoSource:
    """The frame source named by ``source`` (video file, image folder or glob pattern)."""
    s = str(source)
    p = Path(s)
    if p.is_dir():
        paths = sorted((q for q in p.iterdir() if q.is_file() and q.suffix.lower() in IMAGE_EXTS), key=natural_key)
        if not paths:
            sub = [p / name for name in ("img", "color", "imgs", "images") if (p / name).is_dir()]
            hint = f"; did you mean {sub[0]}?" if sub else ""
            raise HromError(f"{p}: folder has no images ({', '.join(sorted(IMAGE_EXTS))}){hint}")
        return ImageSequence(paths, s)
    if p.is_file():
        if p.suffix.lower() in IMAGE_EXTS:
            return ImageSequence([p], s)
        return VideoSource(p)
    if glob.has_magic(s):
        paths = sorted((Path(q) for q in glob.glob(s) if Path(q).is_file()), key=natural_key)
        if not paths:
            raise HromError(f"{s}: the pattern matches no files (expected images, e.g. 'frames/*.jpg')")
        return ImageSequence(paths, s)
    raise HromError(f"{s}: no such file or folder (expected a video file, a folder of images or a glob pattern)")
