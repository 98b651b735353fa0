"""tools/release_weights.py: shippable weights keep the network and the chosen hyper-parameters, drop the
optimizer, and count the pairs and hours of every run in a chain of fine-tunes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from helpers.tools import load_tool
from hrom.models import create_model
from hrom.models.checkpoint import read_checkpoint, save_checkpoint


def _run_log(run: Path, times: list[float], evals: list[dict]) -> None:
    """A run's log.jsonl: one loss record per 10 iterations at ``times``, then the eval records."""
    run.mkdir(parents=True)
    lines = [{"iter": 10 * (i + 1), "loss": 0.5, "time": t} for i, t in enumerate(times)]
    lines += [{"event": "eval", "time": 99999.0, **e} for e in evals]
    (run / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))


def test_run_summary_counts_training_time_without_the_restart_gaps(tmp_path):
    tool = load_tool("release_weights")
    # 300 s between records, then a 4100 s gap (the run was stopped and resumed), then 300 s again;
    # the record at iteration 70 is past the checkpoint and must not count
    _run_log(tmp_path / "r", [0, 300, 600, 900, 5000, 5300, 5600], [{"epoch": 1, "ao": 0.51}])
    summary = tool.run_summary(tmp_path / "r", upto_iter=60)
    assert summary["training_hours"] == round(1200 / 3600, 2)  # 3 x 300 s before the gap, 1 x 300 s after
    assert summary["eval"] == [{"epoch": 1, "ao": 0.51}]
    assert tool.run_summary(tmp_path / "r", upto_iter=1000)["training_hours"] == round(1500 / 3600, 2)
    assert tool.run_pairs({"global_iter": 60, "world_size": 2, "config": {"batch_size": 16}}) == 1920


def test_release_of_a_fine_tune_counts_the_whole_chain_and_drops_the_optimizer(tmp_path, monkeypatch, capsys):
    tool = load_tool("release_weights")
    torch.manual_seed(0)
    base = create_model("hrom-tiny")
    start = save_checkpoint(base, tmp_path / "start.pt", tracker_hp={"penalty_k": 0.1},
                            extra={"pairs_total": 1000, "training_hours_total": 1.5})
    run = tmp_path / "run"
    _run_log(run, [0, 300, 600, 900, 1200, 1500], [{"epoch": 1, "ao": 0.6}])
    with (run / "log.jsonl").open("a") as log:
        log.write(json.dumps({"event": "init_weights", "path": str(start)}) + "\n")
    ckpt_path = run / "checkpoints" / "epoch_01.pt"
    ckpt_path.parent.mkdir()
    with torch.no_grad():
        next(base.model.parameters()).add_(1.0)  # the fine-tuned network differs from where it started
    save_checkpoint(base, ckpt_path)
    ckpt = torch.load(ckpt_path, weights_only=False)
    ckpt["train_state"] = {"epoch": 1, "global_iter": 60, "world_size": 2, "optimizer": {"state": "big"},
                           "config": {"batch_size": 16, "init_weights": str(start),
                                      "data": {"sources": [{"name": "seq"}, {"type": "pysot"}]},
                                      "distill": {"teacher": "/x/peers/backbone.onnx", "weight": 1.0,
                                                  "teacher_stride": 16}}}
    torch.save(ckpt, ckpt_path)
    hp = tmp_path / "best_hp.yaml"
    hp.write_text("penalty_k: 0.3\nwindow_influence: 0.05\nlr: 0.1\n")
    out = tmp_path / "release" / "weights.pt"
    monkeypatch.setattr(sys, "argv", ["release_weights.py", str(ckpt_path), "--hp", str(hp), "--run", str(run),
                                      "--out", str(out)])
    tool.main()

    released = read_checkpoint(out)
    assert "train_state" not in released or not released["train_state"]
    assert (released["tracker_hp"]["penalty_k"], released["tracker_hp"]["window_influence"]) == (0.3, 0.05)
    extra = released["extra"]
    assert (extra["epochs"], extra["iterations"], extra["pairs"]) == (1, 60, 1920)
    assert extra["data"] == ["seq", "pysot"]
    assert extra["distill"] == {"teacher": "backbone.onnx", "weight": 1.0}
    assert "distill" not in extra["init_from"]  # the start was a released file, whose own extra says how it was made
    assert extra["training_hours"] == round(1500 / 3600, 2)
    assert extra["pairs_total"] == 2920 and extra["training_hours_total"] == round(1.5 + 0.42, 2)
    assert extra["init_from"]["path"] == str(start) and extra["init_from"]["pairs"] == 1000
    loaded = create_model(str(out))
    for a, b in zip(loaded.model.state_dict().values(), base.model.state_dict().values()):
        assert torch.equal(a, b)
    assert "MiB" in capsys.readouterr().out
