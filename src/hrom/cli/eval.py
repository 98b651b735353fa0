"""``hrom eval run`` (track a benchmark, resumable) and ``hrom eval report`` (score + plots)."""

from __future__ import annotations

import argparse


def _csv(text: str | None) -> list[str] | None:
    return [s.strip() for s in text.split(",") if s.strip()] if text else None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="run trackers on benchmarks and score them",
                       description="Evaluate trackers on OTB, UAV123, LaSOT, VOT-2018 and GOT-10k.")
    esub = p.add_subparsers(dest="eval_command", required=True, metavar="{run,report}")
    names = "otb100, otb50, otb2013, uav123, uav123_10fps, uav20l, lasot, lasot_full, vot2018, got10k_val, got10k_test, pysot:FILE.json"

    r = esub.add_parser("run", help="track every sequence of a benchmark (skips finished ones)")
    r.add_argument("--benchmark", required=True, help=names)
    r.add_argument("--root", required=True, help="dataset root folder in the benchmark's own layout")
    r.add_argument("--tracker", required=True, help="kcf, csrt, mil, nano, vit, hrom, a model preset or a checkpoint path")
    r.add_argument("--results", required=True, help="results root; files go to <results>/<BENCHMARK>/<tracker>/")
    r.add_argument("--name", help="tracker folder name (default: the tracker's own name)")
    r.add_argument("--workers", type=int, default=1, help="parallel processes, one tracker each (default 1)")
    r.add_argument("--sequences", help="comma-separated subset of sequence names")
    r.add_argument("--partial", action="store_true", help="use only the sequences present under --root")
    r.add_argument("--hp", help="tracker hyper-parameter set name")
    r.add_argument("--device", default="cpu")
    r.add_argument("--backend", help="inference backend for HROM (e.g. torch, onnx)")
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
    q.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hrom.errors import HromError

    if args.eval_command == "run":
        from hrom.benchmarks.runner import TrackerSpec, run_benchmark

        if args.workers < 1:
            raise HromError(f"--workers {args.workers}: expected 1 or more")
        factory = TrackerSpec(args.tracker, device=args.device, hp=args.hp, backend=args.backend)
        out = run_benchmark(factory, args.benchmark, args.root, args.results, tracker_name=args.name,
                            workers=args.workers, sequences=_csv(args.sequences), partial=args.partial,
                            progress=not args.quiet)
        print(f"results in {out}")
        return 0

    from hrom.benchmarks.report import COLUMNS, evaluate, write_report

    report = evaluate(args.benchmark, args.root, args.results, trackers=args.trackers,
                      sequences=_csv(args.sequences), partial=args.partial)
    files = write_report(report, args.out)
    cols = COLUMNS[report["scoring"]]
    print(f"{'tracker':<24}" + "".join(f"{c:>20}" for c in cols))
    for name, s in report["trackers"].items():
        print(f"{name:<24}" + "".join(f"{s['overall'][c]:>20.4f}" for c in cols))
    print(f"report: {files[1]}")
    return 0
