"""Frame sources for ``hrom track``: a video file, a folder of images or a glob pattern.

Folders and globs are sorted naturally (``2.jpg`` before ``10.jpg``).  Problems that can be
seen before tracking starts (missing path, no images, undecodable first frame, a file OpenCV
has no reader for) raise HromError at ``open_source``; a frame that fails to decode later
raises HromError naming the frame and file — never a silently skipped frame, nor the grey frame
libjpeg makes of a truncated JPEG (:func:`read_image`, for every loop that reads frame files).
"""

from __future__ import annotations

import glob
import re
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from hrom.annotations import IMAGE_EXTS
from hrom.errors import HromError



def truncation(data: bytes) -> str | None:
    """Why an encoded JPEG or PNG is cut short, or None when it is complete (or another format).

    libjpeg decodes a truncated JPEG as a grey lower part with only a warning on stderr, so
    completeness is checked on the bytes: a JPEG needs an end-of-image marker after its first
    scan (embedded EXIF thumbnails sit before it), a PNG its IEND chunk.
    """
    if data[:2] == b"\xff\xd8":
        pos = 2
        while pos + 4 <= len(data):  # walk the header segments up to the first scan
            if data[pos] != 0xFF:
                return None  # not the layout we know; let the decoder judge
            marker = data[pos + 1]
            if marker == 0xFF:
                pos += 1
                continue
            if marker == 0xDA:  # start of scan: the end marker must follow somewhere
                return None if data.find(b"\xff\xd9", pos) >= 0 else "no JPEG end-of-image marker"
            if marker == 0x01 or 0xD0 <= marker <= 0xD7:
                pos += 2
                continue
            pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        return "the JPEG ends inside its header"
    if data[:8] == b"\x89PNG\r\n\x1a\n" and b"IEND" not in data[-64:]:
        return "no PNG IEND chunk"
    return None


def read_image(path: str | Path, where: str) -> np.ndarray:
    """One frame as a BGR uint8 array; a missing, undecodable or truncated file is a HromError
    naming ``where`` (e.g. "frame 5 of Crossing/img") instead of a silently grey frame."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HromError(f"{path}: cannot read image ({where}): {exc.strerror or exc}") from None
    cut = truncation(data)
    if cut is not None:
        raise HromError(f"{path}: cannot decode image ({where}): the file is truncated ({cut})")
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    if img is None:
        raise HromError(f"{path}: cannot decode image ({where})")
    return img


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
        return read_image(self.paths[i], f"frame {i} of {self.label}")

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
