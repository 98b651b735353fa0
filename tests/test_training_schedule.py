"""The paper's schedule: lr values; during warm-up the loaded (ImageNet) backbone tensors are frozen
(weights and BN statistics) while R4 and the heads train."""

from __future__ import annotations

import json

import pytest
import torch

from hrom.training.config import ScheduleConfig
from hrom.training.schedule import backbone_frozen, learning_rate
from helpers.training import SquarePairs, tiny_config


def test_paper_schedule_per_epoch():
    s = ScheduleConfig()  # 20 epochs, 10 warm-up, 1e-3 -> 1e-4
    for e in range(10):
        assert learning_rate(s, e, 0, 100) == 1e-3
        assert backbone_frozen(s, e)
    assert learning_rate(s, 10, 0, 100) == pytest.approx(1e-3)
    assert learning_rate(s, 10, 99, 100) == pytest.approx(1e-3)  # constant within an epoch
    assert learning_rate(s, 19, 0, 100) == pytest.approx(1e-4)
    for k in range(10):
        assert learning_rate(s, 10 + k, 5, 100) == pytest.approx(1e-3 * 0.1 ** (k / 9))
        assert not backbone_frozen(s, 10 + k)


def test_paper_schedule_per_iteration():
    s = ScheduleConfig(lr_decay="iteration")
    n = 10 * 50 - 1
    assert learning_rate(s, 9, 49, 50) == 1e-3
    assert learning_rate(s, 10, 0, 50) == pytest.approx(1e-3)
    assert learning_rate(s, 19, 49, 50) == pytest.approx(1e-4)
    assert learning_rate(s, 12, 7, 50) == pytest.approx(1e-3 * 0.1 ** ((2 * 50 + 7) / n))
    # strictly decreasing within an epoch
    assert learning_rate(s, 15, 1, 50) < learning_rate(s, 15, 0, 50)


def test_freezing_can_be_switched_off():
    assert not backbone_frozen(ScheduleConfig(freeze_backbone_in_warmup=False), 0)


def _imagenet_like_weights(cfg, path):
    """Backbone weights with HRNet's ImageNet names: everything but R4 (which has no ImageNet
    counterpart), with values unlike the run's own initialisation."""
    from hrom.models.hrom import HROM

    torch.manual_seed(123)
    state = {k: v for k, v in HROM(cfg.model_config()).backbone.state_dict().items() if not k.startswith("r4_")}
    for k, v in state.items():
        if k.endswith("running_var"):
            v.fill_(2.0)
    torch.save(state, path)
    return state


def test_warmup_freezes_only_the_loaded_backbone_tensors_and_trains_r4(tmp_path):
    from hrom.models.checkpoint import read_checkpoint
    from hrom.models.hrom import HROM
    from hrom.training.trainer import Trainer

    weights = tmp_path / "hrnet_imagenet.pth"
    cfg = tiny_config(iters_per_epoch=3, schedule={"epochs": 2, "warmup_epochs": 1, "lr_decay": "iteration"})
    loaded = _imagenet_like_weights(cfg, weights)
    cfg.backbone_weights = str(weights)
    run = tmp_path / "run"
    Trainer(cfg, run, dataset=SquarePairs(32)).run()
    torch.manual_seed(cfg.seed)
    init = HROM(cfg.model_config()).state_dict()
    e1 = read_checkpoint(run / "checkpoints" / "epoch_01.pt")["state_dict"]
    e2 = read_checkpoint(run / "checkpoints" / "epoch_02.pt")["state_dict"]
    r4 = [k for k in init if k.startswith("backbone.r4_")]
    assert r4 and len(loaded) > 100
    for k, v in loaded.items():  # ImageNet weights and BN statistics untouched during warm-up
        assert torch.equal(e1["backbone." + k], v), k
    # R4 learns from the first epoch: weights and BatchNorm statistics move away from their random init
    r4_changed = [k for k in r4 if not torch.equal(e1[k], init[k])]
    assert any(k.endswith("weight") for k in r4_changed) and any(k.endswith("running_mean") for k in r4_changed)
    heads = [k for k in init if k.startswith(("neck.", "rpn.")) and init[k].is_floating_point()]
    assert any(not torch.equal(e1[k], init[k]) for k in heads)
    changed = [k for k in loaded if not torch.equal(e2["backbone." + k], e1["backbone." + k])]
    assert any(k.endswith("weight") for k in changed) and any(k.endswith("running_mean") for k in changed)
    assert read_checkpoint(run / "checkpoints" / "epoch_01.pt")["train_state"]["pretrained"] == sorted(loaded)
    # the lr actually used, as logged, follows the schedule formula at every step
    logged = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines() if '"loss"' in line]
    assert [r["iter"] for r in logged] == list(range(1, 7))
    for r in logged:
        epoch, it = r["epoch"] - 1, (r["iter"] - 1) % 3
        assert r["lr"] == pytest.approx(learning_rate(cfg.schedule, epoch, it, 3))
    assert logged[-1]["lr"] == pytest.approx(cfg.schedule.end_lr)


def test_resumed_warmup_freezes_the_same_tensors(tmp_path):
    from hrom.models.checkpoint import read_checkpoint
    from hrom.training.trainer import Trainer

    weights = tmp_path / "hrnet_imagenet.pth"
    cfg = tiny_config(iters_per_epoch=4, checkpoint_every=2, debug={"stop_after_iters": 3},
                      schedule={"epochs": 2, "warmup_epochs": 1})
    loaded = _imagenet_like_weights(cfg, weights)
    cfg.backbone_weights = str(weights)
    run = tmp_path / "run"
    Trainer(cfg, run, dataset=SquarePairs(32)).run()
    cfg.debug.stop_after_iters = 0
    Trainer(cfg, run, dataset=SquarePairs(32), resume=True).run()
    e1 = read_checkpoint(run / "checkpoints" / "epoch_01.pt")["state_dict"]
    for k, v in loaded.items():
        assert torch.equal(e1["backbone." + k], v), k


def test_without_pretrained_weights_nothing_is_frozen(tmp_path):
    from hrom.models.checkpoint import read_checkpoint
    from hrom.models.hrom import HROM
    from hrom.training.trainer import Trainer

    cfg = tiny_config(iters_per_epoch=3, schedule={"epochs": 1, "warmup_epochs": 1})
    Trainer(cfg, tmp_path, dataset=SquarePairs(32)).run()
    torch.manual_seed(cfg.seed)
    init = HROM(cfg.model_config()).state_dict()
    e1 = read_checkpoint(tmp_path / "checkpoints" / "epoch_01.pt")["state_dict"]
    changed = [k for k in init if k.startswith("backbone.") and not torch.equal(e1[k], init[k])]
    assert any(k.startswith("backbone.conv1") for k in changed) and any(k.endswith("running_mean") for k in changed)


def test_shipped_configs_load_and_follow_the_paper():
    from pathlib import Path

    from hrom.config import load_config
    from hrom.training.config import TrainConfig

    configs = Path(__file__).resolve().parent.parent / "configs"
    cfg = load_config(TrainConfig, configs / "hrom_w18.yaml")
    s, o = cfg.schedule, cfg.optim
    assert (cfg.model, cfg.batch_size, s.epochs, s.warmup_epochs, s.base_lr, s.end_lr) == ("hrom-w18", 12, 20, 10, 1e-3, 1e-4)
    assert (o.momentum, o.weight_decay, cfg.loss.cls_weight, cfg.loss.loc_weight) == (0.9, 1e-4, 1.0, 1.2)
    assert {src.type for src in cfg.data.sources} == {"vid", "det", "coco", "pysot"}
    tiny = load_config(TrainConfig, configs / "tiny_synthetic.yaml", ["model_overrides={feature_channels: 16}"])
    assert tiny.model_config().feature_channels == 16 and tiny.model_config().width == 8
    assert tiny.iterations(1) == tiny.data.samples_per_epoch // tiny.batch_size


def test_bad_model_override_is_rejected():
    from hrom.errors import HromError

    with pytest.raises(HromError, match="unknown config key model_overrides.widht"):
        tiny_config(model_overrides={"widht": 4}).model_config()


def test_shipped_configs_resolve_by_name_outside_a_checkout(tmp_path, monkeypatch):
    from hrom.errors import HromError
    from hrom.training.config import resolve_config, shipped_configs

    monkeypatch.chdir(tmp_path)  # no configs/ folder here: what an installed package sees
    shipped = shipped_configs()
    assert {"hrom_w18.yaml", "tiny_synthetic.yaml", "bundled_tiny.yaml"} <= set(shipped)
    assert resolve_config("hrom_w18") == resolve_config("configs/hrom_w18.yaml") == shipped["hrom_w18.yaml"]
    own = tmp_path / "hrom_w18.yaml"
    own.write_text("model: hrom-tiny\n")
    assert resolve_config("hrom_w18.yaml").resolve() == own  # a file of that name in the folder wins
    with pytest.raises(HromError, match=r"^nope: config file not found; .*hrom_w18"):
        resolve_config("nope")
    with pytest.raises(HromError, match="config file not found"):
        resolve_config("elsewhere/hrom_w18.yaml")


def test_train_layers_trains_only_the_named_parts(tmp_path):
    from hrom.errors import HromError
    from hrom.models.checkpoint import read_checkpoint
    from hrom.models.hrom import HROM
    from hrom.training.trainer import Trainer

    cfg = tiny_config(iters_per_epoch=3, train_layers=["rpn.loc"], schedule={"epochs": 1, "warmup_epochs": 0})
    Trainer(cfg, tmp_path / "run", dataset=SquarePairs(32)).run()
    torch.manual_seed(cfg.seed)
    init = HROM(cfg.model_config()).state_dict()
    e1 = read_checkpoint(tmp_path / "run" / "checkpoints" / "epoch_01.pt")["state_dict"]
    changed = {k for k in init if not torch.equal(e1[k], init[k])}
    # the loc branch learns, weights and BatchNorm statistics; nothing else moves, statistics included
    assert {k for k in changed if not k.startswith("rpn.loc.")} == set()
    assert "rpn.loc.head.3.weight" in changed and "rpn.loc.conv_search.1.running_mean" in changed
    assert any(k.startswith("rpn.cls.") for k in init) and any(k.startswith("backbone.") for k in init)

    with pytest.raises(HromError, match="train_layers: 'rpn.lco' names no parameter"):
        Trainer(tiny_config(train_layers=["rpn.lco"]), tmp_path / "bad", dataset=SquarePairs(2)).run()
    assert not (tmp_path / "bad" / "checkpoints").exists()
