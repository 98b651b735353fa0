"""Nudged starts (``--start-nudges``): extra runs per sequence from slightly moved and resized first
boxes, stored as repetitions and averaged by the scores, so one chaotic run does not decide a
comparison."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.benchmarks import write_boxes
from test_benchmarks_readers import make_got10k
from test_benchmarks_run import make_vot_rect

from hrom.benchmarks import evaluate, run_benchmark
from hrom.benchmarks.protocols import START_NUDGES, nudged_box
from hrom.cli.main import main
from hrom.errors import HromError

GT = (10.0, 8.0, 20.0, 10.0)


class StillTracker:
    """Reports the box it was started with on every frame (deterministic, picklable)."""

    name = "still"
    is_deterministic = True  # must not stop the nudged runs early

    def init(self, image, box):
        self.box = tuple(float(v) for v in box)

    def update(self, image):
        return self.box


def _iou(a, b):
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(w, 0) * max(h, 0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def _static_got10k(root):
    names, _ = make_got10k(root, "val", n_seqs=1, n=6)
    write_boxes(root / "val" / names[0] / "groundtruth.txt", [GT] * 6)
    return names[0]


def test_nudged_box_moves_the_centre_by_a_share_of_the_size_and_scales_it():
    box = np.array([100.0, 50.0, 40.0, 20.0])
    assert nudged_box(box, 0).tolist() == box.tolist()
    # nudge 1 = (+3% of w, -2% of h, x1.03): centre (121.2, 59.6), size 41.2 x 20.6
    np.testing.assert_allclose(nudged_box(box, 1), [100.6, 49.3, 41.2, 20.6], atol=1e-9)
    # nudge 2 = (-2% of w, +3% of h, x0.97): centre (119.2, 60.6), size 38.8 x 19.4
    np.testing.assert_allclose(nudged_box(box, 2), [99.8, 50.9, 38.8, 19.4], atol=1e-9)
    assert len({tuple(nudged_box(box, k)) for k in range(len(START_NUDGES) + 1)}) == len(START_NUDGES) + 1


def test_nudged_runs_are_stored_as_repetitions_and_averaged(tmp_path):
    seq = _static_got10k(tmp_path / "got")
    out = run_benchmark(StillTracker, "got10k_val", tmp_path / "got", tmp_path / "res", progress=False,
                        start_nudges=2)
    firsts = [np.loadtxt(out / seq / f"{seq}_{k:03d}.txt", delimiter=",")[0] for k in (1, 2, 3)]
    np.testing.assert_allclose(firsts[0], GT)  # run 1 is the standard one-pass run
    np.testing.assert_allclose(firsts[1], [10.3, 7.65, 20.6, 10.3], atol=1e-6)
    np.testing.assert_allclose(firsts[2], [9.9, 8.45, 19.4, 9.7], atol=1e-6)
    assert not (out / seq / f"{seq}_004.txt").exists()
    assert json.loads((out / "hrom_run.json").read_text())["start_nudges"] == 2
    # the still tracker keeps its first box: IoU 1 in run 1, 196.015 / 216.165 and 184.315 / 203.865
    # in the nudged runs, on every scored frame; the report averages the three runs
    v1, v2 = _iou(firsts[1], GT), _iou(firsts[2], GT)
    assert (v1, v2) == pytest.approx((196.015 / 216.165, 184.315 / 203.865), abs=1e-9)
    ao = evaluate("got10k_val", tmp_path / "got", tmp_path / "res")["trackers"]["still"]["overall"]["ao"]
    assert ao == pytest.approx((1.0 + v1 + v2) / 3, abs=1e-4)
    # without nudges the same folder belongs to another run: refused, results kept
    with pytest.raises(HromError, match="start_nudges 2, this run None"):
        run_benchmark(StillTracker, "got10k_val", tmp_path / "got", tmp_path / "res", progress=False)
    # resuming with the same setting tracks only the missing run
    (out / seq / f"{seq}_003.txt").unlink()
    run_benchmark(StillTracker, "got10k_val", tmp_path / "got", tmp_path / "res", progress=False, start_nudges=2)
    np.testing.assert_allclose(np.loadtxt(out / seq / f"{seq}_003.txt", delimiter=",")[0], firsts[2], atol=1e-6)


def test_nudges_are_refused_where_they_make_no_sense(tmp_path):
    _static_got10k(tmp_path / "got")
    make_vot_rect(tmp_path / "ws")
    args = (StillTracker, "got10k_val", tmp_path / "got", tmp_path / "res")
    with pytest.raises(HromError, match="--start-nudges 9: expected 0 to 8"):
        run_benchmark(*args, start_nudges=9, progress=False)
    with pytest.raises(HromError, match="use one of them"):
        run_benchmark(*args, start_nudges=2, repetitions=3, progress=False)
    with pytest.raises(HromError, match="vot2018 re-initialises from the ground truth"):
        run_benchmark(StillTracker, "vot2018", tmp_path / "ws", tmp_path / "res", start_nudges=1, progress=False)
    assert not (tmp_path / "res").exists() or not any((tmp_path / "res").rglob("*.txt"))


def test_cli_start_nudges_error_is_one_line_exit_2(tmp_path, capsys):
    _static_got10k(tmp_path / "got")
    code = main(["eval", "run", "--benchmark", "got10k_val", "--root", str(tmp_path / "got"), "--tracker", "kcf",
                 "--results", str(tmp_path / "res"), "--start-nudges", "-1", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "--start-nudges -1: expected 0 to 8" in err
