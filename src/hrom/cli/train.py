"""``hrom train --config FILE.yaml [--set key=value ...] --out RUN_DIR [--resume]``.

The same command runs one process, or one process per GPU / CPU worker under
``torchrun --nproc_per_node N -m hrom train ...``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from hrom.procs import DEFAULT_THREADS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train HROM (single process or under torchrun)",
                       description="Train HROM with the paper's schedule (see configs/hrom_w18.yaml). "
                                   "Checkpoints go to RUN_DIR/checkpoints (latest.pt, epoch_XX.pt); "
                                   "the log to RUN_DIR/log.jsonl.")
    p.add_argument("--config", metavar="FILE.yaml", help="training config: a YAML file or a shipped config's name (hrom_w18, "
                   "tiny_synthetic, bundled_tiny); with --resume, defaults to RUN_DIR/config.yaml")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set schedule.epochs=2 --set device=cpu (repeatable)")
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="run directory (checkpoints, log, config)")
    p.add_argument("--resume", action="store_true", help="continue the run in RUN_DIR from checkpoints/latest.pt")
    p.add_argument("--device", help="shortcut for --set device=... (auto, cpu, cuda, cuda:N)")
    p.add_argument("--threads", type=int, default=DEFAULT_THREADS, metavar="N",
                   help=f"PyTorch/OpenCV threads per training process (default {DEFAULT_THREADS}; 0: PyTorch's default, "
                        "all cores). More threads collapse when other jobs share the cores; see the README")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hrom.config import load_config
    from hrom.errors import HromError
    from hrom.io import check_writable_dir
    from hrom.procs import set_threads
    from hrom.training.config import TrainConfig, resolve_config, shipped_configs
    from hrom.training.trainer import Trainer

    run_dir = Path(args.out)
    if args.threads < 0:
        raise HromError(f"--threads: must be >= 0, got {args.threads}")
    check_writable_dir(run_dir, "--out")  # before any work: a bad --out is found in a second
    config = args.config
    if config is None:
        if not args.resume:
            names = ", ".join(n.removesuffix(".yaml") for n in shipped_configs())
            raise HromError(f"--config FILE.yaml (or a shipped config: {names}) is required unless --resume is given")
        config = run_dir / "config.yaml"
        if not config.is_file():
            raise HromError(f"{config}: no saved config to resume with (expected a run directory written by `hrom train`)")
    overrides = list(args.overrides)
    if args.device:
        overrides.append(f"device={args.device}")
    cfg = load_config(TrainConfig, resolve_config(config), overrides)
    set_threads(args.threads)
    # the run directory is made by the trainer once set-up has succeeded: a failure leaves nothing
    summary = Trainer(cfg, run_dir, resume=args.resume).run()
    if summary.get("interrupted"):
        if int(os.environ.get("RANK", "0") or 0) != 0:
            return 130
        print(f"hrom train: interrupted; saved a resumable checkpoint {summary['checkpoint']} after iteration "
              f"{summary['global_iter']}. Continue with:\n  {resume_command(args)}", file=sys.stderr)
        return 130
    return 0


def resume_command(args: argparse.Namespace) -> str:
    """The command that continues this run (under torchrun when this process was started by it)."""
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    cmd = f"hrom train --out {shlex.quote(str(args.out))} --resume"
    if args.threads != DEFAULT_THREADS:
        cmd += f" --threads {args.threads}"
    if world > 1:
        cmd = f"torchrun --standalone --nproc_per_node {world} -m {cmd}"
    return cmd
