"""tools/average_checkpoints.py: the element-wise mean of a run's checkpoints, as a loadable checkpoint."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from helpers.tools import load_tool
from hrom.models import create_model
from hrom.models.checkpoint import read_checkpoint, save_checkpoint


def _checkpoint(path: Path, seed: int, preset: str = "hrom-tiny", epoch: int = 1) -> dict:
    torch.manual_seed(seed)
    loaded = create_model(preset)
    for m in loaded.model.modules():  # distinct BatchNorm statistics per file
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.num_batches_tracked.fill_(100 * seed)
    save_checkpoint(loaded, path)
    ckpt = torch.load(path, weights_only=False)
    ckpt["train_state"] = {"epoch": epoch, "global_iter": 500 * epoch, "iters_per_epoch": 500, "world_size": 1,
                           "config": {"batch_size": 16}, "optimizer": {"state": "big"}}
    torch.save(ckpt, path)
    return ckpt["state_dict"]


def test_mean_of_three_checkpoints_loads_and_keeps_progress_without_optimizer(tmp_path, monkeypatch):
    tool = load_tool("average_checkpoints")
    paths = [tmp_path / f"epoch_0{e}.pt" for e in (1, 2, 3)]
    states = [_checkpoint(p, seed=e, epoch=e) for e, p in zip((1, 2, 3), paths)]
    out = tmp_path / "avg.pt"
    monkeypatch.setattr(sys, "argv", ["average_checkpoints.py", *map(str, paths), "--out", str(out)])
    tool.main()
    avg = read_checkpoint(out)
    for k, v in avg["state_dict"].items():
        if v.is_floating_point():
            expected = (states[0][k].double() + states[1][k].double() + states[2][k].double()) / 3
            torch.testing.assert_close(v, expected.to(v.dtype), rtol=0, atol=1e-6)
        else:
            assert torch.equal(v, states[2][k]), k  # num_batches_tracked from the last file
    assert avg["train_state"] == {"epoch": 3, "global_iter": 1500, "iters_per_epoch": 500, "world_size": 1,
                                  "config": {"batch_size": 16}}
    assert [a["file"] for a in avg["extra"]["averaged_from"]] == ["epoch_01.pt", "epoch_02.pt", "epoch_03.pt"]
    loaded = create_model(str(out))
    assert loaded.config.name == "hrom-tiny"
    torch.testing.assert_close(loaded.model.state_dict()["backbone.conv1.weight"], avg["state_dict"]["backbone.conv1.weight"])


def test_checkpoints_of_different_networks_are_refused(tmp_path):
    tool = load_tool("average_checkpoints")
    a, b = tmp_path / "a.pt", tmp_path / "b.pt"
    _checkpoint(a, 1, "hrom-tiny")
    _checkpoint(b, 2, "hrom-small")
    with pytest.raises(SystemExit, match="b.pt: another network"):
        tool.average([a, b])
