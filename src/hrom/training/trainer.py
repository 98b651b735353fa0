"""The training loop: one code path for a single process and for ``torchrun`` (DDP), CPU or CUDA.

Per iteration: lr from the schedule -> forward under autocast (CUDA + amp only) -> TrackingLoss
-> scaled backward -> unscale + clip -> SGD step.  Per epoch: the backbone is frozen or not
according to the schedule (DDP is rebuilt when that changes, since DDP fixes its parameter set
when built), then an epoch checkpoint, then the optional evaluation hook.  ``latest.pt`` is also
written every ``checkpoint_every`` iterations; a resumed run repeats the uninterrupted one exactly
because data order, lr and frozen parts are all functions of (seed, epoch, iteration, rank).
The loss is checked every iteration and the weights before every save, so a diverging run never
leaves a non-finite checkpoint; Ctrl-C saves a resumable ``latest.pt`` at the last finished iteration.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from torch.utils.data import DataLoader, Dataset

from hrom.config import to_dict
from hrom.errors import HromError
from hrom.io import atomic_write_text
from hrom.models.checkpoint import first_nonfinite, load_weights
from hrom.procs import die_with_parent
from hrom.training import distributed as dist_utils
from hrom.training.config import TrainConfig
from hrom.training.evaluation import EvalHook, make_eval_hook, wants_eval
from hrom.training.guards import StopRequest, agree
from hrom.training.curves import plot_eval_curve
from hrom.training.distill import Distiller, OnnxTeacher
from hrom.training.logbook import Logbook
from hrom.training.losses import TrackingLoss
from hrom.training.schedule import backbone_frozen, freeze_pretrained, learning_rate, restrict_training, set_train_mode
from hrom.training.state import (LATEST, capture_rng, epoch_name, load_training_checkpoint, restore_rng,
                                 save_training_checkpoint)

BATCH_KEYS = ("template", "search", "label_cls", "label_loc", "label_loc_weight")


@dataclass
class RunParts:
    """What one run is made of once set up; the epoch loop and the saves read it from the trainer.

    ``net`` is ``model`` itself, or its DDP wrapper (rebuilt when the frozen set changes).
    """

    model: torch.nn.Module
    net: torch.nn.Module
    criterion: TrackingLoss
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler
    loader: DataLoader
    iters: int
    log: Logbook | None
    distiller: Distiller | None = None
    seen: list[str] = field(default_factory=list)  # content hashes of the pairs (debug.dump_rank_state)


def build_dataset(cfg: TrainConfig) -> Dataset:
    """The training pairs described by ``cfg.data`` (sources are checked here), cut and
    labelled for the model's own geometry; the same on every process (the sampler shards)."""
    from hrom.data.dataset import TrackingPairDataset

    return TrackingPairDataset(cfg.data, geometry=cfg.model_config().geometry)


def write_config(cfg: TrainConfig, run_dir: Path) -> Path:
    """The resolved config as RUN_DIR/config.yaml (atomic)."""
    return atomic_write_text(run_dir / "config.yaml", yaml.safe_dump(to_dict(cfg), sort_keys=False))



class Trainer:
    """Owns model, optimizer, data and run directory for one training run (one process)."""

    def __init__(self, cfg: TrainConfig, run_dir: str | Path, dataset: Dataset | None = None,
                 eval_hook: EvalHook | None = None, resume: bool = False):
        self.cfg = cfg
        self.run_dir = Path(run_dir)
        self.ckpt_dir = self.run_dir / "checkpoints"
        self.resume = resume
        self.env = dist_utils.detect_env()
        self.device = dist_utils.resolve_device(cfg.device, self.env)
        self.use_amp = bool(cfg.amp and self.device.type == "cuda")
        self._dataset = dataset
        self._eval_hook = eval_hook
        if resume and not (self.ckpt_dir / LATEST).is_file():
            raise HromError(f"{self.ckpt_dir / LATEST}: nothing to resume (expected a checkpoint from an earlier `hrom train --out {self.run_dir}`)")
        if not resume and (self.ckpt_dir / LATEST).is_file():
            raise HromError(f"{self.run_dir}: already holds a training run; pass --resume to continue it or choose another --out")
        # a bad teacher file is found in a second, before the data and the model are built
        self.teacher = OnnxTeacher(cfg.distill.teacher) if cfg.distill.weight > 0 else None

    # -- set-up ----------------------------------------------------------------------------------
    def _log(self, msg: str) -> None:
        if self.env.is_main:
            from tqdm import tqdm

            tqdm.write(f"[hrom train] {msg}")

    def _build_model(self):
        from hrom.models.hrom import HROM

        torch.manual_seed(self.cfg.seed)  # identical initial weights on every rank
        model = HROM(self.cfg.model_config())
        self.backbone_report = None
        self.pretrained: set[str] = set()  # backbone tensors the loaded weights initialised (frozen in warm-up)
        if self.cfg.init_weights and not self.resume:  # a resumed run takes every weight from latest.pt
            self._init_from_checkpoint(model)
        if self.cfg.backbone_weights and not self.resume:
            from hrom.models.checkpoint import load_backbone_weights

            report = load_backbone_weights(model.backbone, self.cfg.backbone_weights)
            self._log(f"backbone weights {self.cfg.backbone_weights}: {report.summary()}")
            self.backbone_report = report
            self.pretrained = set(report.loaded)
        return model.to(self.device)

    def _init_from_checkpoint(self, model) -> None:
        """Fine-tuning (pysot's TRAIN.PRETRAINED): start from every weight of an hrom checkpoint
        of the same architecture; the optimizer and schedule still start afresh."""
        from hrom.models.checkpoint import load_weights, read_checkpoint, under_prefix
        from hrom.models.factory import checkpoint_file

        spec = self.cfg.init_weights
        try:
            path = checkpoint_file(spec)
        except HromError as exc:
            raise HromError(f"init_weights: {exc}") from None
        if path is None:
            raise HromError(f"init_weights={spec}: a preset has no weights; expected an hrom checkpoint file "
                            f"or a pretrained tag such as hrom-tiny.bundled")
        ckpt = read_checkpoint(path)
        held = ckpt["model_config"].get("name", "?")
        exclude = self.cfg.init_exclude
        names = model.state_dict().keys()
        for prefix in exclude:
            if not any(under_prefix(n, prefix) for n in names):
                raise HromError(f"init_exclude: {prefix!r} names no tensor of this network; expected a dotted name "
                                f"prefix such as rpn.loc")
        load_weights(model, ckpt, f"init_weights={spec}: {path} holds a {held} network that does not fit "
                                  f"this run's {self.cfg.model} (set model: to {held}, or init_exclude: the parts "
                                  "that differ)", exclude)
        self.init_source = str(path)
        fresh = f", except {', '.join(exclude)} (freshly initialised)" if exclude else ""
        self._log(f"initial weights: every tensor from {path} ({held}){fresh}")

    def _build_optimizer(self, model) -> torch.optim.SGD:
        """One SGD over every parameter (frozen ones get no gradient, so SGD leaves them alone)."""
        o, s = self.cfg.optim, self.cfg.schedule
        backbone = list(model.backbone.parameters())
        ids = {id(p) for p in backbone}
        rest = [p for p in model.parameters() if id(p) not in ids]
        groups = [{"params": rest, "lr_mult": 1.0, "name": "heads"},
                  {"params": backbone, "lr_mult": o.backbone_lr_mult, "name": "backbone"}]
        return torch.optim.SGD(groups, lr=s.base_lr, momentum=o.momentum, weight_decay=o.weight_decay, nesterov=o.nesterov)

    def _loader(self, dataset: Dataset, iters: int):
        """One loader for the whole run (persistent workers); its sampler is moved per epoch."""
        from hrom.data.loader import build_dataloader

        loader = build_dataloader(dataset, self.cfg.batch_size, self.cfg.workers, self.env.rank, self.env.world_size,
                                  self.cfg.seed, iters_per_epoch=iters, pin_memory=self.device.type == "cuda")
        return loader.sampler, loader

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        """Train to the end of the schedule (or to ``debug.stop_after_iters``); returns a summary.

        On Ctrl-C it saves ``latest.pt`` at the last finished iteration and returns with
        ``interrupted: True`` (a second Ctrl-C stops at once without saving).
        """
        if self.env.distributed:
            die_with_parent()  # a rank outliving a killed torchrun would hold its GPU for nothing
        dist_utils.init(self.env, self.device, self.cfg.dist_timeout_minutes)
        self._stop = StopRequest()
        try:
            return self._run()
        finally:
            if self.env.distributed:
                dist_utils.shutdown()

    def _run(self) -> dict[str, Any]:
        cfg, env = self.cfg, self.env
        random.seed(cfg.seed + env.rank)
        np.random.seed(cfg.seed + env.rank)
        resume_from = self._read_latest() if self.resume else None
        if resume_from is not None and self._finished(resume_from["train_state"]):
            st = resume_from["train_state"]
            self._log(f"{self.run_dir}: this run is already finished (epoch {st['epoch']} of {cfg.schedule.epochs}); "
                      f"nothing to resume. Final checkpoint: {self.ckpt_dir / epoch_name(int(st['epoch']))}")
            return {"stopped": False, "finished_before": True, "epoch": int(st["epoch"]), "last": {}}
        dataset = self._dataset if self._dataset is not None else build_dataset(cfg)
        eval_hook = self._eval_hook
        if eval_hook is None and env.is_main:
            eval_hook = make_eval_hook(cfg.eval, self.run_dir / "eval")
        iters = cfg.iterations(env.world_size)
        model = self._build_model()
        restrict_training(model, cfg.train_layers)  # a prefix naming nothing is refused before any work
        criterion = TrackingLoss(cfg.loss)
        distiller = None
        if self.teacher is not None:
            g = model.config.geometry
            distiller = Distiller(self.teacher, cfg.distill.teacher_stride, model, g.search_size, g.stride)
        optimizer = self._build_optimizer(model)
        scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        start_epoch, start_iter = 0, 0
        if self.resume:
            start_epoch, start_iter = self._restore(resume_from, model, optimizer, scaler)
        if env.is_main:
            self.ckpt_dir.mkdir(parents=True, exist_ok=True)
            for stale in self.ckpt_dir.glob(".*.tmp"):  # left by a process killed while saving
                stale.unlink()
            write_config(cfg, self.run_dir)
        dist_utils.barrier()
        log = Logbook(self.run_dir, cfg.tensorboard, start_epoch * iters + start_iter if self.resume else None) if env.is_main else None
        if log is not None and getattr(self, "init_source", None):
            log.write({"event": "init_weights", "iter": 0, "path": self.init_source})
        if log is not None and self.backbone_report is not None:
            r = self.backbone_report
            log.write({"event": "backbone_weights", "iter": 0, "path": cfg.backbone_weights, "loaded": len(r.loaded),
                       "missing": len(r.missing), "unexpected": len(r.unexpected), "shape_mismatch": len(r.shape_mismatch)})
        if self.resume:
            self._log(f"resumed from {self.ckpt_dir / LATEST} at epoch {start_epoch + 1}, iteration {start_iter}")
        self._log(f"{cfg.model} on {self.device}{' (AMP)' if self.use_amp else ''}, {env.world_size} process(es) x "
                  f"batch {cfg.batch_size}, {iters} iterations/epoch, epochs {start_epoch + 1}..{cfg.schedule.epochs}")
        sampler, loader = self._loader(dataset, iters)
        self._interrupted: dict[str, Any] = {}
        self.parts = parts = RunParts(model, model, criterion, optimizer, scaler, loader, iters, log, distiller)
        last: dict[str, float] = {}
        net_frozen = None
        try:
            self._stop.__enter__()  # from here on a first Ctrl-C stops at an iteration boundary (set-up stops at once)
            for epoch in range(start_epoch, cfg.schedule.epochs):
                frozen = backbone_frozen(cfg.schedule, epoch) and bool(self.pretrained)
                if frozen != net_frozen:  # the first epoch, and when the backbone is unfrozen
                    n_frozen = freeze_pretrained(model, self.pretrained, frozen)
                    n_trained = restrict_training(model, cfg.train_layers)
                    if env.distributed:
                        from torch.nn.parallel import DistributedDataParallel as DDP

                        ids = [self.device.index] if self.device.type == "cuda" else None
                        parts.net = DDP(model, device_ids=ids)
                    net_frozen = frozen
                    if cfg.train_layers:
                        self._log(f"epoch {epoch + 1}: only {', '.join(cfg.train_layers)} train ({n_trained} tensors)")
                    else:
                        self._log(f"epoch {epoch + 1}: {n_frozen} pretrained backbone parameters frozen, the rest trained"
                                  if frozen else f"epoch {epoch + 1}: backbone trained")
                set_train_mode(model, self.pretrained if frozen else frozenset(), cfg.train_layers)
                if hasattr(dataset, "set_epoch"):
                    dataset.set_epoch(epoch)
                first = start_iter if epoch == start_epoch else 0
                sampler.set_position(epoch, first)
                stopped, last = self._epoch(epoch, first)
                if stopped:
                    return {"stopped": True, "epoch": epoch, "last": last, **self._interrupted}
                self._save(epoch + 1, 0, epoch_end=True)
                if self._interrupted and epoch + 1 < cfg.schedule.epochs:  # Ctrl-C in an epoch's last iteration
                    self._interrupted.update(epoch=epoch + 1, iteration=0)
                    return {"stopped": True, "last": last, **self._interrupted}
                if env.is_main and eval_hook is not None and wants_eval(cfg.eval, epoch + 1):
                    metrics = eval_hook(self.ckpt_dir / epoch_name(epoch + 1), epoch + 1)
                    log.write({"event": "eval", "epoch": epoch + 1, "iter": (epoch + 1) * iters, "time": time.time(), **metrics})
                    self._log(f"epoch {epoch + 1} evaluation: {metrics}")
                    plot_eval_curve(log.path, self.run_dir / "val_curve.png", f"{cfg.model}: {cfg.eval.benchmark}")
                dist_utils.barrier()
            self._log(f"done: {self.ckpt_dir / epoch_name(cfg.schedule.epochs)}")
            return {"stopped": False, "epoch": cfg.schedule.epochs, "last": last,
                    "checkpoint": str(self.ckpt_dir / epoch_name(cfg.schedule.epochs))}
        finally:
            self._stop.__exit__()
            if cfg.debug.dump_rank_state:
                self._dump_rank_state(model, parts.seen)
            if parts.distiller is not None:
                parts.distiller.close()
            if log is not None:
                log.close()

    def _epoch(self, epoch: int, first: int) -> tuple[bool, dict[str, float]]:
        """Iterations ``first``.. of ``epoch``; returns (stopped early, last logged record)."""
        cfg, env, p = self.cfg, self.env, self.parts
        net, model, criterion, optimizer, scaler = p.net, p.model, p.criterion, p.optimizer, p.scaler
        iters, log = p.iters, p.log
        bar = None
        if env.is_main and cfg.progress:
            from tqdm import tqdm

            bar = tqdm(total=iters, initial=first, desc=f"epoch {epoch + 1}/{cfg.schedule.epochs}", unit="it",
                       dynamic_ncols=True, leave=True)
        trainable = [p for p in model.parameters() if p.requires_grad]
        pairs_per_step = cfg.batch_size * env.world_size
        t_last, n_since = time.perf_counter(), 0
        sums = torch.zeros(4, device=self.device)
        last: dict[str, float] = {}
        it = first
        try:
            for it, batch in enumerate(p.loader, start=first):
                if cfg.debug.dump_rank_state:  # which pairs this rank saw (content hashes)
                    p.seen.extend(hashlib.sha1(t.numpy().tobytes()).hexdigest()[:16] for t in batch["search"])
                lr = learning_rate(cfg.schedule, epoch, it, iters)
                for group in optimizer.param_groups:
                    group["lr"] = lr * group["lr_mult"]
                batch = {k: batch[k].to(self.device, non_blocking=True) for k in BATCH_KEYS}
                with torch.autocast(device_type=self.device.type, enabled=self.use_amp):
                    cls, loc = net(batch["template"], batch["search"])
                losses = criterion(cls, loc, batch)
                if p.distiller is not None:
                    losses["distill"] = p.distiller.loss(batch["search"])
                    losses["loss"] = losses["loss"] + cfg.distill.weight * losses["distill"]
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(losses["loss"]).backward()
                if cfg.optim.grad_clip > 0:
                    scaler.unscale_(optimizer)
                    torch.nn.utils.clip_grad_norm_(trainable, cfg.optim.grad_clip)
                scaler.step(optimizer)
                scaler.update()
                # every iteration, not only at log steps: one bad step is enough to poison the weights
                loss_ok, stop = agree(torch.isfinite(losses["loss"].detach()), self._stop.requested, self.device)
                if not loss_ok:
                    raise HromError(f"epoch {epoch + 1} iteration {it + 1}: loss is not finite "
                                    f"({losses['loss'].item()}); stopped without saving (the last checkpoint in "
                                    f"{self.ckpt_dir} is kept); lower schedule.base_lr or check the training data")
                sums += torch.stack([losses[k].detach() for k in ("loss", "cls", "loc")]
                                    + [losses.get("distill", torch.zeros((), device=sums.device)).detach()])
                n_since += 1
                global_iter = epoch * iters + it + 1
                if global_iter % cfg.log_every == 0 or it + 1 == iters:  # aligned to global steps, also after a resume
                    mean = dist_utils.mean_across(sums / n_since).tolist()
                    if not all(np.isfinite(mean)):
                        raise HromError(f"epoch {epoch + 1} iteration {it + 1}: loss is not finite ({mean[0]}); "
                                        f"lower schedule.base_lr or check the training data")
                    now = time.perf_counter()
                    rate = n_since * pairs_per_step / max(now - t_last, 1e-9)
                    last = {"iter": global_iter, "epoch": epoch + 1, "loss": mean[0], "cls": mean[1], "loc": mean[2],
                            "lr": lr, "pairs_per_s": rate, "time": time.time()}
                    if p.distiller is not None:
                        last["distill"] = mean[3]
                    if log is not None:
                        log.write(last)
                    if bar is not None:
                        bar.set_postfix(loss=f"{mean[0]:.4f}", lr=f"{lr:.2e}", pairs_s=f"{rate:.1f}", refresh=False)
                    t_last, n_since = now, 0
                    sums.zero_()
                if bar is not None:
                    bar.update(1)
                if cfg.debug.stop_after_iters and global_iter >= cfg.debug.stop_after_iters:
                    return True, last
                if (stop or (cfg.checkpoint_every and global_iter % cfg.checkpoint_every == 0)) and it + 1 < iters:
                    self._save(epoch, it + 1, epoch_end=False)
                if stop:
                    self._interrupted = {"interrupted": True, "epoch": epoch, "iteration": it + 1,
                                         "global_iter": global_iter, "checkpoint": str(self.ckpt_dir / LATEST)}
                    if it + 1 < iters:
                        return True, last
        finally:
            if bar is not None:
                bar.close()
        if it + 1 < iters:
            raise HromError(f"the data loader stopped after {it + 1} of {iters} iterations in epoch {epoch + 1}")
        return False, last

    # -- checkpoints -----------------------------------------------------------------------------
    def _save(self, epoch: int, it: int, epoch_end: bool) -> None:
        """Rank 0 writes latest.pt (and epoch_XX.pt at epoch ends); ``epoch``/``it`` = where to resume."""
        model, optimizer, scaler, iters = self.parts.model, self.parts.optimizer, self.parts.scaler, self.parts.iters
        bad = first_nonfinite(model.state_dict().items())
        if bad is not None:
            raise HromError(f"epoch {epoch + (0 if epoch_end else 1)} iteration {epoch * iters + it}: {bad} holds NaN/inf "
                            f"values; not writing a checkpoint (the last one in {self.ckpt_dir} is kept); lower "
                            f"schedule.base_lr or check the training data")
        rng = dist_utils.gather_objects(capture_rng())
        if self.env.is_main:
            state = {"epoch": epoch, "iter_in_epoch": it, "global_iter": epoch * iters + it, "iters_per_epoch": iters,
                     "world_size": self.env.world_size, "optimizer": optimizer.state_dict(),
                     "scaler": scaler.state_dict(), "rng": rng, "config": to_dict(self.cfg),
                     "pretrained": sorted(self.pretrained)}
            if epoch_end:
                save_training_checkpoint(self.ckpt_dir / epoch_name(epoch), model, state)
            save_training_checkpoint(self.ckpt_dir / LATEST, model, state)
        dist_utils.barrier()

    def _read_latest(self) -> dict[str, Any]:
        """latest.pt; when it cannot be used, the error says how to resume from the newest epoch checkpoint."""
        path = self.ckpt_dir / LATEST
        try:
            return load_training_checkpoint(path)
        except HromError as exc:
            epochs = sorted(self.ckpt_dir.glob("epoch_*.pt"))
            if not epochs:
                raise
            raise HromError(f"{exc}; to resume from the newest epoch checkpoint instead: "
                            f"cp {epochs[-1]} {path} and run --resume again") from None

    def _finished(self, st: dict[str, Any]) -> bool:
        return int(st["epoch"]) >= self.cfg.schedule.epochs and int(st["iter_in_epoch"]) == 0

    def _restore(self, ckpt: dict[str, Any], model, optimizer, scaler) -> tuple[int, int]:
        path = self.ckpt_dir / LATEST
        st = ckpt["train_state"]
        saved = ckpt["model_config"].get("name", "?")
        load_weights(model, ckpt, f"{path}: saved with model {saved}; its weights do not fit this run's model {self.cfg.model}")
        iters = self.cfg.iterations(self.env.world_size)
        if st["iters_per_epoch"] != iters or st["world_size"] != self.env.world_size:
            raise HromError(f"{path}: saved with {st['world_size']} process(es) x {st['iters_per_epoch']} iterations/epoch, "
                            f"now {self.env.world_size} x {iters}; resume with the same world size and batch settings")
        optimizer.load_state_dict(st["optimizer"])
        for group in optimizer.param_groups:  # lr_mult may have been changed in the config
            group["lr_mult"] = self.cfg.optim.backbone_lr_mult if group.get("name") == "backbone" else 1.0
        scaler.load_state_dict(st["scaler"])
        # runs saved before this record froze the whole backbone in warm-up: keep doing so
        self.pretrained = set(st["pretrained"]) if "pretrained" in st else set(model.backbone.state_dict())
        rngs = st["rng"]
        restore_rng(rngs[self.env.rank] if len(rngs) == self.env.world_size else rngs[0])
        return int(st["epoch"]), int(st["iter_in_epoch"])

    def _dump_rank_state(self, model, seen: list[str]) -> None:
        out = self.run_dir / "debug"
        out.mkdir(parents=True, exist_ok=True)
        torch.save({"state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()}, "seen": seen},
                   out / f"rank{self.env.rank}.pt")
