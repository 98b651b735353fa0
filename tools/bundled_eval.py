"""Accuracy of a tracker next to OpenCV's on the real sequences in ../shared/data, in one run.

Runs ``hrom eval run`` + ``hrom eval report`` for every tracker on OTB (7 sequences), the VOT
workspace (bag, one-pass protocol) and UAV123_10fps (building5), then prints one table: success
AUC, precision at 20 px and fps per benchmark and over all sequences (sequence-weighted).

    python tools/bundled_eval.py --out runs/bundled_eval            # bundled weights + OpenCV
    python tools/bundled_eval.py --trackers runs/x/checkpoints/epoch_05.pt kcf --out /tmp/e
    python tools/bundled_eval.py --trackers hrom csrt --start-nudges 2 --out runs/be_nudged  # 3 runs each
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
BENCHMARKS = [("otb100", DATA / "otb"), ("vot2018_ope", DATA / "vot"), ("uav123_10fps", DATA / "uav123_10fps")]


def hrom(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "hrom", *args], check=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trackers", nargs="+", default=["hrom", "kcf", "csrt", "nano", "vit"],
                    help="tracker specs for hrom eval run (default: bundled hrom and OpenCV's KCF, CSRT, Nano, Vit)")
    ap.add_argument("--hp", default=None, help="tracker hyper-parameters for hrom trackers")
    ap.add_argument("--out", default="runs/bundled_eval", help="results + reports folder")
    ap.add_argument("--start-nudges", type=int, default=0, metavar="N",
                    help="N more runs per sequence from nudged first boxes (hrom eval run --start-nudges); "
                         "the table then shows the mean over the 1+N runs")
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"needs the real sequences in {DATA}", file=sys.stderr)
        return 2
    out = Path(args.out)
    names: dict[str, str] = {}
    rows: dict[str, dict[str, dict]] = {}
    for bench, root in BENCHMARKS:
        for spec in args.trackers:
            name = names.setdefault(spec, Path(spec).stem if spec.endswith(".pt") else spec)
            extra = ["--hp", args.hp] if args.hp and spec not in ("kcf", "csrt", "mil", "nano", "vit") else []
            hrom("eval", "run", "--benchmark", bench, "--root", str(root), "--partial", "--tracker", spec,
                 "--name", name, "--results", str(out / "results"), "--quiet", *extra,
                 *(["--start-nudges", str(args.start_nudges)] if args.start_nudges else []))
        rep = out / "reports" / bench
        hrom("eval", "report", "--benchmark", bench, "--root", str(root), "--partial", "--results", str(out / "results"),
             "--trackers", *names.values(), "--out", str(rep))
        report = json.loads((rep / "report.json").read_text())
        for name, t in report["trackers"].items():
            rows.setdefault(name, {})[bench] = t["overall"]
    print(f"\n| tracker | {' | '.join(b for b, _ in BENCHMARKS)} | all sequences (AUC / prec@20 / fps) |")
    print("|---|" + "---|" * (len(BENCHMARKS) + 1))
    for name, per in rows.items():
        cells, tot, auc, prec, fps = [], 0, 0.0, 0.0, 0.0
        for bench, _ in BENCHMARKS:
            o = per[bench]
            n = o["sequences"]
            cells.append(f"{o['success_auc']:.3f} / {o['precision_20px']:.3f} / {o['fps']:.0f}")
            tot += n
            auc += n * o["success_auc"]
            prec += n * o["precision_20px"]
            fps += n * o["fps"]
        print(f"| {name} | {' | '.join(cells)} | {auc / tot:.3f} / {prec / tot:.3f} / {fps / tot:.0f} |")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    raise SystemExit(main())
