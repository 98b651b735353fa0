"""Generated training videos with exact boxes: a textured rectangle moving over a background.

Used by tests (crop geometry can be checked pixel by pixel because the box is exact and the
object's colours never occur in the background) and by demos / smoke trainings that must run
without any downloaded dataset.  Frames are rendered on demand from (seed, sequence, frame),
so nothing is written to disk unless :func:`write_got10k_layout` is asked to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from hrom.data.tracks import TrackSet, TrackSetBuilder
from hrom.errors import HromError

PREFIX = "synthetic:"


@dataclass(frozen=True)
class SyntheticSpec:
    num_sequences: int = 16
    num_frames: int = 60
    width: int = 320
    height: int = 240
    seed: int = 0


@dataclass(frozen=True)
class _Seq:
    w0: float
    h0: float
    x0: float
    y0: float
    vx: float
    vy: float
    phase: float
    period: float


def _params(spec: SyntheticSpec, s: int) -> _Seq:
    rng = np.random.default_rng([spec.seed, s, 1])
    w0 = rng.uniform(0.1, 0.25) * spec.width
    h0 = float(np.clip(w0 * rng.uniform(0.5, 2.0), 12, 0.4 * spec.height))
    return _Seq(
        w0=w0,
        h0=h0,
        x0=rng.uniform(0, 1),
        y0=rng.uniform(0, 1),
        vx=rng.uniform(2, 6) * rng.choice([-1, 1]),
        vy=rng.uniform(1, 4) * rng.choice([-1, 1]),
        phase=rng.uniform(0, 2 * np.pi),
        period=rng.uniform(20, 60),
    )


def _reflect(p: float, span: float) -> float:
    """Position bouncing between 0 and ``span`` (triangle wave)."""
    if span <= 0:
        return 0.0
    q = p % (2 * span)
    return q if q <= span else 2 * span - q


def sequence_boxes(spec: SyntheticSpec, s: int) -> np.ndarray:
    """(num_frames, 4) integer-valued x, y, w, h of sequence ``s`` (always inside the image)."""
    p = _params(spec, s)
    out = np.zeros((spec.num_frames, 4), dtype=np.float32)
    for f in range(spec.num_frames):
        k = 1.0 + 0.15 * np.sin(2 * np.pi * f / p.period + p.phase)
        w = max(4, int(round(p.w0 * k)))
        h = max(4, int(round(p.h0 * k)))
        x = _reflect(p.x0 * (spec.width - w) + p.vx * f, spec.width - w)
        y = _reflect(p.y0 * (spec.height - h) + p.vy * f, spec.height - h)
        out[f] = [int(round(x)), int(round(y)), w, h]
    return out


@lru_cache(maxsize=64)
def _background(spec: SyntheticSpec, s: int) -> np.ndarray:
    rng = np.random.default_rng([spec.seed, s, 2])
    coarse = rng.integers(20, 140, size=(6, 8, 3), dtype=np.uint8)
    bg = cv2.resize(coarse, (spec.width, spec.height), interpolation=cv2.INTER_CUBIC)
    fine = rng.integers(-12, 13, size=bg.shape)
    return np.clip(bg.astype(np.int16) + fine, 0, 150).astype(np.uint8)


@lru_cache(maxsize=64)
def _texture(spec: SyntheticSpec, s: int) -> np.ndarray:
    """A small checker pattern of two bright colours (channels >= 170, never in the background)."""
    rng = np.random.default_rng([spec.seed, s, 3])
    a, b = rng.integers(170, 256, size=(2, 3), dtype=np.uint8)
    cells = rng.integers(3, 7)
    yy, xx = np.mgrid[0:cells * 2, 0:cells * 2]
    checker = ((yy // 2 + xx // 2) % 2).astype(bool)
    return np.where(checker[..., None], a, b).astype(np.uint8)


def render_frame(spec: SyntheticSpec, s: int, f: int) -> np.ndarray:
    """BGR uint8 frame ``f`` of sequence ``s``: the object fills exactly its box."""
    if not (0 <= s < spec.num_sequences and 0 <= f < spec.num_frames):
        raise HromError(f"synthetic frame {s}/{f}: out of range ({spec.num_sequences} sequences x {spec.num_frames} frames)")
    img = _background(spec, s).copy()
    x, y, w, h = (int(v) for v in sequence_boxes(spec, s)[f])
    img[y : y + h, x : x + w] = cv2.resize(_texture(spec, s), (w, h), interpolation=cv2.INTER_NEAREST)
    return img


class SyntheticTrackSet(TrackSet):
    """Tracks whose 'paths' are ``synthetic:<seq>/<frame>``, rendered instead of read."""

    def __init__(self, spec: SyntheticSpec, name: str = "synthetic"):
        builder = TrackSetBuilder(name)
        for s in range(spec.num_sequences):
            builder.begin_video(f"{PREFIX}{s}")
            builder.add_track("{}", np.arange(spec.num_frames), sequence_boxes(spec, s), label="0")
        built = builder.build("synthetic source")
        super().__init__(
            built.name,
            built.video_dirs,
            built.video_track_start,
            built.patterns,
            built.track_pattern,
            built.track_frame_start,
            built.frame_ids,
            built.boxes,
            built.track_labels,
        )
        self.spec = spec

    def read_image(self, path: str) -> np.ndarray:
        if not path.startswith(PREFIX):
            raise HromError(f"{path}: not a synthetic frame (expected {PREFIX}<seq>/<frame>)")
        seq, frame = re.split(r"[\\/]", path[len(PREFIX) :])
        return render_frame(self.spec, int(seq), int(frame))


def synthetic_source(spec: SyntheticSpec = SyntheticSpec(), name: str = "synthetic") -> SyntheticTrackSet:
    return SyntheticTrackSet(spec, name)


def write_got10k_layout(root: str | Path, spec: SyntheticSpec = SyntheticSpec(), absent_every: int = 0) -> Path:
    """Write the synthetic videos as a GOT-10k ``train`` split under ``root`` (for demos/CLI tests).

    With ``absent_every=n`` every n-th frame is marked absent (NaN box, absence.label 1,
    cover.label 0), to exercise readers the way real GOT-10k data does.
    """
    base = Path(root) / "train"
    names = []
    for s in range(spec.num_sequences):
        name = f"GOT-10k_Train_{s + 1:06d}"
        names.append(name)
        seq_dir = base / name
        seq_dir.mkdir(parents=True, exist_ok=True)
        boxes = sequence_boxes(spec, s)
        rows, absent = [], []
        for f in range(spec.num_frames):
            gone = absent_every > 0 and f % absent_every == absent_every - 1
            cv2.imwrite(str(seq_dir / f"{f + 1:08d}.jpg"), render_frame(spec, s, f), [cv2.IMWRITE_JPEG_QUALITY, 95])
            rows.append("NaN,NaN,NaN,NaN" if gone else ",".join(f"{v:.2f}" for v in boxes[f]))
            absent.append(1 if gone else 0)
        (seq_dir / "groundtruth.txt").write_text("\n".join(rows) + "\n")
        (seq_dir / "absence.label").write_text("\n".join(map(str, absent)) + "\n")
        (seq_dir / "cover.label").write_text("\n".join("0" if a else "8" for a in absent) + "\n")
        (seq_dir / "meta_info.ini").write_text(f"[METAINFO]\nurl: hrom synthetic sequence {s}\n")
    (base / "list.txt").write_text("\n".join(names) + "\n")
    return base
