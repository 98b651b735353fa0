"""Scoring speed: hrom's OPE scoring vs the GOT-10k toolkit's report on the same random result files.

100 sequences x 1,000 frames (UAV123 convention, some NaN ground-truth rows). Both sides read the
result and time files from disk; got10k's plotting is switched off so only scoring is timed.
Usage: python tools/score_speed.py [--seqs 100] [--frames 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from hrom.benchmarks.results import write_sequence_result
from hrom.benchmarks.scoring import score_ope
from hrom.benchmarks.sequence import Sequence


class _Dataset:
    def __init__(self, items):
        self.items, self.seq_names = items, [n for n, _ in items]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return [], np.loadtxt(self.items[i][1], delimiter=",")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seqs", type=int, default=100)
    ap.add_argument("--frames", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        seqs, items = [], []
        for k in range(a.seqs):
            t = np.arange(a.frames)
            gt = np.stack([100 + t * 0.3, 80 + t * 0.2, 40 + 0 * t, 30 + 0 * t], 1).astype(float)
            gt[rng.random(a.frames) < 0.05] = np.nan
            gt[0] = [100, 80, 40, 30]
            name = f"seq{k:03d}"
            gt_file = tmp / "anno" / f"{name}.txt"
            gt_file.parent.mkdir(exist_ok=True)
            np.savetxt(gt_file, gt, fmt="%.3f", delimiter=",")
            pred = np.where(np.isnan(gt), 50, gt) + rng.normal(0, 5, gt.shape)
            pred[:, 2:] = np.abs(pred[:, 2:]) + 1
            write_sequence_result("ope", tmp / "res" / "UAV123" / "rand", name, pred, rng.uniform(0.01, 0.05, a.frames))
            seqs.append(Sequence(name=name, frames=[Path("unused")] * a.frames, boxes=np.loadtxt(gt_file, delimiter=",")))
            items.append((name, gt_file))

        ours = []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            mine = score_ope(seqs, tmp / "res" / "UAV123" / "rand", "uav")
            ours.append(time.perf_counter() - t0)

        from got10k.experiments import ExperimentUAV123

        exp = ExperimentUAV123.__new__(ExperimentUAV123)
        exp.dataset, exp.result_dir, exp.report_dir = _Dataset(items), str(tmp / "res" / "UAV123"), str(tmp / "rep")
        exp.nbins_iou, exp.nbins_ce = 21, 51
        exp.plot_curves = lambda names: None
        theirs = []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            ref = exp.report(["rand"])["rand"]["overall"]
            theirs.append(time.perf_counter() - t0)
        # the same work on arrays already in memory (no file parsing)
        from hrom.benchmarks.scoring import ope_curves

        preds = [np.loadtxt(tmp / "res" / "UAV123" / "rand" / f"{s.name}.txt", delimiter=",") for s in seqs]
        gts = [s.boxes for s in seqs]
        mem_ours, mem_theirs = [], []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            ope_curves(preds, gts, "uav")
            mem_ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for p, g in zip(preds, gts):
                p = p.copy()
                p[0] = g[0]
                exp._calc_curves(*exp._calc_metrics(p, g))
            mem_theirs.append(time.perf_counter() - t0)
    o, t = min(ours), min(theirs)
    print(f"in memory: hrom curves {min(mem_ours) * 1e3:.1f} ms, got10k metrics+curves {min(mem_theirs) * 1e3:.1f} ms "
          f"({min(mem_theirs) / min(mem_ours):.1f}x)")
    print(f"{a.seqs} sequences x {a.frames} frames (best of {a.repeat}, files read from disk)")
    print(f"hrom scoring:   {o:.3f} s")
    print(f"got10k report:  {t:.3f} s")
    print(f"speed-up:       {t / o:.1f}x")
    print(f"same numbers:   success {mine['overall']['success_auc']:.6f} vs {ref['success_score']:.6f}, "
          f"precision {mine['overall']['precision_20px']:.6f} vs {ref['precision_score']:.6f}")


if __name__ == "__main__":
    main()
