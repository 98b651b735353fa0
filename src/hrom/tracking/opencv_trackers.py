"""OpenCV trackers with the hrom interface: the baselines a user would pick instead of HROM.

KCF, CSRT and MIL are classical (opencv-contrib); Nano (NanoTrack v2) and Vit are small trained
networks run by OpenCV's DNN module, whose ONNX weights hrom does not ship: they are read from
the folder of :func:`default_peers_dir` (or the ``peers_dir`` argument).  They run on the CPU.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from hrom.errors import HromError
from hrom.tracking.base import Tracker
from hrom.tracking.frames import to_bgr

OPENCV_TRACKERS = ("kcf", "csrt", "mil", "nano", "vit")
NANO_FILES = ("nanotrack_v2/nanotrack_backbone_sim.onnx", "nanotrack_v2/nanotrack_head_sim.onnx")
VIT_FILE = "vittrack/vitTracker.onnx"


def default_peers_dir() -> Path:
    """Where Nano / Vit weights are looked for: ``$HROM_PEERS_DIR`` if set; else, when hrom runs
    from a source checkout (``<repo>/src/hrom``), ``<repo>/../shared/peers``; else the user data
    folder ``$XDG_DATA_HOME/hrom/peers`` (``~/.local/share/hrom/peers``)."""
    env = os.environ.get("HROM_PEERS_DIR")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[3]
    if (repo / "pyproject.toml").is_file() and (repo / "src" / "hrom").is_dir():
        return repo.parent / "shared" / "peers"
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data) / "hrom" / "peers"


def _weight(path: Path, what: str) -> str:
    if not path.is_file():
        raise HromError(f"{path}: {what} weights not found (expected this ONNX file; pass peers_dir= or set HROM_PEERS_DIR)")
    return str(path)


def _make(kind: str, peers_dir: Path | None):
    if kind == "kcf":
        return cv2.TrackerKCF.create()
    if kind == "csrt":
        return cv2.TrackerCSRT.create()
    if kind == "mil":
        return cv2.TrackerMIL.create()
    peers = Path(peers_dir) if peers_dir is not None else default_peers_dir()
    if kind == "nano":
        p = cv2.TrackerNano_Params()
        p.backbone = _weight(peers / NANO_FILES[0], "NanoTrack v2 backbone")
        p.neckhead = _weight(peers / NANO_FILES[1], "NanoTrack v2 neck/head")
        return cv2.TrackerNano.create(p)
    if kind == "vit":
        p = cv2.TrackerVit_Params()
        p.net = _weight(peers / VIT_FILE, "ViT tracker")
        return cv2.TrackerVit.create(p)
    raise HromError(f"unknown OpenCV tracker {kind!r}; available: {', '.join(OPENCV_TRACKERS)}")


def _cv_rect(box: Sequence[float], width: int, height: int) -> tuple[int, int, int, int]:
    """Integer rectangle of ``box`` intersected with the frame (OpenCV trackers need one inside)."""
    x0 = int(round(max(0.0, box[0])))
    y0 = int(round(max(0.0, box[1])))
    x1 = int(round(min(float(width), box[0] + box[2])))
    y1 = int(round(min(float(height), box[1] + box[3])))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


class OpenCVTracker(Tracker):
    """One of cv2's trackers.  ``score``: the network's confidence for Nano/Vit, NaN for the
    classical ones; ``ok`` is False when OpenCV reports a failure (the last box is then kept)."""

    def __init__(self, kind: str, peers_dir: str | Path | None = None, rgb: bool = False):
        kind = kind.lower()
        super().__init__(name=f"opencv-{kind}", rgb=rgb)
        self.kind = kind
        self.peers_dir = peers_dir
        self._cv = _make(kind, peers_dir)  # fail early on a missing weight file
        self.ok = True
        self._fresh = True

    def _init(self, frame: np.ndarray, order: str, box: np.ndarray) -> None:
        if not self._fresh:  # OpenCV trackers keep state: start a new one per video
            self._cv = _make(self.kind, self.peers_dir)
        self._fresh = False
        img = to_bgr(frame, order)
        self._cv.init(img, _cv_rect(box, img.shape[1], img.shape[0]))
        self._last = [float(v) for v in box]
        self.ok = True

    def _update(self, frame: np.ndarray, order: str) -> Sequence[float]:
        ok, rect = self._cv.update(to_bgr(frame, order))
        self.ok = bool(ok)
        if hasattr(self._cv, "getTrackingScore"):
            self.score = float(self._cv.getTrackingScore())
        else:
            self.score = float("nan")
        if ok and rect[2] > 0 and rect[3] > 0:
            self._last = [float(v) for v in rect]
        return self._last
