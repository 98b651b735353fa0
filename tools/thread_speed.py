"""Tracking speed with 1 and 2 PyTorch threads, on an idle CPU and with a busy-loop process beside it.

    .venv/bin/python tools/thread_speed.py [--models hrom,hrom-w18,train:hrom-tiny] [--frames 40] [--threads 1,2] [--busy 1]

Why: PyTorch's intra-op pool waits for every thread at each of the network's many small parallel
regions, so one descheduled thread stalls the whole frame.  These figures chose the default of
``hrom track --threads`` / ``hrom train --threads`` (see the README's Tracking section).

Each (model, threads, load) case runs in a fresh process (a thread count cannot be changed back
reliably inside one) on the bundled clip ``src/hrom/assets/demo/bag_clip.avi``: 3 warm-up updates,
then ``--frames`` timed updates.  ``train:PRESET`` times training steps instead (forward, loss,
backward, SGD step on a fixed batch of 4, as ``train_speed.py``; the fps column is then
iterations/s, over ``--frames // 4`` steps).  "busy" starts ``--busy`` processes spinning in a Python loop for
the duration of the case.  Other jobs on the machine are not stopped: the load average printed
with the table says how idle "idle" was.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLIP = REPO / "src" / "hrom" / "assets" / "demo" / "bag_clip.avi"
BOX = REPO / "src" / "hrom" / "assets" / "demo" / "bag_clip_init_box.txt"
SPIN = "while True: pass"


def measure(model: str, threads: int, frames: int) -> dict:
    """Runs inside the child process: per-update times of ``model`` with ``threads`` threads."""
    import cv2

    from hrom.procs import set_threads
    from hrom.tracking import create_tracker

    set_threads(threads)
    if model.startswith("train:"):
        from train_speed import measure as train_measure  # the script next to this one

        its = train_measure(model[len("train:"):], 4, max(frames // 4, 2), 2, False, "cpu")
        return {"median_ms": 1e3 / its, "fps": its, "worst_ms": float("nan")}
    cap = cv2.VideoCapture(str(CLIP))
    images = []
    while len(images) < frames + 4:
        ok, img = cap.read()
        if not ok:
            break
        images.append(img)
    cap.release()
    while len(images) < frames + 4:  # loop the clip when more frames are asked for
        images += images[1:frames + 4 - len(images) + 1]
    box = [float(v) for v in BOX.read_text().split(",")]
    tracker = create_tracker(model)
    tracker.init(images[0], box)
    for img in images[1:4]:
        tracker.update(img)
    times = []
    for img in images[4:4 + frames]:
        t = time.perf_counter()
        tracker.update(img)
        times.append(time.perf_counter() - t)
    return {"median_ms": 1e3 * statistics.median(times), "fps": len(times) / sum(times),
            "worst_ms": 1e3 * max(times)}


def run_case(model: str, threads: int, frames: int, busy: int) -> dict:
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(busy)]
    try:
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        out = subprocess.run([sys.executable, __file__, "--child", model, str(threads), str(frames)], env=env,
                             capture_output=True, text=True, check=True, timeout=3600)
    finally:
        for p in spinners:
            p.kill()
            p.wait()
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="hrom,hrom-w18,train:hrom-tiny",
                    help="tracker specs, comma-separated (hrom = bundled weights; train:PRESET = training steps)")
    ap.add_argument("--frames", type=int, default=40, help="timed updates per case (default 40)")
    ap.add_argument("--threads", default="1,2", help="thread counts to compare (default 1,2)")
    ap.add_argument("--busy", type=int, default=1, help="busy-loop processes in the loaded cases (default 1)")
    args = ap.parse_args()
    print(f"{os.cpu_count()} CPUs, load average before: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("| model | threads | load | median ms/frame (train: ms/step) | fps (train: it/s) | worst ms |")
    print("|---|---|---|---|---|---|")
    for model in args.models.split(","):
        for busy in dict.fromkeys((0, args.busy)):  # --busy 0: the idle cases once, not twice
            for threads in (int(t) for t in args.threads.split(",")):
                r = run_case(model, threads, args.frames, busy)
                load = "idle" if busy == 0 else f"{busy} busy loop(s)"
                print(f"| {model} | {threads} | {load} | {r['median_ms']:.1f} | {r['fps']:.1f} | {r['worst_ms']:.0f} |",
                      flush=True)
    print(f"load average after: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
