"""tools/size_response.py: the share of a wrong start size that one tracker update keeps, on a
scripted tracker whose answer keeps a known share of it."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from helpers.benchmarks import frame_number, moving_boxes, write_boxes, write_frames
from helpers.tools import load_tool


class KeepsShare:
    """Answers with size = given^alpha * true^(1 - alpha) (log-linear: keeps ``alpha`` of the
    start's log-size error) at the centre it was put on; the truth is decoded from the frame."""

    def __init__(self, gt: np.ndarray, alpha: float):
        self.gt, self.alpha = gt, alpha
        self.center = self.size = None
        self.inits = 0

    def init(self, image, box):
        self.inits += 1

    def update(self, image):
        w, h = self.gt[frame_number(image) - 1][2:]
        size = self.size ** self.alpha * np.array([w, h]) ** (1 - self.alpha)
        cx, cy = self.center
        return (cx - size[0] / 2, cy - size[1] / 2, size[0], size[1])


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_prints_the_share_kept_and_the_mean_log_sizes(tmp_path, monkeypatch, capsys, alpha):
    import hrom.tracking

    n = 13
    gt = moving_boxes(n, w=14, h=9)
    gt[:, 2] += np.arange(n)  # the size changes over the sequence: the tool must compare with each frame's truth
    (tmp_path / "val").mkdir()
    (tmp_path / "val" / "list.txt").write_text("GOT-10k_Val_000001\n")
    seq = tmp_path / "val" / "GOT-10k_Val_000001"
    write_frames(seq, n, pattern="{:08d}.jpg")
    write_boxes(seq / "groundtruth.txt", gt)
    trackers = []
    monkeypatch.setattr(hrom.tracking, "create_tracker",
                        lambda model, hp: trackers.append(KeepsShare(gt, alpha)) or trackers[-1])
    monkeypatch.setattr(sys, "argv", ["size_response.py", "--model", "scripted", "--benchmark", "got10k_val",
                                      "--root", str(tmp_path), "--every", "4", "--k", "1.25"])
    load_tool("size_response").main()
    out = capsys.readouterr().out
    assert len(trackers) == 1 and trackers[0].inits == 1
    assert "(3 frames, penalty_k 0)" in out  # frames 4, 8 and 12
    assert f"start x0.800 (log -0.223): mean log(predicted / true) size {alpha * math.log(0.8) + 0.0:+.3f}" in out
    assert f"start x1.250 (log +0.223): mean log(predicted / true) size {alpha * math.log(1.25):+.3f}" in out
    assert f"share of the size error kept after one update: {alpha:.3f}" in out
