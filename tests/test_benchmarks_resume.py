"""Resuming ``eval run``: the record of what produced a result folder, re-tracking broken result
files, and repetitions with the toolkits' determinism check."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from helpers.benchmarks import FollowGT, keep_threads, moving_boxes  # noqa: F401 (fixture)
from test_benchmarks_readers import make_otb
from test_benchmarks_run import make_vot_rect

from hrom.benchmarks import evaluate, run_benchmark
from hrom.benchmarks.results import read_vot_file
from hrom.cli.main import main
from hrom.errors import HromError


def _run(argv, capsys):
    code = main(["eval", "run", "--quiet", *argv])
    return code, capsys.readouterr().err


@pytest.fixture()
def two_latest(tmp_path):
    """Two different checkpoints that share a file name (two training runs' latest.pt)."""
    from hrom.models import build_model
    from hrom.models.checkpoint import save_checkpoint

    paths = []
    for seed, run in ((0, "a"), (1, "b")):
        torch.manual_seed(seed)
        paths.append(save_checkpoint(build_model("hrom-tiny").eval(), tmp_path / "runs" / run / "checkpoints" / "latest.pt"))
    return paths


def test_another_checkpoint_with_the_same_name_is_refused(tmp_path, capsys, two_latest):
    make_otb(tmp_path / "otb")
    base = ["--benchmark", "otb100", "--root", str(tmp_path / "otb"), "--partial", "--sequences", "Crossing",
            "--results", str(tmp_path / "res")]
    a, b = (str(p) for p in two_latest)
    assert _run([*base, "--tracker", a], capsys)[0] == 0
    folder = tmp_path / "res" / "OTB100" / "latest"
    first = (folder / "Crossing.txt").read_text()
    code, err = _run([*base, "--tracker", b], capsys)
    assert code == 2 and err.count("\n") == 1 and "holds results of another run" in err
    assert "--name" in err and "--overwrite" in err and "sha256:" in err
    assert (folder / "Crossing.txt").read_text() == first  # nothing reused, nothing overwritten
    assert _run([*base, "--tracker", b, "--name", "latest_b"], capsys)[0] == 0
    assert (tmp_path / "res" / "OTB100" / "latest_b" / "Crossing.txt").read_text() != first
    assert _run([*base, "--tracker", b, "--overwrite"], capsys)[0] == 0
    assert (folder / "Crossing.txt").read_text() == (tmp_path / "res" / "OTB100" / "latest_b" / "Crossing.txt").read_text()
    record = json.loads((folder / "hrom_run.json").read_text())
    assert record["model"] == json.loads((tmp_path / "res" / "OTB100" / "latest_b" / "hrom_run.json").read_text())["model"]
    assert _run([*base, "--tracker", b], capsys)[0] == 0  # same model again: resumes


def test_other_hp_or_backend_is_refused(tmp_path, capsys):
    make_otb(tmp_path / "otb")
    base = ["--benchmark", "otb100", "--root", str(tmp_path / "otb"), "--partial", "--sequences", "Crossing",
            "--results", str(tmp_path / "res"), "--tracker", "hrom-tiny"]
    assert _run([*base, "--hp", "otb"], capsys)[0] == 0
    code, err = _run([*base, "--hp", "vot"], capsys)
    assert code == 2 and "hp 'otb', this run 'vot'" in err
    code, err = _run([*base, "--hp", "otb", "--backend", "onnx"], capsys)
    assert code == 2 and "backend 'torch', this run 'onnx'" in err


def test_results_without_a_record_are_not_reused(tmp_path, capsys):
    make_otb(tmp_path / "otb")
    folder = tmp_path / "res" / "OTB100" / "opencv-kcf"
    folder.mkdir(parents=True)
    (folder / "Crossing.txt").write_text("1,2,3,4\n" * 6)  # e.g. copied from another tool
    code, err = _run(["--benchmark", "otb100", "--root", str(tmp_path / "otb"), "--partial", "--sequences", "Crossing",
                      "--results", str(tmp_path / "res"), "--tracker", "kcf"], capsys)
    assert code == 2 and "without a record" in err and "--overwrite" in err


@pytest.mark.parametrize("damage", ["short", "malformed"])
def test_broken_result_files_are_tracked_again(tmp_path, damage):
    make_otb(tmp_path / "otb")
    gt = moving_boxes(80)
    args = ("otb100", tmp_path / "otb", tmp_path / "res")
    out = run_benchmark(lambda: FollowGT(gt), *args, sequences=["Crossing", "Football1"], partial=True, progress=False)
    lines = (out / "Crossing.txt").read_text().splitlines()
    (out / "Crossing.txt").write_text("\n".join(lines[:3] if damage == "short" else lines[:5] + ["1,2,x,4"]) + "\n")
    again = FollowGT(gt)
    run_benchmark(lambda: again, *args, sequences=["Crossing", "Football1"], partial=True, progress=False)
    assert (out / "Crossing.txt").read_text().splitlines() == lines
    assert [e for e in again.log if e[0] == "init"] == [("init", 0)]  # Football1 (74 frames) was complete


class Noisy(FollowGT):
    """A stochastic tracker: a different jitter on every run (no is_deterministic attribute)."""

    runs = 0

    def init(self, image, box):
        type(self).runs += 1
        self.jitter = type(self).runs * 0.25
        super().init(image, box)

    def update(self, image):
        x, y, w, h = super().update(image)
        return (x + self.jitter, y, w, h)


class Same(FollowGT):
    """Identical output on every run, but it does not say so (VOT-style check needed)."""


class Declared(FollowGT):
    is_deterministic = True  # GOT-10k toolkit convention


def test_repetitions_layout_and_determinism_checks(tmp_path):
    make_otb(tmp_path / "otb")
    gt = moving_boxes(80)
    args = ("otb100", tmp_path / "otb", tmp_path / "res")
    kw = dict(sequences=["Crossing"], partial=True, progress=False, repetitions=5)
    noisy = run_benchmark(lambda: Noisy(gt, name="noisy"), *args, **kw)
    reps = sorted(p.name for p in (noisy / "Crossing").glob("Crossing_0*.txt"))
    assert reps == [f"Crossing_{r:03d}.txt" for r in range(1, 6)]  # the GOT-10k toolkit's naming
    times = (noisy / "Crossing" / "Crossing_time.txt").read_text().splitlines()
    assert len(times) == 6 and all(len(t.split(",")) == 5 for t in times)  # one column per repetition
    same_tracker = Same(gt, name="same")
    same = run_benchmark(lambda: same_tracker, *args, **kw)
    assert sorted(p.name for p in (same / "Crossing").glob("Crossing_0*.txt")) == reps[:3]  # 3 identical: stop
    assert len([e for e in same_tracker.log if e[0] == "init"]) == 3
    declared = run_benchmark(lambda: Declared(gt, name="declared"), *args, **kw)
    assert sorted(p.name for p in (declared / "Crossing").glob("Crossing_0*.txt")) == reps[:1]
    # repetitions are averaged per sequence in the report
    rep = evaluate("otb100", tmp_path / "otb", tmp_path / "res", sequences=["Crossing"], partial=True)
    assert 0 < rep["trackers"]["noisy"]["overall"]["success_auc"] < rep["trackers"]["same"]["overall"]["success_auc"]


def test_vot_repetitions(tmp_path):
    gt = make_vot_rect(tmp_path / "ws")
    out = run_benchmark(lambda: Noisy(gt, fail_at={3}, name="noisy"), "vot2018", tmp_path / "ws", tmp_path / "res",
                        progress=False, repetitions=2)
    files = sorted((out / "baseline" / "cube").glob("cube_0*.txt"))
    assert [f.name for f in files] == ["cube_001.txt", "cube_002.txt"]
    assert all(read_vot_file(f)[3] == [2.0] for f in files)
    o = evaluate("vot2018", tmp_path / "ws", tmp_path / "res")["trackers"]["noisy"]["overall"]
    assert o["lost_number"] == 1 and 0 < o["accuracy"] < 1


def test_bad_repetitions_and_names(tmp_path):
    make_otb(tmp_path / "otb")
    with pytest.raises(HromError, match="--repetitions 0"):
        run_benchmark(lambda: FollowGT(moving_boxes(9)), "otb100", tmp_path / "otb", tmp_path / "res", repetitions=0)
    with pytest.raises(HromError, match=r"tracker name \(use --name\) '\.\./x'"):
        run_benchmark(lambda: FollowGT(moving_boxes(9), name="../x"), "otb100", tmp_path / "otb", tmp_path / "res",
                      partial=True, progress=False)
