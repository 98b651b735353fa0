"""Turn a training checkpoint into shippable weights: network + tracker hyper-parameters + what
made it (run, data, pairs, hours, distillation), without the optimizer and RNG state of ``train_state``.

    python tools/release_weights.py runs/x/checkpoints/epoch_12.pt --hp tune/val/best_hp.yaml \
        --run runs/x --out src/hrom/assets/hrom_bundled.pt

``--hp``: a ``--hp`` YAML (``hrom tune``'s ``best_hp.yaml``) or preset; default: the checkpoint's
own ``tracker_hp``, else ``default``. A fine-tuning run (``init_weights``) also records the weights it
started from and adds their pairs and hours into ``pairs_total`` / ``training_hours_total``. A
released file given as the checkpoint keeps its provenance (new hp only: ``previous_tracker_hp``).
Prints the provenance it stored and the file size.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from hrom.config import to_dict
from hrom.models import create_model
from hrom.models.checkpoint import read_checkpoint, save_checkpoint
from hrom.tracking.config import resolve_tracker_config

GAP_S = 600  # log records further apart than this belong to different sittings (a restart)


def run_summary(run: Path, upto_iter: int) -> dict:
    """Pairs seen and training hours up to ``upto_iter``, from RUN_DIR/log.jsonl (restarts excluded)."""
    recs = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines() if line.strip()]
    steps = sorted((r for r in recs if "loss" in r and r["iter"] <= upto_iter), key=lambda r: r["time"])
    seconds = sum(b["time"] - a["time"] for a, b in zip(steps, steps[1:]) if b["time"] - a["time"] < GAP_S)
    evals = [{k: r[k] for k in r if k not in ("event", "time")} for r in recs if r.get("event") == "eval"]
    return {"run": str(run), "training_hours": round(seconds / 3600, 2), "eval": evals}


def run_pairs(train_state: dict) -> int:
    """Training pairs a checkpoint has seen, from its ``train_state`` (all processes)."""
    cfg = train_state.get("config", {})
    return train_state["global_iter"] * cfg.get("batch_size", 0) * train_state.get("world_size", 1)


def distill_summary(cfg: dict) -> dict | None:
    """The distillation a run's config switched on (teacher file by name, weight), else None."""
    d = cfg.get("distill") or {}
    if not d.get("weight", 0) > 0:
        return None
    return {"teacher": Path(d["teacher"]).name, "weight": d["weight"]}


def init_summary(spec: str, run: Path | None) -> dict:
    """The weights a fine-tuning run started from (the file its log names, else ``spec`` resolved
    now) with their own pairs and hours."""
    from hrom.models.factory import checkpoint_file

    path = None
    if run is not None and (run / "log.jsonl").is_file():
        for line in (run / "log.jsonl").read_text().splitlines():
            if '"init_weights"' in line:
                path = Path(json.loads(line)["path"])
    path = path or checkpoint_file(spec)
    ckpt = read_checkpoint(path)
    extra = ckpt.get("extra") or {}
    st = ckpt.get("train_state") or {}
    out = {"spec": spec, "path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
           "pairs": extra.get("pairs_total", extra.get("pairs")),
           "training_hours": extra.get("training_hours_total", extra.get("training_hours")),
           "averaged_from": extra.get("averaged_from")}
    if st and out["pairs"] is None:  # a checkpoint of an earlier run (a chain of fine-tunes): count that run and its start
        cfg, run_dir = st.get("config", {}), path.parent.parent
        out["pairs"] = run_pairs(st)
        if distill_summary(cfg):
            out["distill"] = distill_summary(cfg)
        if (run_dir / "log.jsonl").is_file():
            out["training_hours"] = run_summary(run_dir, st["global_iter"])["training_hours"]
        if cfg.get("init_weights"):
            inner = out["init_from"] = init_summary(cfg["init_weights"], run_dir)
            for key in ("pairs", "training_hours"):
                if out.get(key) is not None and inner.get(key) is not None:
                    out[key] = round(out[key] + inner[key], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--out", required=True)
    ap.add_argument("--hp", default=None, help="tracker hyper-parameters (YAML or preset); default: the checkpoint's")
    ap.add_argument("--run", default=None, help="the run folder (log.jsonl, config.yaml) to summarise")
    args = ap.parse_args()

    ckpt = read_checkpoint(args.checkpoint)
    loaded = create_model(args.checkpoint)
    hp = resolve_tracker_config(args.hp, ckpt.get("tracker_hp"), loaded.geometry)
    st = ckpt.get("train_state") or {}
    extra = {"source_checkpoint": Path(args.checkpoint).name,
             "source_sha256": hashlib.sha256(Path(args.checkpoint).read_bytes()).hexdigest()}
    if "averaged_from" in (ckpt.get("extra") or {}):  # tools/average_checkpoints.py's inputs
        extra["averaged_from"] = ckpt["extra"]["averaged_from"]
    if not st and ckpt.get("extra"):  # an already released file with new hp: keep its provenance
        extra = {**ckpt["extra"], "previous_tracker_hp": ckpt.get("tracker_hp"),
                 "previous_sha256": extra["source_sha256"]}
    if st:
        cfg = st.get("config", {})
        extra.update(epochs=st["epoch"], iterations=st["global_iter"], pairs=run_pairs(st),
                     data=[s.get("name") or s.get("type") for s in cfg.get("data", {}).get("sources", [])])
        if distill_summary(cfg):
            extra["distill"] = distill_summary(cfg)
    if args.run:
        extra.update(run_summary(Path(args.run), int(st.get("global_iter", 1 << 62))))
    init = (st.get("config") or {}).get("init_weights")
    if init:  # a fine-tuning run: say what it started from and count its training too
        extra["init_from"] = init_summary(init, Path(args.run) if args.run else None)
        for key in ("pairs", "training_hours"):
            if key in extra and extra["init_from"].get(key) is not None:
                extra[f"{key}_total"] = round(extra[key] + extra["init_from"][key], 2)
    out = save_checkpoint(loaded, args.out, tracker_hp=to_dict(hp), extra=extra)
    print(json.dumps({k: v for k, v in extra.items() if k != "eval"}, indent=1))
    print(f"{out}: {out.stat().st_size / 2**20:.2f} MiB, tracker_hp {to_dict(hp)}")


if __name__ == "__main__":
    main()
