"""Training HROM: the criterion, the paper's schedule, and a resumable single/multi-process loop.

``Trainer(TrainConfig, run_dir).run()`` is what ``hrom train`` calls; see README "Training".
"""

from hrom.training.config import EvalConfig, OptimConfig, ScheduleConfig, TrainConfig
from hrom.training.losses import LossConfig, TrackingLoss
from hrom.training.trainer import Trainer

__all__ = ["EvalConfig", "LossConfig", "OptimConfig", "ScheduleConfig", "TrackingLoss", "TrainConfig", "Trainer"]
