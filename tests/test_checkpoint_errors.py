"""Checkpoints that cannot be used are refused on load with one line naming the problem; NaN/inf
weights are never written and never loaded; ``hrom`` names the bundled weights everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import hrom
from hrom.cli.main import main
from hrom.errors import HromError
from hrom.models.checkpoint import FORMAT_VERSION, checkpoint_dict, read_checkpoint, save_checkpoint

REPO = Path(__file__).resolve().parent.parent
CLIP = REPO / "src" / "hrom" / "assets" / "demo" / "bag_clip.avi"


def _saved(tiny_model, tmp_path, name="m.pt", **changes) -> Path:
    ckpt = checkpoint_dict(tiny_model)
    for key, value in changes.items():
        if value is None:
            del ckpt[key]
        else:
            ckpt[key] = value
    path = tmp_path / name
    torch.save(ckpt, path)
    return path


def _poisoned(tiny_model, tmp_path, name: str, value: float) -> Path:
    ckpt = checkpoint_dict(tiny_model)
    ckpt["state_dict"][name] = ckpt["state_dict"][name].clone()
    ckpt["state_dict"][name].view(-1)[0] = value
    path = tmp_path / "poisoned.pt"
    torch.save(ckpt, path)
    return path


@pytest.mark.parametrize("name, value", [("rpn.deform.conv.weight", float("nan")),
                                         ("neck.fuse.1.running_var", float("inf"))])
def test_non_finite_checkpoint_is_refused_naming_the_tensor(tiny_model, tmp_path, name, value):
    path = _poisoned(tiny_model, tmp_path, name, value)
    with pytest.raises(HromError, match=f"tensor {name} holds NaN/inf"):
        hrom.load_model(path)


def test_track_with_a_nan_checkpoint_exits_2_before_tracking(tiny_model, tmp_path, capsys):
    path = _poisoned(tiny_model, tmp_path, "rpn.deform.offset.weight", float("nan"))  # used to segfault
    rc = main(["track", str(CLIP), "--box", "312,143,110,102", "--model", str(path), "--max-frames", "3",
               "--out", str(tmp_path / "b.txt"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "NaN/inf" in err[0], err
    assert not (tmp_path / "b.txt").exists()


def test_non_finite_weights_are_never_saved(tiny_model, tmp_path):
    with torch.no_grad():
        next(tiny_model.parameters()).view(-1)[0] = float("inf")
    with pytest.raises(HromError, match="NaN/inf"):
        save_checkpoint(tiny_model, tmp_path / "bad.pt")
    assert list(tmp_path.iterdir()) == []


def test_checkpoint_without_state_dict_is_one_line(tiny_model, tmp_path):
    path = _saved(tiny_model, tmp_path, state_dict=None)
    with pytest.raises(HromError, match="without state_dict"):
        read_checkpoint(path)


def test_future_format_version_is_refused(tiny_model, tmp_path):
    path = _saved(tiny_model, tmp_path, format_version=FORMAT_VERSION + 1, hrom_version="9.0.0")
    with pytest.raises(HromError, match=f"format version {FORMAT_VERSION + 1}.*upgrade hrom"):
        hrom.load_model(path)


def test_weights_of_another_preset_name_both_and_the_first_tensors(tiny_model, tmp_path):
    from hrom.models import build_model

    ckpt = checkpoint_dict(build_model("hrom-w18-base"))
    ckpt["model_config"] = checkpoint_dict(tiny_model)["model_config"]  # config says tiny, weights are w18
    path = tmp_path / "mixed.pt"
    torch.save(ckpt, path)
    with pytest.raises(HromError) as err:
        hrom.load_model(path)
    msg = str(err.value)
    assert "hrom-tiny" in msg and "first mismatched tensors: backbone.conv1.weight (saved [64, 3, 3, 3], model [" in msg
    assert "Error(s) in loading" not in msg and "\n" not in msg


def test_resume_with_another_model_names_the_saved_preset(tmp_path):
    from hrom.training.trainer import Trainer
    from helpers.training import SquarePairs, tiny_config

    cfg = tiny_config(iters_per_epoch=1, schedule={"epochs": 1, "warmup_epochs": 0})
    Trainer(cfg, tmp_path, dataset=SquarePairs(4)).run()
    (tmp_path / "checkpoints" / "epoch_01.pt").unlink()
    other = tiny_config(model="hrom-w18-base", iters_per_epoch=1, schedule={"epochs": 2, "warmup_epochs": 0})
    with pytest.raises(HromError) as err:
        Trainer(other, tmp_path, dataset=SquarePairs(4), resume=True).run()
    msg = str(err.value)
    assert "saved with model hrom-tiny" in msg and "hrom-w18-base" in msg and "first mismatched tensors:" in msg


def test_refused_pickle_says_why(tmp_path):
    path = tmp_path / "pickled.pt"
    torch.save({"format": "hrom-checkpoint", "obj": Path("x")}, path)  # a pathlib object: not plain weights
    with pytest.raises(HromError, match=r"refused: the file holds pickled Python objects \(pathlib\.PosixPath\), not only weights"):
        read_checkpoint(path)


def test_truncated_checkpoint_is_one_line(tiny_model, tmp_path):
    path = save_checkpoint(tiny_model, tmp_path / "m.pt")
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(HromError, match="not a readable checkpoint"):
        read_checkpoint(path)


def test_info_accepts_hrom_for_the_bundled_weights(capsys):
    from hrom.models.checkpoint import bundled_checkpoint

    if bundled_checkpoint() is None:
        pytest.skip("no bundled weights in this checkout")
    assert main(["info", "hrom", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["name"] == "hrom-tiny" and info["params"] > 0
