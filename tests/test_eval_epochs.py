"""``hrom eval epochs``: every epoch checkpoint of a run on one benchmark, scored like the GOT-10k
toolkit (checked by hand from the result files), resumable, with its curve."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch

from hrom.cli.main import main
from hrom.models import create_model
from hrom.models.checkpoint import save_checkpoint
from helpers.tracking import iou, moving_square_frames


@pytest.fixture()
def run_and_val(tmp_path, one_torch_thread):
    """A run folder with epochs 1-3 of hrom-tiny (seeded random weights) and a two-sequence
    GOT-10k validation split of a moving square."""
    ckpts = tmp_path / "run" / "checkpoints"
    ckpts.mkdir(parents=True)
    for epoch in (1, 2, 3):
        torch.manual_seed(epoch)
        save_checkpoint(create_model("hrom-tiny"), ckpts / f"epoch_{epoch:02d}.pt")
    (ckpts / "latest.pt").write_bytes((ckpts / "epoch_03.pt").read_bytes())  # not an epoch: ignored
    val = tmp_path / "val"
    for s, step in enumerate(((6.0, 3.0), (-4.0, 2.0))):
        frames, boxes = moving_square_frames(12, start=(150.0, 60.0), step=step)
        seq = val / f"seq{s}"
        seq.mkdir(parents=True)
        for i, f in enumerate(frames):
            cv2.imwrite(str(seq / f"{i + 1:08d}.jpg"), f)
        np.savetxt(seq / "groundtruth.txt", boxes, fmt="%.1f", delimiter=",")
    (val / "list.txt").write_text("seq0\nseq1\n")
    return tmp_path / "run", val


def _ao_by_hand(results, val) -> float:
    """GOT-10k AO: mean over sequences of the mean IoU over frames 2.. (first frame excluded)."""
    per_seq = []
    for seq in ("seq0", "seq1"):
        gt = np.loadtxt(val / seq / "groundtruth.txt", delimiter=",")
        pred = np.loadtxt(results / f"{seq}.txt", delimiter=",")
        per_seq.append(np.mean([iou(p, g) for p, g in zip(pred[1:], gt[1:])]))
    return float(np.mean(per_seq))


def test_every_epoch_is_scored_resumably_with_its_curve(run_and_val, tmp_path, capsys):
    run, val = run_and_val
    out = tmp_path / "curve"
    hp = tmp_path / "best_hp.yaml"
    hp.write_text("penalty_k: 0.3\nwindow_influence: 0.05\nlr: 0.1\n")
    args = ["eval", "epochs", str(run), "--benchmark", "got10k_val", "--root", str(val), "--out", str(out),
            "--hp", str(hp), "--quiet"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    records = [json.loads(line) for line in (out / "curve.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2, 3] and all(r["hp"] == str(hp) for r in records)
    for r in records:
        folder = out / "GOT-10k_val" / f"epoch_{r['epoch']:02d}"
        assert r["ao"] == pytest.approx(_ao_by_hand(folder, val), abs=1e-9)
        assert json.loads((folder / "hrom_run.json").read_text())["hp_file"] == str(hp)
    assert len({round(r["ao"], 6) for r in records}) == 3  # three different networks
    best = max(records, key=lambda r: r["ao"])
    assert f"best: epoch {best['epoch']} (ao {best['ao']:.4f})" in printed
    assert f"Best ao: epoch {best['epoch']} ({best['ao']:.4f})." in (out / "curve.md").read_text()
    assert (out / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # a rerun tracks nothing again and gives the same curve
    result = out / "GOT-10k_val" / "epoch_02" / "seq1.txt"
    before = result.stat().st_mtime_ns
    assert main(args) == 0
    assert result.stat().st_mtime_ns == before
    assert [json.loads(line) for line in (out / "curve.jsonl").read_text().splitlines()] == records
    # a later call for new epochs only (a training that goes on) keeps the earlier ones in the curve
    assert main(args + ["--start-epoch", "3"]) == 0
    assert [json.loads(line) for line in (out / "curve.jsonl").read_text().splitlines()] == records
    assert (out / "curve.md").read_text().count(".pt |") == 3
    # the same hp path with edited values starts a new curve instead of mixing with the old one
    hp.write_text("penalty_k: 0.1\nwindow_influence: 0.3\nlr: 0.3\n")
    assert main(args + ["--start-epoch", "3", "--overwrite"]) == 0
    (edited,) = [json.loads(line) for line in (out / "curve.jsonl").read_text().splitlines()]
    assert edited["epoch"] == 3 and edited["hp_key"] != records[2]["hp_key"]
    assert edited["ao"] != pytest.approx(records[2]["ao"], abs=1e-6)
    hp.write_text("penalty_k: 0.3\nwindow_influence: 0.05\nlr: 0.1\n")

    # selection: from epoch 2, every 2nd -> epoch 2 only; files given one by one work too
    sel = tmp_path / "sel"
    assert main(["eval", "epochs", str(run / "checkpoints" / "epoch_02.pt"), str(run / "checkpoints" / "epoch_03.pt"),
                 "--benchmark", "got10k_val", "--root", str(val), "--out", str(sel), "--hp", str(hp),
                 "--start-epoch", "2", "--every", "2", "--quiet"]) == 0
    (only,) = [json.loads(line) for line in (sel / "curve.jsonl").read_text().splitlines()]
    assert only["epoch"] == 2 and only["ao"] == pytest.approx(records[1]["ao"], abs=1e-12)


def test_a_replaced_checkpoint_is_refused_until_overwrite(run_and_val, tmp_path, capsys):
    run, val = run_and_val
    out = tmp_path / "curve"
    args = ["eval", "epochs", str(run / "checkpoints" / "epoch_01.pt"), "--benchmark", "got10k_val", "--root", str(val),
            "--out", str(out), "--quiet"]
    assert main(args) == 0
    torch.manual_seed(99)
    save_checkpoint(create_model("hrom-tiny"), run / "checkpoints" / "epoch_01.pt")
    capsys.readouterr()
    assert main(args) == 2
    assert "epoch_01" in capsys.readouterr().err
    assert main(args + ["--overwrite"]) == 0


@pytest.mark.parametrize("make, message", [
    (lambda t: t / "empty", "no epoch_XX.pt checkpoint in"),
    (lambda t: t / "missing", "no such file or folder"),
    (lambda t: t / "run" / "checkpoints" / "latest.pt", "not named epoch_XX.pt"),
])
def test_bad_checkpoint_arguments_are_one_line_errors(run_and_val, tmp_path, capsys, make, message):
    run, val = run_and_val
    (tmp_path / "empty").mkdir()
    out = tmp_path / "curve"
    assert main(["eval", "epochs", str(make(tmp_path)), "--benchmark", "got10k_val", "--root", str(val),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not out.exists()
    assert main(["eval", "epochs", str(run), "--benchmark", "got10k_val", "--root", str(val), "--out", str(out),
                 "--hp", "fast"]) == 2
    assert "unknown tracker hyper-parameter preset 'fast'" in capsys.readouterr().err
    assert not out.exists()


def test_start_nudges_score_each_epoch_on_the_mean_of_its_runs(run_and_val, tmp_path):
    """--start-nudges 1: each epoch is tracked twice (as given and from a nudged first box); its AO
    pools both runs' frames, as the GOT-10k toolkit pools repetitions."""
    run, val = run_and_val
    out = tmp_path / "curve"
    args = ["eval", "epochs", str(run / "checkpoints" / "epoch_01.pt"), "--benchmark", "got10k_val", "--root",
            str(val), "--out", str(out), "--hp", "default", "--quiet", "--start-nudges", "1"]
    assert main(args) == 0
    (rec,) = [json.loads(line) for line in (out / "curve.jsonl").read_text().splitlines()]
    folder = out / "GOT-10k_val" / "epoch_01"
    ious = []
    for seq in ("seq0", "seq1"):
        gt = np.loadtxt(val / seq / "groundtruth.txt", delimiter=",")
        for k in (1, 2):
            pred = np.loadtxt(folder / seq / f"{seq}_{k:03d}.txt", delimiter=",")
            ious += [iou(p, g) for p, g in zip(pred[1:], gt[1:])]
    assert rec["start_nudges"] == 1 and rec["ao"] == pytest.approx(float(np.mean(ious)), abs=1e-9)
    first = np.loadtxt(folder / "seq0" / "seq0_002.txt", delimiter=",")[0]
    gt0 = np.loadtxt(val / "seq0" / "groundtruth.txt", delimiter=",")[0]
    assert not np.allclose(first, gt0)  # the second run really started elsewhere
