"""``hrom tune``: search penalty_k / window_influence / lr (and the template-update and lost-target
knobs) on a benchmark (resumable) and rank them.

The work is in :mod:`hrom.benchmarks.tune`; this module only parses ranges and prints the table.
"""

from __future__ import annotations

import argparse

RANGE_HELP = "START:STOP:STEP (inclusive grid) or a list a,b,c; not given: the base configuration's value"


def register(sub: argparse._SubParsersAction) -> None:
    from hrom.benchmarks.raster import CONVENTIONS
    from hrom.benchmarks.registry import BENCHMARKS

    p = sub.add_parser(
        "tune", help="search the tracker's penalty_k / window_influence / lr (and template / lost-target knobs) on "
                     "a benchmark and rank them",
        description="Run the HROM tracker on a benchmark once per hyper-parameter combination (each trial an "
                    "`hrom eval run` into OUT/trials/<trial>/, scored with the benchmark's primary metric: success "
                    "AUC, AO or EAO), then write OUT/ranking.md, ranking.json and best_hp.yaml (use it with --hp). "
                    "Resumable: the same command again runs only the missing trials.")
    p.add_argument("--tracker", required=True, metavar="MODEL",
                   help="hrom checkpoint (.pt), hrom (the bundled weights) or another pretrained tag")
    p.add_argument("--benchmark", required=True, help=", ".join(n for n, b in BENCHMARKS.items() if b.scorable)
                   + ", pysot:FILE.json")
    p.add_argument("--root", required=True, help="dataset root folder in the benchmark's own layout")
    p.add_argument("--out", required=True, metavar="DIR", help="tune folder (trials, journal, ranking, best_hp.yaml)")
    p.add_argument("--penalty-k", metavar="RANGE", help=f"scale/ratio change penalty: {RANGE_HELP}")
    p.add_argument("--window-influence", metavar="RANGE", help=f"cosine window weight in [0, 1]: {RANGE_HELP}")
    p.add_argument("--lr", metavar="RANGE", help=f"box-size interpolation rate in [0, 1]: {RANGE_HELP}")
    p.add_argument("--template-lr", metavar="RANGE",
                   help=f"template update rate in [0, 1] (0: no update): {RANGE_HELP}")
    p.add_argument("--template-keep", metavar="RANGE",
                   help=f"weight of the first frame's template in [0, 1]: {RANGE_HELP}")
    p.add_argument("--template-score", metavar="RANGE",
                   help=f"score a frame needs to update the template, in [0, 1]: {RANGE_HELP}")
    p.add_argument("--lost-score", metavar="RANGE",
                   help=f"score below which the lost-target search starts, in [0, 0.99] (0: off): {RANGE_HELP}")
    p.add_argument("--search", choices=("grid", "random"), default="grid",
                   help="grid: every combination (default); random: --trials points drawn uniformly in each range's "
                        "[min, max]")
    p.add_argument("--trials", type=int, metavar="N", help="number of random points (--search random; default 20)")
    p.add_argument("--seed", type=int, default=0, help="random search seed (default 0)")
    p.add_argument("--hp", help="base hyper-parameters for the fields not searched: a preset or a YAML file "
                                "(default: the checkpoint's own, else 'default')")
    p.add_argument("--sequences", help="comma-separated subset of sequence names")
    p.add_argument("--partial", action="store_true", help="use only the sequences present under --root")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    p.add_argument("--backend", help="inference backend (e.g. torch, onnx)")
    p.add_argument("--overlap", choices=CONVENTIONS, default="vot2018", help="VOT overlap convention (vot2018 only)")
    p.add_argument("--workers", type=int, default=1,
                   help="parallel processes: trials at once, one tracker each (a single trial left: its sequences); "
                        "default 1")
    p.add_argument("--threads", type=int, default=1, help="PyTorch/OpenCV threads per process (default 1)")
    p.add_argument("--start-nudges", type=int, default=0, metavar="N",
                   help="also run every trial from N nudged first boxes (0-8) and rank on the mean: one run of a "
                        "small split is chaotic")
    p.add_argument("--overwrite", action="store_true",
                   help="delete OUT's trials first (needed to run another search in the same --out)")
    p.add_argument("--save-checkpoint", metavar="OUT.pt",
                   help="also write a copy of the checkpoint with tracker_hp = the best values (input untouched)")
    p.add_argument("--top", type=int, default=10, metavar="N", help="rows of the ranking to print (default 10)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def _csv(text: str | None) -> list[str] | None:
    return [s.strip() for s in text.split(",") if s.strip()] if text else None


def run(args: argparse.Namespace) -> int:
    from hrom.benchmarks.tune import KNOBS, SearchSpace, parse_range, searched_extras, tune

    given = {k: getattr(args, k) for k in KNOBS}
    ranges = {k: parse_range(v, k) for k, v in given.items() if v is not None}
    trials = args.trials if args.trials is not None or args.search == "grid" else 20
    space = SearchSpace(ranges, args.search, trials, args.seed)
    result = tune(args.tracker, args.benchmark, args.root, args.out, space, hp=args.hp,
                  sequences=_csv(args.sequences), partial=args.partial, device=args.device, backend=args.backend,
                  overlap=args.overlap, workers=args.workers, threads=args.threads, overwrite=args.overwrite,
                  progress=not args.quiet, save_checkpoint=args.save_checkpoint, start_nudges=args.start_nudges)
    s = result.summary
    other = [c for c in s["columns"] if c != s["metric"]]
    n = len(result.ranking)
    print(f"{s['benchmark']}: {n} trials on {len(s['sequences'])} sequences ({len(result.ran)} run now), "
          f"score = {s['metric']}")
    widths = [max(len(c) + 2, 10) for c in other]
    extras = searched_extras(s)
    print(f"{'rank':>4} {'penalty_k':>10} {'window_influence':>17} {'lr':>7}" + "".join(f"{k:>{len(k) + 2}}" for k in extras)
          + f" {'score':>8}" + "".join(f"{c:>{w}}" for c, w in zip(other, widths)))
    top = max(args.top, 1)
    for e in result.ranking[:top]:
        print(f"{e['rank']:>4} {e['penalty_k']:>10g} {e['window_influence']:>17g} {e['lr']:>7g}"
              + "".join(f"{e[k]:>{len(k) + 2}g}" for k in extras) + f" {e['score']:>8.4f}"
              + "".join(f"{e['metrics'][c]:>{w}.4f}" for c, w in zip(other, widths)))
    if n > top:
        print(f"... {n - top} more in {result.files['ranking_md']}")
    print(f"ranking: {result.files['ranking_md']}")
    print(f"best hyper-parameters: {result.files['best_hp']} (use with --hp)")
    if "checkpoint" in result.files:
        print(f"tuned checkpoint: {result.files['checkpoint']}")
    return 0
