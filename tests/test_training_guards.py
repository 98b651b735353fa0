"""A diverging run never leaves a non-finite checkpoint; an unusable latest.pt or a finished run
say what to do on --resume."""

from __future__ import annotations

import pytest

from hrom.errors import HromError
from hrom.models.checkpoint import read_checkpoint
from hrom.training import trainer as trainer_module
from hrom.training.trainer import Trainer
from helpers.training import SquarePairs, tiny_config


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_loss_is_checked_every_iteration_not_only_at_log_steps(tmp_path, monkeypatch):
    calls = {"n": 0}

    class NanOnThirdStep(trainer_module.TrackingLoss):
        def forward(self, *args, **kwargs):
            out = super().forward(*args, **kwargs)
            calls["n"] += 1
            if calls["n"] == 3:
                out = {k: v * float("nan") for k, v in out.items()}
            return out

    monkeypatch.setattr(trainer_module, "TrackingLoss", NanOnThirdStep)
    cfg = tiny_config(iters_per_epoch=6, log_every=50, checkpoint_every=1, schedule={"epochs": 1, "warmup_epochs": 0})
    with pytest.raises(HromError, match="iteration 3: loss is not finite"):
        Trainer(cfg, tmp_path, dataset=SquarePairs(12)).run()
    ckpt = read_checkpoint(tmp_path / "checkpoints" / "latest.pt")  # finite, else read_checkpoint refuses
    assert ckpt["train_state"]["global_iter"] == 2


def test_parameters_are_checked_before_every_save(tmp_path, monkeypatch):
    """Infinite BatchNorm statistics leave the loss finite (training uses batch statistics) but
    would make every tracked frame garbage: the save refuses them."""
    build = Trainer._build_model

    def build_with_poison(self):
        model = build(self)
        bn = dict(model.named_modules())["neck.fuse.1"]
        seen = {"n": 0}

        def poison(module, inputs):
            seen["n"] += 1
            if seen["n"] == 3:  # the neck runs twice per step (template, search): step 2
                bn.running_var.data.fill_(float("inf"))  # .data: autograd's saved copy stays valid

        bn.register_forward_pre_hook(poison)
        return model

    monkeypatch.setattr(Trainer, "_build_model", build_with_poison)
    cfg = tiny_config(iters_per_epoch=4, log_every=1, checkpoint_every=1, schedule={"epochs": 1, "warmup_epochs": 1})
    with pytest.raises(HromError, match="neck.fuse.1.running_var holds NaN/inf values; not writing a checkpoint"):
        Trainer(cfg, tmp_path, dataset=SquarePairs(8)).run()
    assert read_checkpoint(tmp_path / "checkpoints" / "latest.pt")["train_state"]["global_iter"] == 1


def test_unreadable_latest_suggests_the_newest_epoch_checkpoint(tmp_path):
    common = dict(iters_per_epoch=2, checkpoint_every=1, schedule={"epochs": 2, "warmup_epochs": 1})
    Trainer(tiny_config(**common, debug={"stop_after_iters": 3}), tmp_path, dataset=SquarePairs(8)).run()
    ckpt_dir = tmp_path / "checkpoints"
    latest = ckpt_dir / "latest.pt"
    latest.write_bytes(latest.read_bytes()[:1000])  # e.g. a disk that filled up during a copy
    with pytest.raises(HromError) as err:
        Trainer(tiny_config(**common), tmp_path, dataset=SquarePairs(8), resume=True).run()
    assert f"cp {ckpt_dir / 'epoch_01.pt'} {latest} and run --resume again" in str(err.value)


def test_resume_of_a_finished_run_says_so(tmp_path, capsys):
    cfg = tiny_config(iters_per_epoch=1, schedule={"epochs": 1, "warmup_epochs": 0})
    Trainer(cfg, tmp_path, dataset=SquarePairs(4)).run()
    before = (tmp_path / "checkpoints" / "latest.pt").read_bytes()
    capsys.readouterr()
    out = Trainer(cfg, tmp_path, dataset=SquarePairs(4), resume=True).run()
    assert out["finished_before"] and "already finished" in capsys.readouterr().out
    assert (tmp_path / "checkpoints" / "latest.pt").read_bytes() == before
