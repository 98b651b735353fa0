"""The weights shipped in the package load and follow the target on the bundled real clip."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from hrom.cli.main import main
from hrom.models.checkpoint import bundled_checkpoint, load_model

DEMO = Path(__file__).resolve().parent.parent / "src" / "hrom" / "assets" / "demo"
# Mean IoU of the bundled weights on the 80-frame clip was measured at MEASURED_IOU (model card);
# the threshold leaves a margin for BLAS / OpenCV differences between machines. A box left where
# it started scores 0.086 on this clip, so the test fails for a tracker that does not follow.
MEASURED_IOU = 0.670
MIN_MEAN_IOU = 0.57


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x1 = np.maximum(a[:, 0], b[:, 0])
    y1 = np.maximum(a[:, 1], b[:, 1])
    x2 = np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2])
    y2 = np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    return inter / (a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter)


def test_bundled_checkpoint_is_shipped_and_loads():
    path = bundled_checkpoint()
    assert path is not None and path.stat().st_size < 5 * 2**20
    loaded = load_model(path)
    assert loaded.config.name == "hrom-tiny" and not loaded.model.training
    assert loaded.tracker_hp and loaded.checkpoint == path


def test_bundled_weights_follow_the_target_on_the_bundled_clip():
    from hrom.tracking import create_tracker

    gt = np.loadtxt(DEMO / "bag_clip_groundtruth.txt", delimiter=",")
    init = np.loadtxt(DEMO / "bag_clip_init_box.txt", delimiter=",")
    tracker = create_tracker("hrom")
    cap = cv2.VideoCapture(str(DEMO / "bag_clip.avi"))
    boxes = []
    ok, frame = cap.read()
    tracker.init(frame, init)
    boxes.append(init)
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        boxes.append(tracker.update(frame))
    boxes = np.asarray(boxes, dtype=np.float64)
    assert len(boxes) == len(gt) == 80
    ious = _iou(boxes[1:], gt[1:])
    assert ious.mean() > MIN_MEAN_IOU, f"mean IoU {ious.mean():.3f} (measured {MEASURED_IOU})"


def test_track_without_model_uses_the_bundled_weights(tmp_path, capsys):
    out = tmp_path / "boxes.txt"
    rc = main(["track", str(DEMO / "bag_clip.avi"), "--box-file", str(DEMO / "bag_clip_init_box.txt"),
               "--max-frames", "10", "--out", str(out), "--quiet"])
    assert rc == 0
    rows = np.loadtxt(out, delimiter=",")
    assert rows.shape == (10, 4)
    assert np.all(rows[:, 0] >= 0) and np.all(rows[:, 0] + rows[:, 2] <= 480)


def test_release_hp_file_is_the_bundled_tracker_hp():
    """configs/extra/hp_release.yaml scores training checkpoints as the release is scored; it must
    stay the shipped file's tracker_hp, or validation comparisons silently use other settings."""
    from hrom.tracking.config import resolve_tracker_config

    root = Path(__file__).resolve().parent.parent / "configs" / "extra"
    shipped = resolve_tracker_config(checkpoint_hp=load_model(bundled_checkpoint()).tracker_hp)
    assert resolve_tracker_config(root / "hp_release.yaml") == shipped
    # The per-epoch curves keep the settings they were logged with (penalty_k 0.3, the shipped value
    # until the session-18 re-tune), so only the box-smoothing knobs must still match the release.
    curve = resolve_tracker_config(root / "hp_val_curve.yaml")
    assert curve.template_lr == 0 and curve.lost_score == 0
    assert (curve.window_influence, curve.lr) == (shipped.window_influence, shipped.lr)
    assert curve.penalty_k == 0.3
