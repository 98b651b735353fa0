"""The paper's schedule: lr values, frozen backbone (weights and BN statistics) during warm-up."""

from __future__ import annotations

import json

import pytest
import torch

from hrom.training.config import ScheduleConfig
from hrom.training.schedule import backbone_frozen, learning_rate
from training_fixtures import SquarePairs, tiny_config


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


def test_trainer_freezes_backbone_in_warmup_then_trains_it(tmp_path):
    from hrom.models.hrom import HROM
    from hrom.models.checkpoint import read_checkpoint

    cfg = tiny_config(iters_per_epoch=3, schedule={"epochs": 2, "warmup_epochs": 1, "lr_decay": "iteration"})
    from hrom.training.trainer import Trainer

    Trainer(cfg, tmp_path, dataset=SquarePairs(32)).run()
    torch.manual_seed(cfg.seed)
    init = HROM(cfg.model_config()).state_dict()
    e1 = read_checkpoint(tmp_path / "checkpoints" / "epoch_01.pt")["state_dict"]
    e2 = read_checkpoint(tmp_path / "checkpoints" / "epoch_02.pt")["state_dict"]
    backbone = [k for k in init if k.startswith("backbone.")]
    bn_stats = [k for k in backbone if k.endswith(("running_mean", "running_var", "num_batches_tracked"))]
    assert bn_stats and len(backbone) > len(bn_stats)
    for k in backbone:  # weights and BN statistics untouched during warm-up
        assert torch.equal(e1[k], init[k]), k
    heads = [k for k in init if k.startswith(("neck.", "rpn.")) and init[k].is_floating_point()]
    assert any(not torch.equal(e1[k], init[k]) for k in heads)
    changed = [k for k in backbone if not torch.equal(e2[k], e1[k])]
    assert any(k.endswith("weight") for k in changed) and any(k.endswith("running_mean") for k in changed)
    # the lr actually used, as logged, follows the schedule formula at every step
    logged = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["iter"] for r in logged] == list(range(1, 7))
    for r in logged:
        epoch, it = r["epoch"] - 1, (r["iter"] - 1) % 3
        assert r["lr"] == pytest.approx(learning_rate(cfg.schedule, epoch, it, 3))
    assert logged[-1]["lr"] == pytest.approx(cfg.schedule.end_lr)


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
