"""Distillation from an ONNX teacher backbone: the term's arithmetic, the cell alignment, the
teacher run by onnxruntime against its torch original, and the term in the training loop."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import hrom

from hrom.errors import HromError
from hrom.training.distill import DistillConfig, Distiller, OnnxTeacher, cosine_similarities, sampling_grid, similarity_loss
from hrom.training.trainer import Trainer
from helpers.teachers import export_teacher
from helpers.training import SquarePairs, tiny_config

pytestmark = pytest.mark.usefixtures("one_torch_thread")
WEIGHTED_ITERS = 16
onnx = pytest.importorskip("onnx", reason="the onnx extra (pip install 'hrom[onnx]') is not installed")
pytest.importorskip("onnxruntime", reason="the onnx extra (pip install 'hrom[onnx]') is not installed")


def test_similarity_loss_on_hand_computed_cells():
    # student cells (1,0) and (0,1): similarities [[1,0],[0,1]]; teacher cells (1,0), (2,0): all 1
    student = torch.tensor([[1.0, 0.0], [0.0, 1.0]]).T.reshape(1, 2, 1, 2)
    teacher = torch.tensor([[1.0, 0.0], [2.0, 0.0]]).T.reshape(1, 2, 1, 2)
    torch.testing.assert_close(cosine_similarities(student)[0], torch.eye(2))
    assert similarity_loss(student, teacher).item() == pytest.approx(0.5)  # (0 + 1 + 1 + 0) / 4
    assert similarity_loss(teacher, 3 * teacher).item() == 0.0  # scale does not matter, only structure
    with pytest.raises(ValueError, match="cells"):
        similarity_loss(student, torch.ones(1, 2, 2, 2))


def test_sampling_grid_puts_teacher_cells_on_the_same_image_points():
    # teacher cell j of 16 (stride 16, 255 crop) is at pixel 127 + (j - 8) * 16 = 16 j - 1; student
    # cell i of 32 (stride 8) is centred at 8 i + 3.5, so the teacher cell falls at i = 2 j - 0.5625
    grid = sampling_grid(16, 16, 32, 8, 255)
    assert grid.shape == (1, 16, 16, 2)
    column = torch.arange(32.0).repeat(32, 1)[None, None]  # value = the cell's x index
    sampled = torch.nn.functional.grid_sample(column, grid, align_corners=True)[0, 0]
    j = torch.arange(1, 16.0)
    torch.testing.assert_close(sampled[5, 1:], 2 * j - 0.5625)
    torch.testing.assert_close(sampled[1:, 7], torch.full((15,), 2 * 7 - 0.5625))


@pytest.mark.parametrize("batch_one", [True, False])
def test_onnx_teacher_matches_its_torch_original_on_bgr_input(tmp_path, batch_one):
    net = export_teacher(tmp_path / "t.onnx", batch_one)
    teacher = OnnxTeacher(tmp_path / "t.onnx")
    assert teacher.batch_one is batch_one
    rgb = torch.rand(3, 3, 255, 255) * 255
    with torch.no_grad():
        expected = net(rgb.flip(1))  # OpenCV's channel order
    out = teacher(rgb)
    assert out.shape == (3, 4, 16, 16)
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-4)


def test_bad_teachers_are_one_line_errors(tmp_path):
    with pytest.raises(HromError, match=r"missing\.onnx: distill\.teacher not found"):
        OnnxTeacher(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"not a graph")
    with pytest.raises(HromError, match=r"junk\.onnx: not a readable ONNX model"):
        OnnxTeacher(tmp_path / "junk.onnx")
    with pytest.raises(HromError, match="needs distill.teacher"):
        DistillConfig(weight=1.0)
    with pytest.raises(HromError, match="distill.weight must be >= 0"):
        DistillConfig(weight=-1.0, teacher="x.onnx")


def _log(run_dir):
    return [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]


def _term(checkpoint, teacher_path, batch):
    """The distillation term of a saved network on ``batch`` (a fresh Distiller on the loaded model)."""
    model = hrom.load_model(checkpoint).model
    distiller = Distiller(OnnxTeacher(teacher_path), 16, model, 255, 8)
    with torch.no_grad():
        model(batch["template"], batch["search"])
        return distiller.loss(batch["search"]).item()


def test_training_adds_the_weighted_term_and_moves_the_student_towards_the_teacher(tmp_path):
    teacher = tmp_path / "t.onnx"
    export_teacher(teacher)
    common = dict(batch_size=4, iters_per_epoch=WEIGHTED_ITERS,
                  schedule={"epochs": 1, "warmup_epochs": 0, "base_lr": 0.01, "end_lr": 0.01})
    Trainer(tiny_config(**common, distill={"teacher": str(teacher), "weight": 5.0}), tmp_path / "on",
            dataset=SquarePairs(64)).run()
    steps = [r for r in _log(tmp_path / "on") if "loss" in r]
    assert len(steps) == WEIGHTED_ITERS
    for r in steps:
        assert r["loss"] == pytest.approx(r["cls"] + 1.2 * r["loc"] + 5.0 * r["distill"], rel=1e-5)
        assert 0 < r["distill"] < 1
    Trainer(tiny_config(**common), tmp_path / "off", dataset=SquarePairs(64)).run()
    assert all("distill" not in r for r in _log(tmp_path / "off"))
    # same seed, data and steps: only the term differs, and the student trained with it is closer
    items = [SquarePairs(64, seed=9)[i] for i in range(4)]
    batch = {k: torch.stack([it[k] for it in items]) for k in ("template", "search")}
    on = _term(tmp_path / "on" / "checkpoints" / "epoch_01.pt", teacher, batch)
    off = _term(tmp_path / "off" / "checkpoints" / "epoch_01.pt", teacher, batch)
    assert on < 0.8 * off, (on, off)  # measured 0.155 against 0.318


def test_a_bad_teacher_stops_training_before_any_work(tmp_path):
    cfg = tiny_config(iters_per_epoch=2, distill={"teacher": str(tmp_path / "none.onnx"), "weight": 1.0})
    with pytest.raises(HromError, match="none.onnx: distill.teacher not found"):
        Trainer(cfg, tmp_path / "run", dataset=SquarePairs(8))
    assert not (tmp_path / "run").exists()
