"""Running benchmarks: VOT reset codes, resume after interruption, workers, reports, CLI errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.benchmarks import FollowGT, keep_threads, moving_boxes, write_boxes, write_frames  # noqa: F401 (fixture)
from test_benchmarks_readers import make_got10k, make_otb, make_vot_workspace

from hrom.benchmarks import evaluate, run_benchmark, write_report
from hrom.benchmarks.results import read_vot_file
from hrom.cli.main import main
from hrom.errors import HromError


def make_vot_rect(ws, n=30):
    d = ws / "sequences" / "cube"
    write_frames(d / "color", n, pattern="{:08d}.jpg")
    (ws / "sequences" / "list.txt").write_text("cube\n")
    (d / "sequence").write_text("channels.color=color/%08d.jpg\n")
    gt = np.tile([10.0, 10.0, 20.0, 20.0], (n, 1))
    write_boxes(d / "groundtruth.txt", gt)
    (d / "occlusion.tag").write_text("\n".join("1" if i >= 20 else "0" for i in range(n)) + "\n")
    return gt


class Factory:
    """Picklable tracker factory for worker processes."""

    def __init__(self, gt, fail_at=(), name="follow"):
        self.gt, self.fail_at, self.name = gt, fail_at, name

    def __call__(self):
        return FollowGT(self.gt, self.fail_at, self.name)


def test_vot_baseline_resets_and_scores(tmp_path):
    gt = make_vot_rect(tmp_path / "ws")
    tracker = FollowGT(gt, fail_at={3})
    out = run_benchmark(lambda: tracker, "vot2018", tmp_path / "ws", tmp_path / "res", progress=False)
    lines = (out / "baseline" / "cube" / "cube_001.txt").read_text().splitlines()
    assert lines[0] == "1" and lines[3] == "2" and lines[4:8] == ["0"] * 4 and lines[8] == "1"
    assert lines[1] == "11.0000,10.0000,20.0000,20.0000" and len(lines) == 30
    # the tracker never saw the skipped frames 4..7 and was re-initialised on frame 8 with the ground truth
    assert tracker.log[:5] == [("init", 0), ("update", 1), ("update", 2), ("update", 3), ("init", 8)]
    times = (out / "baseline" / "cube" / "cube_time.txt").read_text().split()
    assert times[5] == "NaN" and times[9] != "NaN"
    exact = evaluate("vot2018", tmp_path / "ws", tmp_path / "res", overlap="exact")["trackers"]["follow"]["overall"]
    assert exact["accuracy"] == pytest.approx(380 / 420, abs=1e-5)  # geometric IoU of a 20x20 box shifted by 1 px
    report = evaluate("vot2018", tmp_path / "ws", tmp_path / "res")
    o = report["trackers"]["follow"]["overall"]
    iou = 420 / 462  # VOT2018 raster (default): both edges drawn, 21 x 21 pixels each, 21 x 20 shared
    assert o["accuracy"] == pytest.approx(iou, abs=1e-5)  # frames 18..29 (burn-in 0..9 and 8..17 excluded)
    assert o["robustness"] == pytest.approx(100 / 30) and o["lost_number"] == 1
    # EAO curve: fragment [0, iou, iou, 0, 0, 0, 0, 0, 0] zero-padded + fragment [0, iou x 21] NaN-padded
    f1 = np.zeros(30)
    f1[1:3] = iou
    f2 = np.full(30, np.nan)
    f2[0], f2[1:22] = 0, iou
    expected = [1.0] + [np.mean([f[1:k + 1].mean() for f in (f1, f2) if not np.isnan(f[k])]) for k in range(1, 30)]
    np.testing.assert_allclose(o["eao_curve"], expected, atol=1e-5)
    pa = report["trackers"]["follow"]["per_attribute"]
    assert pa["occlusion"]["frames"] == 10 and pa["occlusion"]["failures"] == 0 and pa["empty"]["failures"] == 1
    files = write_report(report, tmp_path / "rep")
    assert {p.name for p in files} >= {"report.md", "report.json", "eao_curve.png", "score_vs_fps.png"}


def test_vot_workspace_one_pass_protocol(tmp_path):
    """vot2018_ope: the same workspace, no re-initialisation, OPE files and OTB-style scores."""
    gt = make_vot_rect(tmp_path / "ws")
    tracker = FollowGT(gt, fail_at={3})
    out = run_benchmark(lambda: tracker, "vot2018_ope", tmp_path / "ws", tmp_path / "res", progress=False)
    assert out.parent.name == "VOT2018_OPE" and not (out / "baseline").exists()
    assert [e for e in tracker.log if e[0] == "init"] == [("init", 0)] and len(tracker.log) == 30
    boxes = np.loadtxt(out / "cube.txt", delimiter=",")
    assert boxes.shape == (30, 4) and boxes[3, 0] == 1000.0
    o = evaluate("vot2018_ope", tmp_path / "ws", tmp_path / "res")["trackers"]["follow"]["overall"]
    # frame 0: IoU 1; frame 3: 0; the 28 others 380/420 — AUC = mean over frames of the success curve
    ious = np.array([1.0] + [380 / 420] * 2 + [0.0] + [380 / 420] * 26)
    thresholds = np.linspace(0, 1, 21)
    assert o["success_auc"] == pytest.approx(np.mean([(ious > t).mean() for t in thresholds]), abs=1e-9)


def test_vot_polygon_failure_uses_polygon_overlap(tmp_path):
    polys = make_vot_workspace(tmp_path / "ws", n=12)
    hull = np.c_[polys[:, 0::2].min(1), polys[:, 1::2].min(1)]
    gt = np.c_[hull, polys[:, 0::2].max(1) - hull[:, 0], polys[:, 1::2].max(1) - hull[:, 1]]
    out = run_benchmark(Factory(gt, fail_at={2}), "vot2018", tmp_path / "ws", tmp_path / "res", progress=False)
    rec = read_vot_file(out / "baseline" / "ball" / "ball_001.txt")
    assert [r[0] if len(r) == 1 else "box" for r in rec] == [1, "box", 2, 0, 0, 0, 0, 1, "box", "box", "box", "box"]


def test_otb_resume_after_interruption(tmp_path):
    make_otb(tmp_path / "otb")
    gt = moving_boxes(80)

    class Interrupting(FollowGT):
        def update(self, image):
            if self.log and self.log[0] == ("init", 0) and len(self.log) > 3 and self.stop:
                raise KeyboardInterrupt
            return super().update(image)

    t = Interrupting(gt, name="follow")
    t.stop = False
    seqs = ["Crossing", "Human4", "Jogging-1"]
    # finish Crossing, then interrupt inside Human4
    run_benchmark(lambda: t, "otb100", tmp_path / "otb", tmp_path / "res", sequences=["Crossing"], partial=True, progress=False)
    t.stop = True
    with pytest.raises(KeyboardInterrupt):
        run_benchmark(lambda: t, "otb100", tmp_path / "otb", tmp_path / "res", sequences=seqs, partial=True, progress=False)
    d = tmp_path / "res" / "OTB100" / "follow"
    assert sorted(p.name for p in d.iterdir() if p.is_file()) == ["Crossing.txt", "hrom_run.json"]  # no half-written file
    assert not list(d.rglob("*.tmp"))
    before = (d / "Crossing.txt").stat().st_mtime_ns
    t2 = FollowGT(gt, name="follow")
    run_benchmark(lambda: t2, "otb100", tmp_path / "otb", tmp_path / "res", sequences=seqs, partial=True, progress=False)
    assert (d / "Crossing.txt").stat().st_mtime_ns == before  # finished sequence skipped
    assert [e for e in t2.log if e[0] == "init"] == [("init", 0), ("init", 0)]  # only Human4 and Jogging-1 ran
    assert len((d / "Jogging-1.txt").read_text().splitlines()) == 5
    assert (d / "Human4.txt").read_text().splitlines()[0] == "10.0000,8.0000,12.0000,10.0000"


def test_workers_and_report_from_several_layouts(tmp_path):
    make_otb(tmp_path / "otb")
    gt = moving_boxes(80)
    out = run_benchmark(Factory(gt), "otb100", tmp_path / "otb", tmp_path / "res", workers=2, partial=True, progress=False)
    assert sorted(p.name for p in out.glob("*.txt")) == ["Crossing.txt", "Football1.txt", "Human4.txt",
                                                        "Jogging-1.txt", "Jogging-2.txt"]
    # a pysot-style result folder elsewhere, with pysot's file names (jogging_1.txt, lowercase first letter)
    other = tmp_path / "pysot_results" / "OTB100" / "SiamRPN++"
    for name, src in (("crossing", "Crossing"), ("football1", "Football1"), ("human4_2", "Human4"),
                      ("jogging_1", "Jogging-1"), ("jogging_2", "Jogging-2")):
        other.mkdir(parents=True, exist_ok=True)
        (other / f"{name}.txt").write_text((out / f"{src}.txt").read_text().replace(",", "\t"))
    code = main(["eval", "report", "--benchmark", "otb100", "--root", str(tmp_path / "otb"), "--partial",
                 "--results", str(tmp_path / "res"), "--trackers", "follow", str(other), "--out", str(tmp_path / "rep")])
    assert code == 0
    rep = json.loads((tmp_path / "rep" / "report.json").read_text())
    a, b = rep["trackers"]["follow"]["overall"], rep["trackers"]["SiamRPN++"]["overall"]
    assert a["success_auc"] == b["success_auc"] > 0.5 and a["fps"] > 0 and b["fps"] == -1
    assert rep["trackers"]["follow"]["per_attribute"]["SV"]["sequences"] == 1
    for f in ("success.png", "precision.png", "norm_precision.png", "attributes_success.png", "report.md"):
        assert (tmp_path / "rep" / f).stat().st_size > 0
    assert "| 1 |" in (tmp_path / "rep" / "report.md").read_text()


def test_report_groups_score_each_subset_with_the_benchmarks_pooling(tmp_path, capsys):
    """Three GOT-10k val sequences (cover > 0 frames are scored, never the first): two tracked exactly
    on 4 frames each (IoU 1), the third with half-width boxes at the same corner (IoU 0.5) on 2 frames.
    Frame-weighted AO as GOT-10k pools it: a = 1.0, b = 0.5, c = (4 + 1) / 6 (not the sequence mean 0.75),
    overall = (4 + 4 + 1) / 10."""
    names, gts = make_got10k(tmp_path / "data", "val", n_seqs=3, n=6)
    (tmp_path / "data" / "val" / names[2] / "cover.label").write_text("8\n0\n0\n8\n3\n0\n")
    d = tmp_path / "res" / "GOT-10k" / "t"
    for name, gt in zip(names, gts):
        pred = gt.copy()
        if name.endswith("3"):
            pred[:, 2] /= 2
        write_boxes(d / name / f"{name}_001.txt", pred)
    code = main(["eval", "report", "--benchmark", "got10k_val", "--root", str(tmp_path / "data"),
                 "--results", str(tmp_path / "res"), "--out", str(tmp_path / "rep"),
                 "--group", "a=*_000001,*_000002", "--group", "b=*3", "--group", "c=*1,*3"])
    assert code == 0
    rep = json.loads((tmp_path / "rep" / "report.json").read_text())
    t = rep["trackers"]["t"]
    assert t["overall"]["ao"] == pytest.approx(9 / 10)
    assert t["per_group"]["c"]["ao"] == pytest.approx(5 / 6)
    assert t["per_group"]["a"]["ao"] == pytest.approx(1.0) and t["per_group"]["a"]["sequences"] == 2
    assert t["per_group"]["b"]["ao"] == pytest.approx(0.5) and t["per_group"]["b"]["sr_0.75"] == 0.0
    assert rep["groups"] == {"a": names[:2], "b": names[2:], "c": [names[0], names[2]]}
    assert "| t | 1.000 | 0.500 | 0.833 |" in (tmp_path / "rep" / "report.md").read_text()
    assert "1.0000" in capsys.readouterr().out


@pytest.mark.parametrize("spec,needle", [("nogroup", "expected NAME=PATTERN"), ("x=zz*", "matches none of the 3"),
                                         ("a=", "expected NAME=PATTERN")])
def test_report_bad_group_exit_2(tmp_path, capsys, spec, needle):
    names, gts = make_got10k(tmp_path / "data", "val", n_seqs=3, n=6)
    for name, gt in zip(names, gts):
        write_boxes(tmp_path / "res" / "GOT-10k" / "t" / name / f"{name}_001.txt", gt)
    code = main(["eval", "report", "--benchmark", "got10k_val", "--root", str(tmp_path / "data"),
                 "--results", str(tmp_path / "res"), "--out", str(tmp_path / "rep"), "--group", spec])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and err.count("\n") == 1
    assert not (tmp_path / "rep" / "report.json").exists()


def test_cli_run_with_opencv_tracker_on_shared_otb(shared_dir, tmp_path):
    code = main(["eval", "run", "--benchmark", "otb100", "--root", str(shared_dir / "data" / "otb"), "--partial",
                 "--sequences", "Crossing", "--tracker", "kcf", "--results", str(tmp_path), "--name", "kcf", "--quiet"])
    assert code == 0
    assert len((tmp_path / "OTB100" / "kcf" / "Crossing.txt").read_text().splitlines()) == 120


@pytest.mark.parametrize("case", ["short_result", "no_results", "unknown_sequence", "bad_result_line"])
def test_report_bad_inputs_exit_2(tmp_path, capsys, case):
    make_otb(tmp_path / "otb")
    d = tmp_path / "res" / "OTB100" / "t"
    d.mkdir(parents=True)
    for name, n in (("Crossing", 6), ("Football1", 74), ("Human4", 4), ("Jogging-1", 5), ("Jogging-2", 5)):
        write_boxes(d / f"{name}.txt", moving_boxes(n))
    extra = []
    if case == "short_result":
        write_boxes(d / "Crossing.txt", moving_boxes(5))
        needle = "Crossing.txt: 5 boxes for a sequence of 6 frames"
    elif case == "no_results":
        (d / "Human4.txt").unlink()
        needle = "Human4: no result file"
    elif case == "unknown_sequence":
        extra = ["--sequences", "Nope"]
        needle = "sequence 'Nope' not in this benchmark"
    else:
        (d / "Jogging-2.txt").write_text("1,2,3,4\n1,2,x,4\n")
        needle = "Jogging-2.txt:2: cannot read"
    code = main(["eval", "report", "--benchmark", "otb100", "--root", str(tmp_path / "otb"), "--partial",
                 "--results", str(tmp_path / "res"), "--out", str(tmp_path / "rep"), *extra])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and err.count("\n") == 1


def test_missing_frame_during_run_names_the_file(tmp_path):
    make_otb(tmp_path / "otb")
    (tmp_path / "otb" / "Crossing" / "img" / "0004.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(HromError, match=r"0004.jpg: cannot decode image \(frame 4 of Crossing\)"):
        run_benchmark(Factory(moving_boxes(10)), "otb100", tmp_path / "otb", tmp_path / "res",
                      sequences=["Crossing"], partial=True, progress=False)


def test_vot_reinitialisation_uses_pysots_box(tmp_path):
    """vot2018 (re)starts trackers with pysot's VOT box: area-preserving size, x = cx - (w - 1) / 2."""
    from helpers.benchmarks import ScriptedTracker

    make_vot_workspace(tmp_path / "ws", n=12)
    tracker = ScriptedTracker(default=(500.0, 500.0, 5.0, 5.0))  # fails on every update
    run_benchmark(lambda: tracker, "vot2018", tmp_path / "ws", tmp_path / "res", progress=False)
    inits = [c[1] for c in tracker.calls if c[0] == "init"]
    assert len(inits) == 2  # frame 0, and frame 6 after the failure on frame 1
    for frame, box in zip((0, 6), inits):
        # polygon 10,10 30,12 28,32 8,30 moved right by `frame`: centre (19 + frame, 21), sides sqrt(404) x
        # sqrt(404) in a 22 x 22 hull -> w = h = 22 * sqrt(404 / 484) + 1, started half a pixel up-left of cx - w/2
        w = 22 * np.sqrt(404 / 484) + 1
        np.testing.assert_allclose(box, np.round([19 + frame - (w - 1) / 2, 21 - (w - 1) / 2, w, w], 3), atol=1e-9)
