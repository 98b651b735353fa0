"""``hrom data prepare|export``: training sources -> a crop cache, or -> evaluation sequences."""

from __future__ import annotations

import argparse

from hrom.data.config import SOURCE_TYPES


def _source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE.yaml", help="a YAML with a sources: list (same entries as a training "
                                                         "config's data.sources) and prepare settings")
    p.add_argument("--type", choices=[t for t in SOURCE_TYPES if t not in ("pysot", "synthetic")],
                   help="one source instead of --config: its format")
    p.add_argument("--root", help="one source: its folder")
    p.add_argument("--name", default="", help="one source: its name (default: the type)")
    p.add_argument("--skip-bad", action="store_true",
                   help="one source: skip bad entries (missing image, box outside the image...) with a count")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting, e.g. --set frame_step=3 --set quality=95 (repeatable)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="prepare training data (crop cache) or export evaluation sequences",
                       description="Work on training sources: `prepare` turns them into pysot-layout crop caches "
                                   "(crop511/ + train.json) that training reads fast; `export` writes a source's "
                                   "tracks as GOT-10k-layout sequences (a held-out validation split).")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="VERB")
    pp = verbs.add_parser("prepare", help="build a crop cache (resumable: run the same command again)")
    _source_args(pp)
    pp.add_argument("--out", required=True, metavar="DIR", help="cache folder; each source goes to DIR/<name>/")
    pp.add_argument("--workers", type=int, help="parallel processes (default: the config's, 2)")
    pp.add_argument("--frame-step", type=int, help="keep every N-th annotated frame of each track")
    pp.set_defaults(func=run_prepare)
    pe = verbs.add_parser("export", help="write a source's tracks as GOT-10k-layout sequences for evaluation")
    _source_args(pe)
    pe.add_argument("--out", required=True, metavar="DIR", help="folder of sequences (+ list.txt)")
    pe.add_argument("--frame-step", type=int, default=1, help="keep every N-th annotated frame (default 1)")
    pe.add_argument("--min-frames", type=int, default=10, help="skip shorter tracks (default 10)")
    pe.add_argument("--max-frames", type=int, default=0, help="cut longer tracks (default 0: no limit)")
    pe.set_defaults(func=run_export)


def _config(args: argparse.Namespace):
    from hrom.config import load_config
    from hrom.data.prepare import PrepareConfig
    from hrom.errors import HromError

    overrides = list(args.overrides)
    if args.type or args.root:
        if args.config or not (args.type and args.root):
            raise HromError("give either --config FILE.yaml or both --type and --root")
        src = (f"{{type: {args.type}, root: '{args.root}', skip_bad: {str(args.skip_bad).lower()}"
               + (f", name: '{args.name}'" if args.name else "") + "}")
        overrides.insert(0, f"sources=[{src}]")
    elif not args.config:
        raise HromError("give --config FILE.yaml (with a sources: list) or --type and --root")
    for attr, key in (("workers", "workers"), ("frame_step", "frame_step")):
        if getattr(args, attr, None) is not None:
            overrides.append(f"{key}={getattr(args, attr)}")
    return load_config(PrepareConfig, args.config, overrides).validate()


def run_prepare(args: argparse.Namespace) -> int:
    from hrom.data.prepare import prepare

    cfg = _config(args)
    for s in prepare(cfg, args.out):
        print(f"{s['source']}: {s['videos']} videos, {s['tracks']} tracks, {s['crops']} crops -> {s['folder']} "
              f"(train with {{type: pysot, root: {s['folder']}}})")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from hrom.data.export_sequences import export_sequences, write_list

    cfg = _config(args)
    for src in cfg.sources:
        names = export_sequences(src, args.out, args.frame_step, args.min_frames, args.max_frames)
        print(f"{src.label}: {len(names)} sequences -> {args.out}")
    print(f"{len(write_list(args.out))} sequences listed in {args.out}/list.txt")
    return 0
