"""Every float spelling a user types is a number, on the command line and in YAML files
(PyYAML follows YAML 1.1, which reads ``1e-3`` and ``1e8`` as strings)."""

from __future__ import annotations

import pytest

from hrom.config import load_config
from hrom.errors import HromError
from hrom.training.config import TrainConfig


@pytest.mark.parametrize("text, value", [("1e-3", 1e-3), ("1E-3", 1e-3), ("5e-4", 5e-4), (".002", 0.002),
                                         ("2.", 2.0), ("+1e-2", 1e-2), ("1.0e-3", 1e-3), ("3", 3.0)])
def test_set_accepts_float_spellings(text, value):
    cfg = load_config(TrainConfig, None, [f"schedule.base_lr={text}", "schedule.end_lr=1e-5"])
    assert cfg.schedule.base_lr == pytest.approx(value) and isinstance(cfg.schedule.base_lr, float)


def test_yaml_file_accepts_exponents_without_a_dot(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("schedule: {base_lr: 1e-3, end_lr: 1e-4}\noptim: {grad_clip: 1e8}\n")
    cfg = load_config(TrainConfig, path)
    assert (cfg.schedule.base_lr, cfg.schedule.end_lr, cfg.optim.grad_clip) == (1e-3, 1e-4, 1e8)


def test_tracker_hp_yaml_accepts_exponents(tmp_path):
    from hrom.tracking.config import resolve_tracker_config

    path = tmp_path / "hp.yaml"
    path.write_text("penalty_k: 4e-2\nlr: 4E-1\n")
    cfg = resolve_tracker_config(str(path), None)
    assert (cfg.penalty_k, cfg.lr) == (0.04, 0.4)


@pytest.mark.parametrize("text", ["fast", "1e", "1.2.3", "1e-3e", "true"])
def test_non_numbers_are_still_refused(text):
    with pytest.raises(HromError, match="schedule.base_lr: expected a number"):
        load_config(TrainConfig, None, [f"schedule.base_lr={text}"])
