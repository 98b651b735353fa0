"""Scores: parity with the GOT-10k toolkit on the same result files, and hand-computed
VOT A/R/EAO and LaSOT normalized-precision cases."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.benchmarks import moving_boxes, write_boxes
from test_benchmarks_readers import make_got10k, make_uav10

from hrom.benchmarks import open_benchmark
from hrom.benchmarks.results import write_sequence_result
from hrom.benchmarks.scoring import (eao_from_curve, expected_overlap_curve, ope_curves, score_got10k, score_ope,
                                     summarise_curves)

got10k = pytest.importorskip("got10k", reason="parity tests need the got10k toolkit (pip install got10k)")


def random_results(gt: np.ndarray, rng) -> np.ndarray:
    """Noisy boxes around the ground truth, some frames far off (NaN ground truth -> any box)."""
    g = np.where(np.isnan(gt), 50.0, gt)
    n = len(g)
    jitter = rng.normal(0, 0.15, (n, 4)) * np.c_[g[:, 2:], g[:, 2:]]
    out = g + jitter
    out[:, 2:] = np.abs(out[:, 2:]) + 1
    far = rng.random(n) < 0.15
    out[far, :2] += 500
    return np.round(out, 3)


def write_random(reader, tracker_dir, rng, protocol="ope"):
    for name in reader.names():
        s = reader.load(name)
        times = rng.uniform(0.005, 0.05, len(s))
        write_sequence_result(protocol, tracker_dir, name, random_results(s.boxes, rng), times)


class _Stub:
    """A got10k-style dataset over our file list, reading annotations itself with np.loadtxt."""

    def __init__(self, items):
        self.items = items
        self.seq_names = [n for n, _, _ in items]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        _, frames, anno_file = self.items[i]
        return [str(f) for f in frames], np.loadtxt(anno_file, delimiter=",")


def _got10k_ope_report(exp_cls, dataset, results, tmp_path, name):
    exp = exp_cls.__new__(exp_cls)
    exp.dataset = dataset
    exp.result_dir = str(results)
    exp.report_dir = str(tmp_path / "g10k_reports")
    exp.nbins_iou, exp.nbins_ce = 21, 51
    return exp.report([name])[name]


def _assert_parity(ours, theirs):
    o = ours["overall"]
    assert o["success_auc"] == pytest.approx(theirs["overall"]["success_score"], abs=1e-6)
    assert o["precision_20px"] == pytest.approx(theirs["overall"]["precision_score"], abs=1e-6)
    assert o["success_rate_0.5"] == pytest.approx(theirs["overall"]["success_rate"], abs=1e-6)
    assert o["fps"] == pytest.approx(theirs["overall"]["speed_fps"], rel=1e-6)
    np.testing.assert_allclose(o["success_curve"], theirs["overall"]["success_curve"], atol=1e-9)
    np.testing.assert_allclose(o["precision_curve"], theirs["overall"]["precision_curve"], atol=1e-9)
    for seq, d in theirs["seq_wise"].items():
        assert ours["per_sequence"][seq]["success_auc"] == pytest.approx(d["success_score"], abs=1e-6)
        assert ours["per_sequence"][seq]["precision_20px"] == pytest.approx(d["precision_score"], abs=1e-6)


def test_otb_parity_on_real_sequences(shared_dir, tmp_path):
    from got10k.datasets import OTB
    from got10k.experiments import ExperimentOTB

    root = shared_dir / "data" / "otb"
    reader = open_benchmark("otb100", root, partial=True)
    results = tmp_path / "res"
    write_random(reader, results / "rand", np.random.default_rng(0))
    seqs = [reader.load(n) for n in reader.names()]
    ours = score_ope(seqs, results / "rand", "otb")
    theirs = _got10k_ope_report(ExperimentOTB, OTB(str(root), 2015, download=False), results, tmp_path, "rand")
    assert len(theirs["seq_wise"]) == 7  # Football1 cut to 74 frames by both
    _assert_parity(ours, theirs)


def _uav_parity(reader, tmp_path, seed):
    from got10k.experiments import ExperimentUAV123

    results = tmp_path / "res"
    write_random(reader, results / "rand", np.random.default_rng(seed))
    seqs = [reader.load(n) for n in reader.names()]
    ours = score_ope(seqs, results / "rand", "uav")
    stub = _Stub([(s.name, s.frames, reader.anno_dir / f"{s.name}.txt") for s in seqs])
    theirs = _got10k_ope_report(ExperimentUAV123, stub, results, tmp_path, "rand")
    _assert_parity(ours, theirs)
    return ours


def test_uav_parity_on_real_sequence(shared_dir, tmp_path):
    reader = open_benchmark("uav123_10fps", shared_dir / "data" / "uav123_10fps", partial=True)
    _uav_parity(reader, tmp_path, 1)


def test_uav_parity_with_nan_rows(tmp_path):
    root = tmp_path / "uav"
    make_uav10(root)
    gt = moving_boxes(229)
    gt[[3, 50, 51, 52, 200]] = np.nan
    write_boxes(root / "anno" / "UAV123_10fps" / "truck4_2.txt", gt)
    ours = _uav_parity(open_benchmark("uav123_10fps", root, partial=True), tmp_path, 2)
    assert ours["per_attribute"]["SOB"]["sequences"] == 1


def test_got10k_val_parity(tmp_path):
    from got10k.experiments import ExperimentGOT10k

    names, gts = make_got10k(tmp_path / "data", "val", n_seqs=3, n=40)
    rng = np.random.default_rng(3)
    res = tmp_path / "res" / "GOT-10k" / "rand"
    for name, gt in zip(names, gts):
        for rep in (1, 2, 3):
            write_boxes(res / name / f"{name}_{rep:03d}.txt", random_results(gt, rng))
        np.savetxt(res / name / f"{name}_time.txt", rng.uniform(0.01, 0.1, (len(gt), 3)), fmt="%.8f", delimiter=",")
    exp = ExperimentGOT10k(str(tmp_path / "data"), subset="val", result_dir=str(tmp_path / "res"),
                           report_dir=str(tmp_path / "rep"))
    theirs = exp.report(["rand"])["rand"]["overall"]
    reader = open_benchmark("got10k_val", tmp_path / "data")
    ours = score_got10k([reader.load(n) for n in names], res)["overall"]
    assert ours["ao"] == pytest.approx(theirs["ao"], abs=1e-6)
    assert ours["sr_0.5"] == pytest.approx(theirs["sr"], abs=1e-6)
    assert ours["fps"] == pytest.approx(theirs["speed_fps"], rel=1e-6)
    np.testing.assert_allclose(ours["success_curve"], theirs["succ_curve"], atol=1e-9)


def test_random_many_sequences_parity_of_curves(tmp_path):
    """Curves straight from got10k's metric functions on 20 random sequences (incl. NaN rows)."""
    from got10k.utils.metrics import center_error, rect_iou

    rng = np.random.default_rng(4)
    gts, preds = [], []
    for k in range(20):
        g = moving_boxes(30 + k, x0=10 + k)
        g[rng.random(len(g)) < 0.1] = np.nan
        g[0] = moving_boxes(1)[0]
        gts.append(g)
        preds.append(random_results(g, rng))
    ours = ope_curves(preds, gts, "uav")
    for p, g, s, c in zip(preds, gts, ours["success"], ours["precision"]):
        p = p.copy()
        p[0] = g[0]
        v = ~np.isnan(g).any(1)
        iou, ce = rect_iou(p[v], g[v]), center_error(p[v], g[v])
        np.testing.assert_allclose(s, (iou[:, None] > np.linspace(0, 1, 21)[None]).mean(0), atol=1e-12)
        np.testing.assert_allclose(c, (ce[:, None] <= np.arange(51)[None]).mean(0), atol=1e-12)


def test_lasot_norm_precision_hand_computed():
    gt = np.array([[10, 10, 10, 20], [10, 10, 10, 20], [0, 0, 0, 0]], float)
    pred = np.array([[10, 10, 10, 20], [12, 14, 10, 20], [5, 5, 5, 5]], float)
    c = ope_curves([pred], [gt], "lasot")
    s = summarise_curves(c["success"], c["precision"], c["norm_precision"])
    # normalized error of frame 2: sqrt((2/10)^2 + (4/20)^2) = 0.2828 -> within t >= 0.29 (22 of 51 thresholds);
    # frame 3 has no valid centre and counts as precise (the OTB/pysot -1 quirk)
    assert s["norm_precision"] == pytest.approx((29 * 2 / 3 + 22) / 51, abs=1e-12)
    assert s["norm_precision_0.2"] == pytest.approx(2 / 3, abs=1e-12)
    # IoU frame 1 = 1 (above 20 of 21 thresholds), frame 2 = 128/272 (above 0..0.45: 10), frame 3 never
    assert s["success_auc"] == pytest.approx(30 / 63, abs=1e-12)


def test_expected_overlap_hand_computed():
    nan = np.nan
    runs = [np.array([nan, .5, .5, .5]), np.array([nan, .8, nan, nan, nan])]
    curve = expected_overlap_curve(runs, [[], [2]], [1.0, 1.0], skipping=2)
    # fragments: [nan .5 .5 .5 nan], [0 .8 0 0 0] (failed: zero-padded), [0 nan nan nan nan]
    np.testing.assert_allclose(curve, [1.0, .65, .45, (.5 + .8 / 3) / 2, .2], atol=1e-12)
    assert eao_from_curve(curve, (2, 4)) == pytest.approx((.65 + .45 + (.5 + .8 / 3) / 2) / 3, abs=1e-12)


def test_lasot_absent_frames_never_count(tmp_path):
    """LaSOT toolkit / pysot: frames flagged in full_occlusion.txt / out_of_view.txt (ground truth
    0,0,0,0) are left out of every curve but stay in the denominator."""
    from hrom.benchmarks import evaluate
    from helpers.benchmarks import write_frames

    d = tmp_path / "data" / "airplane" / "airplane-1"
    write_frames(d / "img", 10, pattern="{:08d}.jpg")
    gt = moving_boxes(10)
    gt[[3, 4, 5]] = 0
    write_boxes(d / "groundtruth.txt", gt)
    (d / "full_occlusion.txt").write_text("0,0,0,1,1,0,0,0,0,0\n")
    (d / "out_of_view.txt").write_text("0,0,0,0,0,1,0,0,0,0\n")
    pred = gt.copy()
    pred[[1, 2], 0] += 5       # 5 px off: IoU 70/170, normalized error 5/12
    pred[6, 0] += 30           # 30 px off: IoU 0, not precise at 20 px
    pred[[3, 4, 5]] = [50, 50, 10, 10]  # anything while the target is absent
    write_boxes(tmp_path / "res" / "LaSOT" / "t" / "airplane-1.txt", pred)
    o = evaluate("lasot", tmp_path / "data", tmp_path / "res", partial=True)["trackers"]["t"]["overall"]
    # precise at 20 px: frames 0, 1, 2, 7, 8, 9 of 10 (the three absent frames used to count as precise: 0.9)
    assert o["precision_20px"] == pytest.approx(6 / 10, abs=1e-12)
    # success: IoU 1 on 4 frames (above 20 of 21 thresholds), 70/170 on 2 (above 0..0.40: 9), 0 on frame 6
    assert o["success_auc"] == pytest.approx((4 * 20 + 2 * 9) / (10 * 21), abs=1e-12)
    # normalized precision: error 0 on 4 frames (51 of 51 thresholds), 5/12 on 2 (0.42..0.50: 9)
    assert o["norm_precision"] == pytest.approx((4 * 51 + 2 * 9) / (10 * 51), abs=1e-12)
    assert o["norm_precision_0.2"] == pytest.approx(4 / 10, abs=1e-12)
