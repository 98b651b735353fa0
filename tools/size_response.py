"""How much of a wrong box size does one tracker update correct?  A check of the size regression.

On every ``--every``-th frame of each sequence, the tracker (template from frame 0) is put on the
true centre with the true size times 1/k and times k, then updated once on that frame with
``lr`` 1, so the box is the network's own answer.  Prints the mean log(predicted / true) size for
each start and the share of the start's error the network keeps:
0 = it finds the true size in one step, 1 = it only repeats the size it was given.

    python tools/size_response.py --model hrom --benchmark got10k_val --root data_local/val_long
    python tools/size_response.py --model runs/x/checkpoints/epoch_05.pt --benchmark otb100 --root /data/OTB100 --partial
"""

from __future__ import annotations

import argparse
import math

import numpy as np


def main() -> None:
    from hrom.benchmarks.registry import get_benchmark
    from hrom.procs import set_threads
    from hrom.tracking import create_tracker
    from hrom.tracking.sources import read_image

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="hrom", help="hrom checkpoint, hrom or another pretrained tag")
    ap.add_argument("--benchmark", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--partial", action="store_true")
    ap.add_argument("--every", type=int, default=40, help="test every N-th frame (default 40)")
    ap.add_argument("--k", type=float, default=1.25, help="size error of the start: x 1/k and x k (default 1.25)")
    ap.add_argument("--penalty-k", type=float, default=0.0, help="scale/ratio change penalty (default 0: none)")
    a = ap.parse_args()
    set_threads(1)
    reader = get_benchmark(a.benchmark).open(a.root, partial=a.partial)
    hp = {"penalty_k": a.penalty_k, "window_influence": 0.0, "lr": 1.0}  # no update, no lost search
    logs = {1 / a.k: [], a.k: []}
    for name in reader.names():
        seq = reader.load(name)
        tracker = create_tracker(a.model, hp=hp)
        tracker.init(read_image(seq.frames[0], f"{name} frame 0"), seq.init_box())
        for t in range(a.every, len(seq), a.every):
            g = seq.boxes[t]
            if not (np.isfinite(g).all() and g[2] > 0 and g[3] > 0):
                continue
            frame = read_image(seq.frames[t], f"{name} frame {t}")
            for start in logs:
                tracker.center = np.array([g[0] + g[2] / 2, g[1] + g[3] / 2])
                tracker.size = np.array([g[2], g[3]]) * start
                box = tracker.update(frame)
                logs[start].append(0.5 * (math.log(box[2] / g[2]) + math.log(box[3] / g[3])))
    small, large = (np.array(logs[s]) for s in (1 / a.k, a.k))
    print(f"# {a.model} on {a.benchmark} ({len(small)} frames, penalty_k {a.penalty_k:g})")
    for s, v in ((1 / a.k, small), (a.k, large)):
        print(f"start x{s:.3f} (log {math.log(s):+.3f}): mean log(predicted / true) size {v.mean():+.3f}")
    kept = (large - small).mean() / (2 * math.log(a.k))
    print(f"share of the size error kept after one update: {kept:.3f}")


if __name__ == "__main__":
    main()
