"""``hrom eval run`` (track a benchmark, resumable), ``hrom eval report`` (score + plots) and
``hrom eval epochs`` (every epoch checkpoint of a training run, with its curve)."""

from __future__ import annotations

import argparse


def _csv(text: str | None) -> list[str] | None:
    return [s.strip() for s in text.split(",") if s.strip()] if text else None


def register(sub: argparse._SubParsersAction) -> None:
    from hrom.benchmarks.raster import CONVENTIONS
    from hrom.benchmarks.registry import BENCHMARKS

    p = sub.add_parser("eval", help="run trackers on benchmarks and score them",
                       description="Evaluate trackers on OTB, UAV123, LaSOT, VOT-2018 and GOT-10k.")
    esub = p.add_subparsers(dest="eval_command", required=True, metavar="{run,report,epochs}")
    names = ", ".join(BENCHMARKS) + ", pysot:FILE.json"
    overlap_help = ("VOT overlap convention (vot2018 only): vot2018 = the VOT2018 region library's raster "
                    "(pysot, papers; default), vot-toolkit = the Python VOT toolkit's raster, exact = polygon geometry")

    r = esub.add_parser("run", help="track every sequence of a benchmark (skips finished ones)")
    r.add_argument("--benchmark", required=True, help=names)
    r.add_argument("--root", required=True, help="dataset root folder in the benchmark's own layout")
    r.add_argument("--tracker", required=True, help="kcf, csrt, mil, nano, vit, hrom, a model preset or a checkpoint path")
    r.add_argument("--results", required=True, help="results root; files go to <results>/<BENCHMARK>/<tracker>/")
    r.add_argument("--name", help="tracker folder name (default: the tracker's own name)")
    r.add_argument("--workers", type=int, default=1, help="parallel processes, one tracker each (default 1)")
    r.add_argument("--threads", type=int, default=1, help="PyTorch/OpenCV threads per process (default 1)")
    r.add_argument("--repetitions", type=int, default=1,
                   help="runs per sequence, saved as <seq>_001.txt ... (VOT uses 15, GOT-10k 3); a deterministic "
                        "tracker stops after one run (or three identical ones)")
    r.add_argument("--start-nudges", type=int, default=0, metavar="N",
                   help="one-pass benchmarks: N more runs per sequence (0-8) from first boxes nudged by 2-3%% of their "
                        "size, stored as repetitions and averaged by the report; one run of a small split is chaotic")
    r.add_argument("--overwrite", action="store_true",
                   help="delete the tracker folder's results first (needed when it holds another model's run)")
    r.add_argument("--sequences", help="comma-separated subset of sequence names")
    r.add_argument("--partial", action="store_true", help="use only the sequences present under --root")
    r.add_argument("--hp", help="tracker hyper-parameters: a preset (default, vot, otb, uav, lasot, got10k) or a YAML file")
    r.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N (HROM models only)")
    r.add_argument("--backend", help="inference backend for HROM (e.g. torch, onnx)")
    r.add_argument("--overlap", choices=CONVENTIONS, default="vot2018", help=overlap_help)
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=run)

    q = esub.add_parser("report", help="score result folders and write report.md / report.json / plots")
    q.add_argument("--benchmark", required=True, help=names)
    q.add_argument("--root", required=True, help="dataset root folder")
    q.add_argument("--results", required=True, help="results root (<results>/<BENCHMARK>/<tracker>/)")
    q.add_argument("--trackers", nargs="+", help="tracker folder names or paths (default: every folder found)")
    q.add_argument("--out", required=True, help="report folder")
    q.add_argument("--sequences", help="comma-separated subset of sequence names")
    q.add_argument("--partial", action="store_true", help="use only the sequences present under --root")
    q.add_argument("--overlap", choices=CONVENTIONS, default="vot2018", help=overlap_help)
    q.add_argument("--group", action="append", metavar="NAME=PATTERN[,PATTERN]",
                   help="also score the sequences whose names match shell patterns as group NAME "
                        "(repeatable), e.g. --group davis='val_davis*'")
    q.set_defaults(func=run)

    e = esub.add_parser("epochs", help="track and score every epoch checkpoint of a training run (curve.md/png)",
                        description="Run every epoch_XX.pt of a training run (or the checkpoints given) on one "
                                    "benchmark with the same hyper-parameters, resumably, and write OUT/curve.jsonl, "
                                    "curve.md (best epoch first line) and curve.png.")
    e.add_argument("checkpoints", nargs="+", metavar="RUN_OR_CKPT",
                   help="a training run folder (RUN/checkpoints/epoch_XX.pt), a checkpoints folder or epoch_XX.pt files")
    e.add_argument("--benchmark", required=True, help=names)
    e.add_argument("--root", required=True, help="dataset root folder in the benchmark's own layout")
    e.add_argument("--out", required=True, help="folder for the results (<out>/<BENCHMARK>/epoch_XX/) and the curve")
    e.add_argument("--hp", help="tracker hyper-parameters for every epoch: a preset or YAML (e.g. hrom tune's "
                                "best_hp.yaml); default: each checkpoint's own, else 'default'")
    e.add_argument("--start-epoch", type=int, default=1, help="first epoch to evaluate (default 1)")
    e.add_argument("--every", type=int, default=1, help="evaluate every N-th epoch from --start-epoch (default 1)")
    e.add_argument("--workers", type=int, default=1, help="parallel processes, one tracker each (default 1)")
    e.add_argument("--threads", type=int, default=1, help="PyTorch/OpenCV threads per process (default 1)")
    e.add_argument("--sequences", help="comma-separated subset of sequence names")
    e.add_argument("--partial", action="store_true", help="use only the sequences present under --root")
    e.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    e.add_argument("--backend", help="inference backend (e.g. torch, onnx)")
    e.add_argument("--overlap", choices=CONVENTIONS, default="vot2018", help=overlap_help)
    e.add_argument("--overwrite", action="store_true", help="delete each epoch's earlier results first")
    e.add_argument("--start-nudges", type=int, default=0, metavar="N",
                   help="score every epoch on the mean of N more runs from nudged first boxes (0-8; see eval run)")
    e.add_argument("--quiet", action="store_true", help="no progress bars")
    e.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hrom.errors import HromError

    if args.eval_command == "run":
        from hrom.benchmarks.runner import TrackerSpec, run_benchmark

        if args.workers < 1:
            raise HromError(f"--workers {args.workers}: expected 1 or more")
        if args.threads < 1:
            raise HromError(f"--threads {args.threads}: expected 1 or more")
        factory = TrackerSpec(args.tracker, device=args.device, hp=args.hp, backend=args.backend)
        out = run_benchmark(factory, args.benchmark, args.root, args.results, tracker_name=args.name,
                            workers=args.workers, sequences=_csv(args.sequences), partial=args.partial,
                            progress=not args.quiet, repetitions=args.repetitions, overwrite=args.overwrite,
                            overlap=args.overlap, threads=args.threads, start_nudges=args.start_nudges)
        print(f"results in {out}")
        return 0
    if args.eval_command == "epochs":
        return _epochs(args)

    from hrom.benchmarks.registry import get_benchmark
    from hrom.benchmarks.report import evaluate, parse_groups, write_report
    from hrom.io import check_writable_dir

    groups = parse_groups(args.group)
    check_writable_dir(args.out, "--out")
    report = evaluate(args.benchmark, args.root, args.results, trackers=args.trackers,
                      sequences=_csv(args.sequences), partial=args.partial, overlap=args.overlap, groups=groups)
    files = write_report(report, args.out)
    bench = get_benchmark(report["benchmark"])
    cols = bench.columns
    print(f"{'tracker':<24}" + "".join(f"{c:>20}" for c in cols))
    for name, s in report["trackers"].items():
        print(f"{name:<24}" + "".join(f"{s['overall'][c]:>20.4f}" for c in cols))
    if groups:
        print(f"{bench.primary + ' per group':<24}" + "".join(f"{g:>20}" for g in groups))
        for name, s in report["trackers"].items():
            print(f"{name:<24}" + "".join(f"{s['per_group'][g][bench.primary]:>20.4f}" for g in groups))
    print(f"report: {files[1]}")
    return 0


def _epochs(args: argparse.Namespace) -> int:
    from hrom.benchmarks.epochs import evaluate_epochs
    from hrom.benchmarks.registry import get_benchmark
    from hrom.errors import HromError

    if args.workers < 1 or args.threads < 1:
        raise HromError(f"--workers {args.workers} / --threads {args.threads}: expected 1 or more")
    key = get_benchmark(args.benchmark).columns[0]

    def show(rec: dict) -> None:
        print(f"epoch {rec['epoch']:>3}  {key} {rec[key]:.4f}  ({rec['checkpoint']})", flush=True)

    records = evaluate_epochs(args.checkpoints, args.benchmark, args.root, args.out, hp=args.hp,
                              start_epoch=args.start_epoch, every=args.every, sequences=_csv(args.sequences),
                              partial=args.partial, workers=args.workers, threads=args.threads, device=args.device,
                              backend=args.backend, overlap=args.overlap, overwrite=args.overwrite,
                              progress=not args.quiet, on_epoch=show, start_nudges=args.start_nudges)
    best = max(records, key=lambda r: r[key])
    print(f"best: epoch {best['epoch']} ({key} {best[key]:.4f}); curve: {args.out}/curve.md, curve.png")
    return 0

