"""``hrom train --config FILE.yaml [--set key=value ...] --out RUN_DIR [--resume]``.

The same command runs one process, or one process per GPU / CPU worker under
``torchrun --nproc_per_node N -m hrom train ...``.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train HROM (single process or under torchrun)",
                       description="Train HROM with the paper's schedule (see configs/hrom_w18.yaml). "
                                   "Checkpoints go to RUN_DIR/checkpoints (latest.pt, epoch_XX.pt); "
                                   "the log to RUN_DIR/log.jsonl.")
    p.add_argument("--config", metavar="FILE.yaml", help="training config (YAML); with --resume, defaults to RUN_DIR/config.yaml")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set schedule.epochs=2 --set device=cpu (repeatable)")
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="run directory (checkpoints, log, config)")
    p.add_argument("--resume", action="store_true", help="continue the run in RUN_DIR from checkpoints/latest.pt")
    p.add_argument("--device", help="shortcut for --set device=... (auto, cpu, cuda, cuda:N)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hrom.config import load_config
    from hrom.errors import HromError
    from hrom.training.config import TrainConfig
    from hrom.training.trainer import Trainer

    run_dir = Path(args.out)
    config = args.config
    if config is None:
        if not args.resume:
            raise HromError("--config FILE.yaml is required (e.g. configs/hrom_w18.yaml) unless --resume is given")
        config = run_dir / "config.yaml"
        if not config.is_file():
            raise HromError(f"{config}: no saved config to resume with (expected a run directory written by `hrom train`)")
    overrides = list(args.overrides)
    if args.device:
        overrides.append(f"device={args.device}")
    cfg = load_config(TrainConfig, config, overrides)
    if run_dir.exists() and not run_dir.is_dir():
        raise HromError(f"{run_dir}: exists and is not a directory (expected a run directory for --out)")
    run_dir.mkdir(parents=True, exist_ok=True)
    Trainer(cfg, run_dir, resume=args.resume).run()
    return 0
