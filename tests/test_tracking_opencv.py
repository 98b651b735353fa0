"""OpenCV baselines through the hrom interface follow a real target (OTB Crossing, ../shared)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from hrom.tracking import create_tracker
from helpers.tracking import iou

N = 14  # KCF (no scale adaptation) loses this pedestrian after ~20 frames; the others keep it


@pytest.fixture(scope="module")
def crossing(shared_dir):
    seq = shared_dir / "data" / "otb" / "Crossing"
    frames = [cv2.imread(str(seq / "img" / f"{i:04d}.jpg")) for i in range(1, N + 1)]
    return frames, np.loadtxt(seq / "groundtruth_rect.txt")[:N]


@pytest.mark.parametrize("kind", ["kcf", "csrt", "mil", "nano", "vit"])
def test_opencv_tracker_follows_crossing(kind, crossing, shared_dir):
    frames, gt = crossing
    trk = create_tracker(kind, peers_dir=shared_dir / "peers")
    assert trk.name == f"opencv-{kind}"
    trk.init(frames[0], gt[0])
    boxes = [trk.update(f) for f in frames[1:]]
    ious = [iou(b, g) for b, g in zip(boxes, gt[1:])]
    # the pedestrian moves out of the first box over these frames: a box left in place ends at IoU 0.02
    assert iou(gt[0], gt[-1]) < 0.05
    # MIL draws random samples from OpenCV's per-thread RNGs (not seedable from Python): over 12
    # runs its worst frame ranged 0.32-0.75 and its mean 0.60-0.86, so it gets a looser bound
    lo, mean = (0.2, 0.5) if kind == "mil" else (0.5, 0.6)
    assert min(ious) > lo and np.mean(ious) > mean, np.round(ious, 2)
    if kind in ("nano", "vit"):
        assert 0.0 <= trk.score <= 1.0
    else:
        assert np.isnan(trk.score)


def test_opencv_tracker_accepts_pil_rgb_and_restarts(crossing):
    from PIL import Image

    frames, gt = crossing
    trk = create_tracker("kcf")
    pil = [Image.fromarray(cv2.cvtColor(f, cv2.COLOR_BGR2RGB)) for f in frames[:6]]
    trk.init(pil[0], gt[0])
    first = [trk.update(p) for p in pil[1:]]
    trk.init(frames[0], gt[0])  # a second video re-creates the OpenCV tracker
    second = [trk.update(f) for f in frames[1:6]]
    np.testing.assert_allclose(first, second)
